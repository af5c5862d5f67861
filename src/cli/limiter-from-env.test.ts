/** The fleet-wide limiter `start` and `fleet` take from REDIS_URL, against the real Redis. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { limiterFromEnv } from './limiter-from-env.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('limiterFromEnv', () => {
  it('is none without REDIS_URL: each process counts for itself', () => {
    const limiter = limiterFromEnv({});
    assert.equal(limiter.rateLimiter, undefined);
    limiter.close();
  });

  it('counts permits in Redis under REDIS_RATE_PREFIX, where every instance sees them', async () => {
    const prefix = `rcmk-test-${randomUUID()}:`;
    const limiter = limiterFromEnv({ REDIS_URL, REDIS_RATE_PREFIX: prefix });
    const probe = new Redis(REDIS_URL);
    try {
      assert.ok(limiter.rateLimiter);
      const permit = await limiter.rateLimiter.acquire('https://demo.retailcrm.ru', { limit: 10, windowMs: 1000 });
      const keys = await probe.keys(`${prefix}*`);
      assert.ok(keys.length > 0, 'the permit is kept in Redis under the prefix');
      permit.release();
    } finally {
      limiter.close();
      const keys = await probe.keys(`${prefix}*`);
      if (keys.length > 0) await probe.del(...keys);
      probe.disconnect();
    }
  });
});
