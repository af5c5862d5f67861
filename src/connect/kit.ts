/**
 * What the flows need from the outside world, passed in explicitly (STYLE R6): no HTTP server here, so another
 * front end (a CLI, a queue worker) can drive the same flows.
 */
import type { AccountUrl, AccountUrlCheck, CrmClient } from '../crm/types.js';
import type { Connection, ConnectionStore } from '../store/types.js';
import type { AnyModuleDefinition } from './module-definition.js';

/** The subset of a pino logger the flows use. */
export interface FlowLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface ConnectKit {
  readonly module: AnyModuleDefinition;
  readonly store: ConnectionStore;
  /** The account-URL policy (normalizes, or says why not). */
  checkAccountUrl(input: string): AccountUrlCheck;
  /** A client for one account, sharing the process's transport and rate limiter. */
  openCrm(accountUrl: AccountUrl, apiKey: string): CrmClient;
  /** A new, unguessable clientId. */
  newClientId(): string;
  /** Step 6: where to send the person after connecting. */
  redirectAfterConnect(connection: Connection): string;
  readonly logger: FlowLogger;
}

export const silentLogger: FlowLogger = { info() {}, warn() {}, error() {} };
