import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryRateLimiter } from './rate-limiter.js';

const limit = { limit: 5, windowMs: 200 };

describe('memory rate limiter', () => {
  it('never lets more than `limit` requests finish-to-start within one window, per key', async () => {
    const limiter = createMemoryRateLimiter();
    const started: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 15 }, async () => {
        const permit = await limiter.acquire('a', limit);
        started.push(performance.now() - t0);
        await sleep(5);
        permit.release();
      }),
    );
    started.sort((x, y) => x - y);
    // Request i+5 may start only a window after request i finished: ≥ 200 ms later.
    for (let i = 5; i < started.length; i += 1) assert.ok(started[i]! - started[i - 5]! >= 199, `gap ${started[i]! - started[i - 5]!}`);
    assert.ok(started[14]! >= 400, 'three windows');
  });

  it('keys do not wait on each other', async () => {
    // A budget that refills only after a minute: had the 10 keys one budget between them, the 6th acquire would
    // wait 60 s and the signal would abort it. Asserted on behaviour, not on time, so a slow machine cannot fail it.
    const limiter = createMemoryRateLimiter();
    const slow = { limit: 5, windowMs: 60_000 };
    const signal = AbortSignal.timeout(10_000);
    await Promise.all(
      Array.from({ length: 10 }, async (_, account) => {
        for (let i = 0; i < 5; i += 1) (await limiter.acquire(`acc-${account}`, slow, signal)).release();
      }),
    );
    // Control: the 6th on one key does wait (so the loop above would have noticed a shared budget).
    await assert.rejects(limiter.acquire('acc-0', slow, AbortSignal.timeout(50)));
  });

  it('an aborted wait rejects, frees its place, and idle keys are forgotten', async () => {
    const limiter = createMemoryRateLimiter();
    for (let i = 0; i < 5; i += 1) (await limiter.acquire('b', limit)).release();
    const controller = new AbortController();
    const waiting = limiter.acquire('b', limit, controller.signal);
    controller.abort(new Error('deadline'));
    await assert.rejects(waiting, /deadline/);
    const next = await limiter.acquire('b', limit);
    next.release();
    next.release(); // idempotent
    assert.equal(limiter.size(), 1);
    await sleep(450);
    assert.equal(limiter.size(), 0);
  });
});
