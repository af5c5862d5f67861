/**
 * The CRM's request budget (PROTOCOL §18): 10 requests per second from one source IP per account, 40/s for
 * `/api/telephony/*`; beyond it the CRM's nginx answers 503 with an HTML page and no Retry-After.
 *
 * Algorithm: an exact sliding window. Each bucket keeps a ring of the times of its last `limit` accepted
 * requests; a request is accepted only if the oldest of them is at least one second old. So no window of one
 * second ever holds more than `limit` accepted requests, with no burst at window edges (unlike a fixed window).
 * Rejected requests do not consume budget (nginx's limit_req behaves the same).
 * @module
 */

export type RateLimitBy = 'ip' | 'key';

export interface RateLimitOptions {
  readonly perSecond: number;
  readonly telephonyPerSecond: number;
  readonly by: RateLimitBy;
}

export const DEFAULT_RATE_LIMIT: Readonly<RateLimitOptions> = Object.freeze({
  perSecond: 10,
  telephonyPerSecond: 40,
  by: 'ip',
});

const WINDOW_MS = 1000;

interface Bucket {
  readonly times: Float64Array;
  next: number;
  last: number;
}

/** The emulator's limiter (the system side); the CRM client's own limiter is `RateLimiter` in `src/crm/`. */
export interface EmulatorRateLimiter {
  readonly options: Readonly<RateLimitOptions>;
  /**
   * Records the request and says whether it fits the budget of `source` (IP or key) on `account`.
   * `now` defaults to the limiter's clock.
   */
  allow(account: string, source: string, telephony: boolean, now?: number): boolean;
  /** Drops buckets idle for longer than the window, so memory does not grow with distinct sources. */
  sweep(now?: number): void;
  readonly size: number;
}

/**
 * `clock` returns milliseconds on a monotonic scale (default `performance.now`); tests pass a frozen or stepped
 * clock so that what passes does not depend on how fast a loaded machine schedules the requests.
 */
export function createEmulatorRateLimiter(options: RateLimitOptions, clock: () => number = () => performance.now()): EmulatorRateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    options: Object.freeze({ ...options }),
    allow(account, source, telephony, now = clock()) {
      const id = `${account}\u0000${source}\u0000${telephony ? 't' : ''}`;
      let bucket = buckets.get(id);
      if (bucket === undefined) {
        const limit = telephony ? options.telephonyPerSecond : options.perSecond;
        // -Infinity: an empty slot is "infinitely old", so the first `limit` requests always pass.
        bucket = { times: new Float64Array(limit).fill(Number.NEGATIVE_INFINITY), next: 0, last: now };
        buckets.set(id, bucket);
      }
      const oldest = bucket.times[bucket.next] ?? Number.NEGATIVE_INFINITY;
      if (now - oldest < WINDOW_MS) return false;
      bucket.times[bucket.next] = now;
      bucket.next = (bucket.next + 1) % bucket.times.length;
      bucket.last = now;
      return true;
    },
    sweep(now = clock()) {
      for (const [id, bucket] of buckets) if (now - bucket.last >= WINDOW_MS) buckets.delete(id);
    },
    get size() {
      return buckets.size;
    },
  };
}

/** nginx's stock 503 page, which is what a rate-limited client of the real CRM receives. */
export const RATE_LIMITED_HTML =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n' +
  '<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
