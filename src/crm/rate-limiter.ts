/**
 * Client-side rate limiting, so a module never earns the CRM's 503 by itself (PROTOCOL §18: 10 requests/s,
 * 40/s for telephony). The transport asks a {@link RateLimiter} for a permit before each request and gives it
 * back when the answer (or the failure) arrives.
 *
 * The interface is small on purpose: an implementation shared between instances (Redis, PostgreSQL) only has to
 * grant at most `limit` permits per `windowMs` for a key.
 * @module
 */
import { performance } from 'node:perf_hooks';

export interface RateLimit {
  /** At most this many requests … */
  readonly limit: number;
  /** … in any window of this many milliseconds. */
  readonly windowMs: number;
}

/** A granted request slot; `release()` once the request has finished (idempotent). */
export interface RateLimitPermit {
  release(): void;
}

export interface RateLimiter {
  /**
   * Resolves when one more request under `key` fits in `limit`, in the order callers asked. Rejects with the
   * signal's reason if `signal` aborts first (the caller's deadline), and then holds no permit.
   */
  acquire(key: string, limit: RateLimit, signal?: AbortSignal): Promise<RateLimitPermit>;
  /**
   * Optional: the CRM itself answered `key` with 503/429, so grant nothing under it for `ms` (the longer of this
   * and a pause already set). A shared limiter pauses the account for every instance; the transport calls it.
   */
  backOff?(key: string, ms: number): Promise<void> | void;
}

interface Waiter {
  resolve(permit: RateLimitPermit): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Bucket {
  readonly limit: RateLimit;
  inFlight: number;
  /** Monotonic times at which finished requests returned their token; each comes back `windowMs` later. */
  readonly returned: number[];
  readonly queue: Waiter[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * An in-process token bucket of `limit` tokens per key, where a token spent on a request comes back exactly one
 * window after that request *finished*. That is stricter than a bucket refilled at a constant rate, and it is
 * what makes the guarantee hold at the CRM: the CRM saw a request no later than we saw its answer, so no
 * window the CRM can count (sliding, fixed, or its own token bucket) ever holds more than `limit` of ours.
 * Idle keys are forgotten, so memory follows the number of busy accounts, not of all accounts.
 */
export function createMemoryRateLimiter(now: () => number = () => performance.now()): RateLimiter & {
  /** Keys with state (in flight, recently used or waiting); for tests and metrics. */
  readonly size: () => number;
} {
  const buckets = new Map<string, Bucket>();

  const pump = (key: string, bucket: Bucket): void => {
    const t = now();
    while (bucket.returned.length > 0 && (bucket.returned[0] ?? 0) + bucket.limit.windowMs <= t) bucket.returned.shift();
    while (bucket.queue.length > 0 && bucket.inFlight + bucket.returned.length < bucket.limit.limit) {
      const waiter = bucket.queue.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      bucket.inFlight += 1;
      waiter.resolve(permitFor(key, bucket));
    }
    // Wake up when the oldest token comes back: to serve the queue, or (idle) to forget the key.
    const waiting = bucket.queue.length > 0 || bucket.inFlight === 0;
    if (waiting && bucket.timer === undefined && bucket.returned.length > 0) {
      const wait = Math.max(0, (bucket.returned[0] ?? t) + bucket.limit.windowMs - t);
      bucket.timer = setTimeout(() => {
        bucket.timer = undefined;
        pump(key, bucket);
      }, Math.ceil(wait));
    }
    // A queued caller must keep the process alive; a timer that only forgets an idle key must not.
    if (bucket.timer !== undefined) {
      if (bucket.queue.length > 0) bucket.timer.ref();
      else bucket.timer.unref();
    }
    if (bucket.queue.length === 0 && bucket.inFlight === 0 && bucket.returned.length === 0 && bucket.timer === undefined) {
      buckets.delete(key);
    }
  };

  const permitFor = (key: string, bucket: Bucket): RateLimitPermit => {
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        bucket.inFlight -= 1;
        bucket.returned.push(now());
        pump(key, bucket);
      },
    };
  };

  return {
    size: () => buckets.size,
    acquire(key, limit, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { limit, inFlight: 0, returned: [], queue: [], timer: undefined };
        buckets.set(key, bucket);
      }
      const target = bucket;
      return new Promise<RateLimitPermit>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
        if (signal) {
          waiter.onAbort = () => {
            const index = target.queue.indexOf(waiter);
            if (index >= 0) target.queue.splice(index, 1);
            reject(signal.reason);
            pump(key, target);
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        target.queue.push(waiter);
        pump(key, target);
      });
    },
  };
}

/**
 * The limiter every transport uses unless given another: one per process, so all clients of one account share
 * one budget however many transports the application creates (the one deliberate singleton of `src/crm`).
 */
export const processRateLimiter: RateLimiter = createMemoryRateLimiter();
