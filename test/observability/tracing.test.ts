/**
 * Spans of a connect, through @opentelemetry/api with the SDK's in-memory exporter: a form connect and a simple
 * connection against the emulator produce their steps and CRM requests in order, as children of the connect,
 * and no secret (API key, clientId, module secret, token) appears in any span's name, attribute or status.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { request } from 'undici';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createObservability } from '../../src/observability/index.js';
import { simpleConnectionToken } from '../../src/protocol/index.js';
import { inputValue } from '../helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from '../helpers/module-harness.js';

const SECRET = 'partner-secret-for-traces';
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let h: Harness;

const started = (spans: readonly ReadableSpan[]) =>
  [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);

const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan) =>
  started(spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId));

function assertNoSecret(spans: readonly ReadableSpan[], secrets: readonly string[]) {
  for (const span of spans) {
    const text = JSON.stringify({ name: span.name, attributes: span.attributes, status: span.status, events: span.events });
    for (const secret of secrets) assert.ok(!text.includes(secret), `span ${span.name} carries no secret`);
  }
}

describe('traces of a connect', () => {
  before(async () => {
    h = await startHarness(
      { simpleConnection: { secret: SECRET } },
      { observability: createObservability({ tracing: { tracer: provider.getTracer('test') } }) },
    );
  });
  after(async () => {
    await h.close();
    await provider.shutdown();
  });
  beforeEach(() => exporter.reset());

  it('the form connect: its checks, registration and hook in order, each CRM request inside its step', async () => {
    const page = await h.client.get(`${h.connectUrl}?account=${encodeURIComponent(`${h.crmUrl}/`)}`);
    const submitted = await h.client.post(h.connectUrl, { account: `${h.crmUrl}/`, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(submitted.status, 303);
    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((s) => s.name === 'rcmk.connect.form');
    assert.equal(roots.length, 1);
    const root = roots[0]!;
    assert.equal(root.status.code, 1, 'OK');
    assert.deepEqual(childrenOf(spans, root).map((s) => s.name), [
      'rcmk.check.api_versions',
      'rcmk.check.credentials',
      'rcmk.check.settings',
      'rcmk.registration',
      'rcmk.hook.on_connected',
    ]);
    const step = (name: string) => spans.find((s) => s.name === name)!;
    assert.deepEqual(childrenOf(spans, step('rcmk.check.api_versions')).map((s) => s.name), ['rcmk.crm GET /api/api-versions']);
    assert.deepEqual(childrenOf(spans, step('rcmk.check.credentials')).map((s) => s.name), ['rcmk.crm GET /api/credentials']);
    assert.deepEqual(childrenOf(spans, step('rcmk.check.settings')).map((s) => s.name), ['rcmk.crm GET /api/v5/reference/sites']);
    const edit = childrenOf(spans, step('rcmk.registration'));
    assert.deepEqual(edit.map((s) => s.name), ['rcmk.crm POST /api/v5/integration-modules/{code}/edit']);
    assert.equal(edit[0]!.attributes['http.response.status_code'], 201);
    assert.equal(edit[0]!.attributes['server.address'], 'demo.localhost');
    // A CRM request's span lies within its step's.
    const within = (inner: ReadableSpan, outer: ReadableSpan) =>
      inner.startTime[0] * 1e9 + inner.startTime[1] >= outer.startTime[0] * 1e9 + outer.startTime[1] - 1e6 &&
      inner.endTime[0] * 1e9 + inner.endTime[1] <= outer.endTime[0] * 1e9 + outer.endTime[1] + 1e6;
    assert.ok(within(edit[0]!, step('rcmk.registration')));

    const [registered] = h.emulator.integrationModules('demo');
    assert.ok(registered);
    exporter.reset();
    await h.emulator.setActivity('demo', registered.code, { active: false });
    const callback = exporter.getFinishedSpans();
    assert.deepEqual(callback.map((s) => s.name), ['rcmk.callback activity']);
    assert.equal(callback[0]!.attributes['rcmk.callback.action'], 'activity');
    assertNoSecret([...spans, ...callback], [h.apiKey, registered.clientId, SECRET, 'a-test-cookie-secret']);
  });

  it('a refused connect marks its span and the failed step with the stable code, and stops there', async () => {
    const page = await h.client.get(`${h.connectUrl}?account=${encodeURIComponent(`${h.crmUrl}/`)}`);
    const refused = await h.client.post(h.connectUrl, { account: `${h.crmUrl}/`, apiKey: 'wrong-key-value', ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(refused.status, 422);
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'rcmk.connect.form')!;
    assert.equal(root.status.code, 2, 'ERROR');
    assert.equal(root.attributes['rcmk.error_code'], 'RCMK_API_KEY_INVALID');
    assert.deepEqual(childrenOf(spans, root).map((s) => s.name), ['rcmk.check.api_versions']);
    assertNoSecret(spans, ['wrong-key-value']);
  });

  it('the simple connection: a register span with the same steps; a bad token ends at once', async () => {
    const { apiKey } = h.emulator.createApiKey('demo', { scopes: [...h.module.kit.module.scopes] });
    const post = async (token: string) => {
      const response = await request(`${h.module.url}/simple-connection/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ register: JSON.stringify({ systemUrl: `${h.crmUrl}/`, apiKey, token }) }).toString(),
      });
      await response.body.text();
      return response.statusCode;
    };
    assert.equal(await post('0'.repeat(64)), 401);
    assert.equal(await post(simpleConnectionToken(SECRET, apiKey)), 200);
    const spans = exporter.getFinishedSpans();
    const roots = started(spans.filter((s) => s.name === 'rcmk.connect.simple'));
    assert.equal(roots.length, 2);
    assert.equal(roots[0]!.attributes['rcmk.error_code'], 'RCMK_TOKEN_INVALID');
    assert.deepEqual(childrenOf(spans, roots[0]!), []);
    assert.deepEqual(childrenOf(spans, roots[1]!).map((s) => s.name), [
      'rcmk.check.api_versions',
      'rcmk.check.credentials',
      'rcmk.check.settings',
      'rcmk.registration',
      'rcmk.hook.on_connected',
    ]);
    assertNoSecret(spans, [apiKey, simpleConnectionToken(SECRET, apiKey), SECRET]);
  });
});
