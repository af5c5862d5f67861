/**
 * Declared per-connection jobs (STYLE B6): a job is data — an interval, an optional cursor schema, a retry
 * policy — plus the function that does one run for one connection. Checked once; every problem is reported
 * together, by path (B4).
 * @module
 */
import { z } from 'zod';
import type { CrmClient } from '../crm/types.js';
import { ConfigError } from '../errors.js';
import type { Connection } from '../store/types.js';

/** A flat cursor: what a run saves so the next run continues where it stopped. */
export type CursorShape = Readonly<Record<string, z.ZodType<string | number | boolean | null | undefined>>>;

export interface JobRunContext<Cursor> {
  readonly connection: Connection;
  /** A client for this connection's account, sharing the module's transport and its rate limit. */
  readonly crm: CrmClient;
  /** What the last run saved (`null` on the first run, or when what is stored no longer parses). */
  readonly cursor: Cursor | null;
  /** Saves the cursor now (mid-run), so a run that fails later keeps the progress it made. */
  saveCursor(cursor: Cursor): Promise<void>;
  /** Aborts when the module shuts down or the run exceeds its time limit: stop and return (or throw). */
  readonly signal: AbortSignal;
  /** Which try this is: 1 for the first, 2 for the first retry… */
  readonly attempt: number;
}

export interface RetryPolicyInput {
  /** Retries after the first failure before the connection's job goes `dead`. Default 3. */
  readonly limit?: number;
  /** Default `exponential` (delay × 2^n, with jitter); `fixed` waits `delay` each time. */
  readonly backoff?: 'exponential' | 'fixed';
  /** First delay, as a duration (`'10s'`) or milliseconds. Default `'10s'`. */
  readonly delay?: string | number;
}

export interface JobInput<Cursor = Readonly<Record<string, unknown>>> {
  /** How often, per connection: `'30s'`, `'5m'`, `'1h'`, `'1d'` or milliseconds. At least 30 s. */
  readonly every: string | number;
  /**
   * A connection's own interval (from its settings, say), beside the declared default: a duration, or
   * `undefined` for `every`. Shorter than `every` counts as `every` (the fleet checks once per `every`).
   */
  readonly everyFor?: (connection: Connection) => string | number | undefined;
  /** The cursor's zod object (flat); without it the cursor is whatever JSON the run saved. */
  readonly cursor?: z.ZodType<Cursor>;
  readonly retry?: RetryPolicyInput;
  /** A run longer than this is aborted and counts as a failure. Default: `every`, at most 15 minutes. */
  readonly timeout?: string | number;
  run(context: JobRunContext<Cursor>): Promise<void>;
}

export interface JobDefinition {
  readonly name: string;
  readonly everyMs: number;
  readonly everyFor: ((connection: Connection) => string | number | undefined) | undefined;
  readonly cursor: z.ZodType | undefined;
  readonly retry: { readonly limit: number; readonly backoff: 'exponential' | 'fixed'; readonly delayMs: number };
  readonly timeoutMs: number;
  readonly run: (context: JobRunContext<never>) => Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobsInput = Readonly<Record<string, JobInput<any>>>;

/** Types one job's cursor from its schema (inside `jobs: { … }` the cursor is otherwise untyped). */
export function defineJob<Cursor>(job: JobInput<Cursor>): JobInput<Cursor> {
  return job;
}

/** Job names become queue names and table keys: keep them plain. */
const JOB_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;
const MIN_EVERY_MS = 30_000;
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `'5m'` → 300000; `undefined` when it does not parse. Plain numbers are milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS[match[2]!]!;
  return ms > 0 ? Math.round(ms) : undefined;
}

/**
 * Checks the `jobs` of a module and returns them frozen. Throws one `ConfigError` naming every problem.
 * @example
 * const jobs = defineJobs({
 *   syncOrders: { every: '5m', cursor: z.object({ sinceId: z.number() }), run: async ({ crm, cursor, saveCursor }) => {} },
 * });
 */
export function defineJobs(input: JobsInput, options: { readonly minEveryMs?: number } = {}): readonly JobDefinition[] {
  const problems: string[] = [];
  const minEvery = options.minEveryMs ?? MIN_EVERY_MS;
  const jobs: JobDefinition[] = [];
  for (const [name, job] of Object.entries(input ?? {})) {
    const at = `jobs.${name}`;
    if (!JOB_NAME.test(name)) problems.push(`${at}: a job name is a letter, then letters, digits or "_" (up to 63)`);
    if (job === null || typeof job !== 'object') {
      problems.push(`${at} must be an object with every and run`);
      continue;
    }
    const everyMs = job.every === undefined ? undefined : parseDuration(job.every);
    if (everyMs === undefined) problems.push(`${at}.every must be a duration such as '30s', '5m', '1h' or milliseconds`);
    else if (everyMs < minEvery) problems.push(`${at}.every must be at least ${minEvery / 1000} s`);
    if (typeof job.run !== 'function') problems.push(`${at}.run must be a function`);
    if (job.everyFor !== undefined && typeof job.everyFor !== 'function') problems.push(`${at}.everyFor must be a function of the connection`);
    if (job.cursor !== undefined && !(job.cursor instanceof z.ZodType)) problems.push(`${at}.cursor must be a zod schema`);
    const limit = job.retry?.limit ?? 3;
    if (!Number.isInteger(limit) || limit < 0 || limit > 20) problems.push(`${at}.retry.limit must be a whole number from 0 to 20`);
    const backoff = job.retry?.backoff ?? 'exponential';
    if (backoff !== 'exponential' && backoff !== 'fixed') problems.push(`${at}.retry.backoff must be 'exponential' or 'fixed'`);
    const delayMs = parseDuration(job.retry?.delay ?? '10s');
    if (delayMs === undefined) problems.push(`${at}.retry.delay must be a duration such as '10s'`);
    const timeoutMs = job.timeout === undefined ? Math.min(everyMs ?? 0, 15 * 60_000) : parseDuration(job.timeout);
    if (timeoutMs === undefined) problems.push(`${at}.timeout must be a duration such as '2m'`);
    jobs.push(
      Object.freeze({
        name,
        everyMs: everyMs ?? 0,
        everyFor: job.everyFor,
        cursor: job.cursor as z.ZodType | undefined,
        retry: Object.freeze({ limit, backoff, delayMs: delayMs ?? 0 }),
        timeoutMs: timeoutMs ?? 0,
        run: job.run as JobDefinition['run'],
      }),
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(jobs);
}

/** The delay before retry `n` (1-based) under `policy`; exponential doubles with up to 20 % jitter. */
export function retryDelayMs(policy: JobDefinition['retry'], retry: number, random: () => number = Math.random): number {
  if (policy.backoff === 'fixed') return policy.delayMs;
  const base = policy.delayMs * 2 ** Math.max(0, retry - 1);
  return Math.round(base * (1 + 0.2 * random()));
}
