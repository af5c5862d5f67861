import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmulatorRateLimiter } from './rate-limit.js';

describe('rate limiter (sliding window)', () => {
  const options = { perSecond: 10, telephonyPerSecond: 40, by: 'ip' as const };

  it('accepts the limit within one second and refuses the next', () => {
    const limiter = createEmulatorRateLimiter(options);
    const results = Array.from({ length: 12 }, (_, i) => limiter.allow('demo', '1.1.1.1', false, 1000 + i));
    assert.deepEqual(results, [...Array(10).fill(true), false, false]);
  });

  it('has no burst at a window edge: 10 at t=999 leave no room at t=1001', () => {
    const limiter = createEmulatorRateLimiter(options);
    for (let i = 0; i < 10; i++) assert.ok(limiter.allow('demo', 'ip', false, 999));
    assert.equal(limiter.allow('demo', 'ip', false, 1001), false);
    assert.equal(limiter.allow('demo', 'ip', false, 1999), true);
  });

  it('keeps separate budgets per account, per source and for telephony', () => {
    const limiter = createEmulatorRateLimiter(options);
    for (let i = 0; i < 10; i++) limiter.allow('a', 'ip', false, 0);
    assert.equal(limiter.allow('a', 'ip', false, 1), false);
    assert.equal(limiter.allow('b', 'ip', false, 1), true);
    assert.equal(limiter.allow('a', 'other-ip', false, 1), true);
    const telephony = Array.from({ length: 41 }, () => limiter.allow('a', 'ip', true, 2));
    assert.equal(telephony.filter(Boolean).length, 40);
  });

  it('sweeps idle buckets', () => {
    const limiter = createEmulatorRateLimiter(options);
    limiter.allow('a', 'ip', false, 0);
    limiter.allow('b', 'ip', false, 900);
    limiter.sweep(1500);
    assert.equal(limiter.size, 1);
  });
});
