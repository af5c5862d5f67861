/**
 * What the route plugins share: built once per emulator in `server.ts` and passed in, never imported as a global.
 * @module
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { EmulatorControl } from './control.js';
import type { FaultTable } from './faults.js';
import type { EmulatorRateLimiter } from './rate-limit.js';
import type { Account, EmulatorState } from './state.js';

export interface EmulatorContext {
  readonly state: EmulatorState;
  readonly control: EmulatorControl;
  readonly faults: FaultTable;
  /** null when the rate limit is switched off. */
  readonly limiter: EmulatorRateLimiter | null;
  readonly accountUrl: (name: string) => string;
  /** The account the request's Host names; the root hook has already refused hosts without one. */
  readonly accountOf: (request: FastifyRequest) => Account;
  readonly log: FastifyBaseLogger | null;
}
