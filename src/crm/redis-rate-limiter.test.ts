/**
 * The shared limiter against the real Redis (127.0.0.1:6379) and the emulator's own limiter: three "instances"
 * (three transports, three Redis connections) hitting one account never earn a 503, where three in-process
 * limiters do; a 503 seen by one instance pauses the account for the others; a permit of a killed instance
 * stops counting after its lease; with Redis gone, requests are still served (degraded).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { ApiPath } from '../protocol/index.js';
import { createMemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
import { createRedisRateLimiter } from './redis-rate-limiter.js';
import { createCrmTransport, type CrmTransport } from './transport.js';
import type { AccountUrl } from './types.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let emulator: EmulatorHandle;
const clients: Redis[] = [];
const transports: CrmTransport[] = [];

before(async () => {
  emulator = await startEmulator({ port: 0, rateLimit: { perSecond: 5 } });
});
after(async () => {
  await Promise.all(transports.map((t) => t.close()));
  for (const client of clients) client.disconnect();
  await emulator.close();
});

const redis = (): Redis => {
  // As limiterFromEnv and the fleet guide make it: the configuration we recommend is the one tested.
  const client = new Redis(REDIS_URL, { lazyConnect: false, enableAutoPipelining: true });
  clients.push(client);
  return client;
};
const transportWith = (rateLimiter: RateLimiter): CrmTransport => {
  const t = createCrmTransport({
    accountUrlPolicy: { allowLocal: true },
    rateLimiter,
    rateLimits: { default: { limit: 5, windowMs: 1000 }, telephony: { limit: 40, windowMs: 1000 } },
  });
  transports.push(t);
  return t;
};

/** Sends `perInstance` credentials calls from each transport at once; the emulator's statuses. */
async function burst(instances: CrmTransport[], perInstance: number, account: { url: string; apiKey: string }): Promise<number[]> {
  const calls = instances.flatMap((t) =>
    Array.from({ length: perInstance }, () =>
      t.request({ accountUrl: account.url as AccountUrl, method: 'GET', path: ApiPath.credentials, apiKey: account.apiKey }),
    ),
  );
  return (await Promise.all(calls)).map((r) => r.status);
}

describe('Redis rate limiter (fleet-wide budget)', () => {
  it('three instances share one budget: the CRM never answers 503, where per-process limiters do', async () => {
    const prefix = `rmk:test:${randomUUID()}:`;
    const shared = [0, 1, 2].map(() => transportWith(createRedisRateLimiter({ redis: redis(), prefix })));
    const account = emulator.createAccount({ name: `shared${Date.now() % 100000}` });
    const statuses = await burst(shared, 4, account);
    assert.deepEqual([...new Set(statuses)], [200], `statuses ${statuses.join(',')}`);
    assert.equal(emulator.requests(account.name.toLowerCase()).filter((r) => r.status === 503).length, 0);

    // Control: the same burst with a limiter per process overshoots the account's budget (3 × 5 at once).
    const separate = [0, 1, 2].map(() => transportWith(createMemoryRateLimiter()));
    const other = emulator.createAccount({ name: `separate${Date.now() % 100000}` });
    const control = await burst(separate, 5, other);
    assert.ok(control.includes(503), 'per-process limiters let the fleet exceed the budget');
  });

  it('a 503 seen by one instance pauses the account for every instance', async () => {
    const prefix = `rmk:test:${randomUUID()}:`;
    const first = createRedisRateLimiter({ redis: redis(), prefix });
    const second = createRedisRateLimiter({ redis: redis(), prefix });
    const account = emulator.createAccount({ name: `paused${Date.now() % 100000}` });
    emulator.addFault({ account: account.name.toLowerCase(), path: ApiPath.credentials, status: 503, body: '<html>503</html>', contentType: 'text/html', times: 1 });
    const response = await transportWith(first).request({
      accountUrl: account.url as AccountUrl, method: 'GET', path: ApiPath.credentials, apiKey: account.apiKey,
    });
    assert.equal(response.status, 503);
    // The other instance is held back: a short wait gives up, a wait past the window is served.
    const limit = { limit: 5, windowMs: 1000 };
    const key = `${account.url}|default`;
    await assert.rejects(second.acquire(key, limit, AbortSignal.timeout(150)));
    const permit = await second.acquire(key, limit, AbortSignal.timeout(5000));
    permit.release();
    // An unrelated account is not paused.
    (await second.acquire(`${account.url}x|default`, limit, AbortSignal.timeout(150))).release();
  });

  it('finish-to-start: request i+limit starts a full window after request i finished, across limiters', async () => {
    const prefix = `rmk:test:${randomUUID()}:`;
    const limiters = [0, 1, 2].map(() => createRedisRateLimiter({ redis: redis(), prefix }));
    const limit = { limit: 3, windowMs: 200 };
    const events: { start: number; end: number }[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const permit = await limiters[i % 3]!.acquire('k', limit);
        const start = performance.now();
        await new Promise((r) => setTimeout(r, 5));
        const end = performance.now();
        permit.release();
        events.push({ start, end });
      }),
    );
    // Any window of 200 ms (between a finish and a later start) holds at most 3 requests: sort by start and
    // check that the (i+3)th started after the ith finished + window, minus a little clock slack.
    events.sort((a, b) => a.start - b.start);
    const ends = events.map((e) => e.end).sort((a, b) => a - b);
    for (let i = limit.limit; i < events.length; i += 1) {
      assert.ok(events[i]!.start >= ends[i - limit.limit]! + limit.windowMs - 5, `request ${i} too early`);
    }
  });

  it("a permit never released (instance killed) stops counting after its lease", async () => {
    const prefix = `rmk:test:${randomUUID()}:`;
    const dead = createRedisRateLimiter({ redis: redis(), prefix, leaseMs: 300 });
    const alive = createRedisRateLimiter({ redis: redis(), prefix, leaseMs: 300 });
    const limit = { limit: 1, windowMs: 100 };
    await dead.acquire('k', limit); // never released
    await assert.rejects(alive.acquire('k', limit, AbortSignal.timeout(100)));
    (await alive.acquire('k', limit, AbortSignal.timeout(3000))).release();
  });

  it('an aborted waiter behind the head leaves at once and holds nothing', async () => {
    const prefix = `rmk:test:${randomUUID()}:`;
    const limiter = createRedisRateLimiter({ redis: redis(), prefix });
    const limit = { limit: 1, windowMs: 300 };
    const held = await limiter.acquire('k', limit);
    const controller = new AbortController();
    const head = limiter.acquire('k', limit);
    const behind = limiter.acquire('k', limit, controller.signal);
    controller.abort(new Error('deadline'));
    await assert.rejects(behind, /deadline/);
    held.release();
    (await head).release();
  });

  it('with Redis unreachable it keeps serving on the in-process fallback and says so', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => undefined);
    const limiter = createRedisRateLimiter({ redis: down, prefix: 'rmk:test:down:' });
    const permit = await limiter.acquire('k', { limit: 2, windowMs: 100 }, AbortSignal.timeout(3000));
    permit.release();
    assert.equal(limiter.degraded(), true);
    const strict = createRedisRateLimiter({ redis: down, prefix: 'rmk:test:down:', onRedisError: 'fail' });
    await assert.rejects(strict.acquire('k', { limit: 2, windowMs: 100 }));
    down.disconnect();
  });
});
