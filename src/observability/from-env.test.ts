import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { observabilityFromEnv } from './from-env.js';

describe('observabilityFromEnv', () => {
  it('is off when nothing is set', () => {
    assert.equal(observabilityFromEnv({}), undefined);
  });

  it('turns metrics and tracing on from the variables', () => {
    const both = observabilityFromEnv({ METRICS_PORT: '0', RCMK_TRACING: 'on' });
    assert.ok(both?.metrics && both.telemetry);
    const pathOnly = observabilityFromEnv({ METRICS_PATH: '/internal/metrics', METRICS_TOKEN: 'a-long-enough-token-1234' });
    assert.ok(pathOnly?.metrics);
    const tracingOnly = observabilityFromEnv({ RCMK_TRACING: 'on' });
    assert.equal(tracingOnly?.metrics, undefined);
  });

  it('refuses metrics on the public port without a token, and bad values, naming every problem', () => {
    assert.throws(
      () => observabilityFromEnv({ METRICS_PATH: '/metrics', RCMK_TRACING: 'yes' }),
      (error: Error) => /METRICS_TOKEN is required/.test(error.message) && /RCMK_TRACING/.test(error.message),
    );
    assert.throws(() => observabilityFromEnv({ METRICS_PORT: 'abc' }), /METRICS_PORT must be a port number/);
    assert.throws(() => observabilityFromEnv({ METRICS_PORT: '9100', METRICS_TOKEN: 'short' }), /metrics\.token/);
  });
});
