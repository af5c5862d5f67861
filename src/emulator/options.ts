/**
 * Options of `startEmulator`, validated once (every problem reported together), normalized and frozen.
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError } from '../errors.js';
import { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.js';
import type { SeedInput } from './resource-control.js';

export interface EmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on; default 127.0.0.1 (the emulator is for one machine). */
  readonly host?: string;
  /** The CRM's request budget; `false` switches it off (benchmarks). Default 10/s, 40/s telephony, per IP. */
  readonly rateLimit?: Partial<RateLimitOptions> | false;
  /** true for Fastify's default pino logger, or a logger instance. Default: silent. API keys are never logged. */
  readonly logger?: boolean | FastifyBaseLogger;
  /** How long the activity callback may take before it counts as not delivered. Default 5,000 ms. */
  readonly callbackTimeoutMs?: number;
  /**
   * For tests: the rate limiter's clock, in milliseconds on a monotonic scale. Default `performance.now()`.
   * A frozen clock makes a burst deterministic (exactly the budget passes, however slowly a loaded machine
   * delivers the requests); a clock the test advances makes spacing exact.
   */
  readonly now?: () => number;
  /**
   * Accounts to create at start, by name, each with business data (reference lists, customers, orders, custom
   * fields, system settings) as `seed` takes it. Their keys: `createApiKey(name)`.
   */
  readonly seed?: Readonly<Record<string, SeedInput>>;
}

export interface ResolvedEmulatorOptions {
  readonly seed: Readonly<Record<string, SeedInput>>;
  readonly port: number;
  readonly host: string;
  readonly rateLimit: Readonly<RateLimitOptions> | null;
  readonly logger: boolean | FastifyBaseLogger;
  readonly callbackTimeoutMs: number;
  readonly now: () => number;
}

const isPositiveInt = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;

export function resolveEmulatorOptions(input: EmulatorOptions = {}): ResolvedEmulatorOptions {
  const problems: string[] = [];
  const port = input.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('port must be an integer from 0 to 65535');
  const host = input.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') problems.push('host must be a non-empty string');
  let rateLimit: RateLimitOptions | null = null;
  if (input.rateLimit !== false) {
    rateLimit = { ...DEFAULT_RATE_LIMIT, ...(input.rateLimit ?? {}) };
    if (!isPositiveInt(rateLimit.perSecond)) problems.push('rateLimit.perSecond must be a positive integer');
    if (!isPositiveInt(rateLimit.telephonyPerSecond)) problems.push('rateLimit.telephonyPerSecond must be a positive integer');
    if (rateLimit.by !== 'ip' && rateLimit.by !== 'key') problems.push('rateLimit.by must be "ip" or "key"');
  }
  const callbackTimeoutMs = input.callbackTimeoutMs ?? 5000;
  if (!isPositiveInt(callbackTimeoutMs)) problems.push('callbackTimeoutMs must be a positive integer');
  if (input.now !== undefined && typeof input.now !== 'function') problems.push('now must be a function returning milliseconds');
  if (input.seed !== undefined && (typeof input.seed !== 'object' || input.seed === null || Array.isArray(input.seed)))
    problems.push('seed must be an object of account name → data');
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    port,
    host,
    rateLimit: rateLimit === null ? null : Object.freeze(rateLimit),
    logger: input.logger ?? false,
    callbackTimeoutMs,
    now: input.now ?? (() => performance.now()),
    seed: input.seed ?? {},
  });
}
