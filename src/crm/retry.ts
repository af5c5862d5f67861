/**
 * Retry policies, named for what they do (STYLE L4), and the one function that decides the next wait.
 *
 * What is retried (decided in `client.ts` from the endpoint's `retry` mode and the error's class):
 * - every GET, and `integration-modules/{code}/edit`, on no answer, 5xx, 503 and 429. `edit` is an upsert
 *   keyed by `code`: sending the same module twice leaves the account exactly as sending it once (PROTOCOL §7),
 *   so a retry after a lost answer is harmless. The only visible difference is the status of the last answer
 *   (201 first, 200 after), which is why `EditResult.created` may read `false` after a retried first save;
 * - `update-scopes` only when the request surely never reached the application (rate-limited at the CRM's
 *   front, or a DNS/connect/TLS failure): it issues a new API key, and a blind resend could issue two;
 * - never on an answer that means "your input is wrong" (unknown account, key, rights, validation, payment):
 *   the same request would get the same answer.
 * @module
 */
import type { CrmError } from './errors.js';

export interface RetryPolicy {
  /** Shown in logs. */
  readonly name: string;
  /** Attempts after the first. */
  readonly retries: number;
  /** Wait before the first retry; doubled (`factor`) for each next one, up to `maxDelayMs`. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** 0…1: the share of each wait that is random (0.5 → between 50 % and 100 % of the computed wait). */
  readonly jitter: number;
  /** The whole call, every attempt and wait included, ends by then with the last error or a TimeoutError. */
  readonly deadlineMs: number;
  /**
   * The least wait after a rate-limited answer without `Retry-After`: the CRM counts requests per second
   * (PROTOCOL §18), so retrying sooner mostly earns another 503.
   */
  readonly rateLimitedMinDelayMs: number;
  /** The most a `Retry-After` may make us wait; longer asks end the call instead. */
  readonly maxRetryAfterMs: number;
}

/** The default for calls a person waits on: waits of ~0.3, 0.6, 1.2 and 2.4 s (4.5 s in all), 15 s deadline. */
export const fourRetriesInAboutFiveSeconds: RetryPolicy = Object.freeze({
  name: 'fourRetriesInAboutFiveSeconds',
  retries: 4,
  minDelayMs: 300,
  maxDelayMs: 2_400,
  factor: 2,
  jitter: 0.5,
  deadlineMs: 15_000,
  rateLimitedMinDelayMs: 1_000,
  maxRetryAfterMs: 10_000,
});

/** For background jobs that can wait: ten retries, waits growing to 15 s, about a minute in all. */
export const tenRetriesInAboutOneMinute: RetryPolicy = Object.freeze({
  name: 'tenRetriesInAboutOneMinute',
  retries: 10,
  minDelayMs: 500,
  maxDelayMs: 15_000,
  factor: 2,
  jitter: 0.5,
  deadlineMs: 90_000,
  rateLimitedMinDelayMs: 1_000,
  maxRetryAfterMs: 30_000,
});

/** One attempt only. */
export const noRetries: RetryPolicy = Object.freeze({
  name: 'noRetries',
  retries: 0,
  minDelayMs: 0,
  maxDelayMs: 0,
  factor: 1,
  jitter: 0,
  deadlineMs: 30_000,
  rateLimitedMinDelayMs: 0,
  maxRetryAfterMs: 0,
});

/** For tests: four retries with no waiting (but `Retry-After` still honoured). */
export const rapidRetriesForTests: RetryPolicy = Object.freeze({
  name: 'rapidRetriesForTests',
  retries: 4,
  minDelayMs: 0,
  maxDelayMs: 0,
  factor: 1,
  jitter: 0,
  deadlineMs: 10_000,
  rateLimitedMinDelayMs: 0,
  maxRetryAfterMs: 5_000,
});

export const retryPolicies = Object.freeze({
  fourRetriesInAboutFiveSeconds,
  tenRetriesInAboutOneMinute,
  noRetries,
  rapidRetriesForTests,
});

/**
 * How long to wait before retry number `retry` (0-based) after `error`, or `undefined` to stop: no retries left,
 * a `Retry-After` longer than the policy accepts, or a wait that would end past the deadline.
 * `Retry-After` wins over the computed backoff when it is longer.
 */
export function nextDelayMs(
  policy: RetryPolicy,
  retry: number,
  error: Pick<CrmError, 'retryAfterMs' | 'code'>,
  remainingMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (retry >= policy.retries) return undefined;
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** retry);
  let delay = base * (1 - policy.jitter * random());
  if (error.code === 'RCMK_RATE_LIMITED') delay = Math.max(delay, policy.rateLimitedMinDelayMs);
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxRetryAfterMs) return undefined;
    delay = Math.max(delay, error.retryAfterMs);
  }
  delay = Math.round(delay);
  return delay < remainingMs ? delay : undefined;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
