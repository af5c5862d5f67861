import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { resolveEmulatorOptions } from './options.js';

describe('emulator options', () => {
  it('defaults to a free port on 127.0.0.1 with the CRM rate limit, and freezes the result', () => {
    const options = resolveEmulatorOptions();
    assert.equal(options.port, 0);
    assert.equal(options.host, '127.0.0.1');
    assert.deepEqual(options.rateLimit, { perSecond: 10, telephonyPerSecond: 40, by: 'ip' });
    assert.ok(Object.isFrozen(options) && Object.isFrozen(options.rateLimit));
    assert.equal(resolveEmulatorOptions({ rateLimit: false }).rateLimit, null);
    assert.equal(typeof options.now(), 'number');
    assert.equal(resolveEmulatorOptions({ now: () => 42 }).now(), 42);
  });

  it('reports every problem at once', () => {
    assert.throws(
      () =>
        resolveEmulatorOptions({ port: -1, rateLimit: { perSecond: 0, by: 'user' as never }, callbackTimeoutMs: 0, now: 5 as never }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 5,
    );
  });
});
