/**
 * A {@link RateLimiter} shared by every instance of a module through Redis: the per-account budget (PROTOCOL §18)
 * holds for the fleet, not per process, and a 503 one instance earns pauses the account for all of them.
 *
 * Each key is a sorted set of permits scored by the Redis-clock time at which they stop counting: an in-flight
 * permit counts until its lease ends (a crashed instance cannot hold a budget forever), a released one until one
 * window after the request finished — the same "finish-to-start" rule as the in-memory limiter, so no window the
 * CRM can count holds more than `limit` of the fleet's requests. Every decision is one Lua script on the Redis
 * clock, so instances with skewed clocks still agree. Why Redis and not PostgreSQL: docs/fleet.md (measured).
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimit, RateLimiter, RateLimitPermit } from './rate-limiter.js';
import { createMemoryRateLimiter } from './rate-limiter.js';

export interface RedisRateLimiterOptions {
  /**
   * A connected ioredis client; the limiter never closes it. Give it `enableAutoPipelining: true`: every permit is
   * two scripts, and with it the permits of calls made in the same tick share one socket write (docs/guide/fleet.md).
   */
  readonly redis: Redis;
  /** Key prefix, so several modules can share one Redis. Default `rmk:rl:`. */
  readonly prefix?: string;
  /** How long an unreleased permit counts (an instance killed mid-request). Default 30 s (> the 15 s request timeout). */
  readonly leaseMs?: number;
  /** How often a waiter asks again while every permit is in flight. Default 20 ms. */
  readonly pollMs?: number;
  /**
   * When Redis fails: `'local'` (default) keeps serving on an in-process limiter and reports it through
   * `degraded()`; `'fail'` rejects the request.
   */
  readonly onRedisError?: 'local' | 'fail';
  readonly logger?: { warn(object: Record<string, unknown>, message: string): void };
}

export interface RedisRateLimiter extends RateLimiter {
  backOff(key: string, ms: number): Promise<void>;
  /** True while the last Redis call failed and permits come from the in-process fallback. */
  degraded(): boolean;
  /** Asks Redis now (for `/health`): `degraded` when it does not answer within `timeoutMs`. */
  health(timeoutMs?: number): Promise<'ok' | 'degraded'>;
}

// KEYS[1] permits zset, KEYS[2] pause key. ARGV: limit, windowMs, leaseMs, member.
// Returns {1, 0} granted, or {0, waitMs}.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], lease + window)
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(first[2]) - now
if wait > window then wait = -1 end
return {0, wait}
`;

// KEYS[1] permits zset. ARGV: member, windowMs (0: the request was never sent, drop the permit).
const RELEASE = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
local window = tonumber(ARGV[2])
if window == 0 then return redis.call('ZREM', KEYS[1], ARGV[1]) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + window, ARGV[1])
if redis.call('PTTL', KEYS[1]) < window then redis.call('PEXPIRE', KEYS[1], window) end
return 1
`;

// KEYS[1] pause key. ARGV: ms.
const PAUSE = `
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 1
`;

interface Script {
  readonly body: string;
  readonly sha: string;
}
const script = (body: string): Script => ({ body, sha: createHash('sha1').update(body).digest('hex') });
const SCRIPTS = { acquire: script(ACQUIRE), release: script(RELEASE), pause: script(PAUSE) };

/** EVALSHA (the script's hash, not its text, on every call), loading the script on the first NOSCRIPT. */
async function runScript(redis: Redis, which: Script, keys: number, ...args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(which.sha, keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(which.body, keys, ...args);
  }
}

interface Waiter {
  readonly limit: RateLimit;
  readonly signal: AbortSignal | undefined;
  resolve(permit: RateLimitPermit): void;
  reject(reason: unknown): void;
}

/**
 * Builds the shared limiter. Callers of one process queue locally per key (first come, first served), and only
 * the head of each queue talks to Redis, so a burst of a thousand calls costs one round trip per granted permit.
 * @example
 * const limiter = createRedisRateLimiter({ redis: new Redis(process.env.REDIS_URL!, { enableAutoPipelining: true }) });
 * const transport = createCrmTransport({ rateLimiter: limiter });
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const { redis } = options;
  const prefix = options.prefix ?? 'rmk:rl:';
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 20;
  const onRedisError = options.onRedisError ?? 'local';
  const local = createMemoryRateLimiter();
  const queues = new Map<string, Waiter[]>();
  let failing = false;

  const noteFailure = (error: unknown): void => {
    if (!failing) options.logger?.warn({ err: { code: (error as { code?: unknown }).code } }, 'rate limiter: Redis unavailable');
    failing = true;
  };

  const permitKey = (key: string) => `${prefix}${key}`;
  const pauseKey = (key: string) => `${prefix}${key}:pause`;

  const remotePermit = (key: string, member: string, windowMs: number): RateLimitPermit & { cancel(): void } => {
    let done = false;
    const finish = (window: number) => {
      if (done) return;
      done = true;
      runScript(redis, SCRIPTS.release, 1, permitKey(key), member, window).catch(noteFailure);
    };
    return { release: () => finish(windowMs), cancel: () => finish(0) };
  };

  async function serve(key: string, queue: Waiter[]): Promise<void> {
    while (queue.length > 0) {
      const head = queue[0]!;
      if (head.signal?.aborted) {
        queue.shift();
        head.reject(head.signal.reason);
        continue;
      }
      const member = `${Date.now().toString(36)}.${randomBytes(6).toString('base64url')}`;
      let answer: [number, number];
      try {
        answer = (await runScript(redis, SCRIPTS.acquire, 2, permitKey(key), pauseKey(key), head.limit.limit, head.limit.windowMs, leaseMs, member)) as [number, number];
        failing = false;
      } catch (error) {
        noteFailure(error);
        queue.shift();
        if (onRedisError === 'fail') head.reject(error);
        else local.acquire(key, head.limit, head.signal).then(head.resolve, head.reject);
        continue;
      }
      const [granted, wait] = answer;
      if (granted === 1) {
        queue.shift();
        const permit = remotePermit(key, member, head.limit.windowMs);
        if (head.signal?.aborted) {
          permit.cancel();
          head.reject(head.signal.reason);
        } else {
          head.resolve({ release: permit.release });
        }
        continue;
      }
      await pause(wait < 0 ? pollMs : Math.max(1, Math.min(wait, head.limit.windowMs)), head.signal);
    }
    queues.delete(key);
  }

  return {
    degraded: () => failing,
    async health(timeoutMs = 500) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([redis.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
        return failing ? 'degraded' : 'ok';
      } catch {
        return 'degraded';
      } finally {
        clearTimeout(timer);
      }
    },
    acquire(key, limit, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<RateLimitPermit>((resolve, reject) => {
        let queue = queues.get(key);
        const fresh = queue === undefined;
        if (queue === undefined) {
          queue = [];
          queues.set(key, queue);
        }
        const waiter: Waiter = { limit, signal, resolve, reject };
        queue.push(waiter);
        // A waiter behind the head leaves at once on abort; the head is woken from its pause by the same signal.
        const target = queue;
        signal?.addEventListener(
          'abort',
          () => {
            const index = target.indexOf(waiter);
            if (index > 0) {
              target.splice(index, 1);
              reject(signal.reason);
            }
          },
          { once: true },
        );
        if (fresh) void serve(key, queue);
      });
    },
    async backOff(key, ms) {
      if (!(ms > 0)) return;
      try {
        await runScript(redis, SCRIPTS.pause, 1, pauseKey(key), Math.ceil(ms));
      } catch (error) {
        noteFailure(error);
      }
    },
  };
}

/** Resolves after `ms`, or early when `signal` aborts (the loop then sees the abort and rejects the waiter). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
