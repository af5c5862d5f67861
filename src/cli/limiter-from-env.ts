/**
 * The fleet-wide rate limit from the environment, for `start` and `fleet`: with `REDIS_URL` every instance (and
 * the CLI) draws on the same per-account budgets in Redis (`REDIS_RATE_PREFIX`, default `rmk:rl:`); without it,
 * each process counts for itself.
 * @module
 */
import { Redis } from 'ioredis';
import { createRedisRateLimiter, type RedisRateLimiter } from '../crm/redis-rate-limiter.js';

export interface LimiterFromEnv {
  readonly rateLimiter: RedisRateLimiter | undefined;
  close(): void;
}

export function limiterFromEnv(env: NodeJS.ProcessEnv = process.env): LimiterFromEnv {
  if (!env.REDIS_URL) return { rateLimiter: undefined, close: () => {} };
  // Auto-pipelining: the permits many concurrent calls take in one tick share one socket write (bench/fleet.ts).
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  // Failures reach the limiter (it falls back to counting in process and says so in /health), not the log twice.
  redis.on('error', () => undefined);
  const rateLimiter = createRedisRateLimiter({ redis, ...(env.REDIS_RATE_PREFIX ? { prefix: env.REDIS_RATE_PREFIX } : {}) });
  return { rateLimiter, close: () => redis.disconnect() };
}
