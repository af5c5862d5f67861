/**
 * Jobs through the observer (metrics and a span per run, aborted told apart from failed), and the emulator's
 * request-log page over plain HTTP (the chart's counts, the limit, masked keys; no script).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { callEmulator } from '../../src/emulator/http-client.js';
import { startEmulator } from '../../src/emulator/index.js';
import { createObservability, KIT_METRIC_NAMES, observeJob } from '../../src/observability/index.js';

describe('job runs', () => {
  it('count by job and outcome, time each run, and make a span per run', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const observability = createObservability({ metrics: true, tracing: { tracer: provider.getTracer('t') } });
    const owner = { telemetry: observability.telemetry };
    assert.equal(await observeJob(owner, 'syncOrders', 'c1', async () => 7), 7);
    await assert.rejects(observeJob(owner, 'syncOrders', 'c2', async () => { throw Object.assign(new Error('down'), { code: 'RCMK_CRM_UNAVAILABLE' }); }));
    await assert.rejects(observeJob(owner, 'syncOrders', 'c3', async () => { throw new DOMException('stopped', 'AbortError'); }));
    observability.telemetry!.fleetRunFinished({ job: 'syncOrders', connections: 3, failed: 1, durationMs: 12 });
    const text = await observability.metrics!.render();
    for (const outcome of ['ok', 'failed', 'aborted']) assert.match(text, new RegExp(`${KIT_METRIC_NAMES.jobRuns}\\{job="syncOrders",outcome="${outcome}"\\} 1`));
    assert.match(text, new RegExp(`${KIT_METRIC_NAMES.jobRunDuration}_count\\{job="syncOrders"\\} 3`));
    assert.match(text, new RegExp(`${KIT_METRIC_NAMES.fleetRuns}\\{job="syncOrders",outcome="failed"\\} 1`));
    assert.match(text, new RegExp(`${KIT_METRIC_NAMES.fleetRunConnections}\\{job="syncOrders"\\} 3`));
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(spans.map((s) => s.name), ['rcmk.job syncOrders', 'rcmk.job syncOrders', 'rcmk.job syncOrders']);
    assert.deepEqual(spans.map((s) => s.attributes['rcmk.error_code']), [undefined, 'RCMK_CRM_UNAVAILABLE', 'RCMK_INTERNAL']);
    await provider.shutdown();
  });
});

describe('the emulator request log page', () => {
  it('charts the account’s calls with the limit and the 503s, lists them with masked keys, and runs no script', async () => {
    const crm = await startEmulator({ port: 0, now: () => 0 });
    try {
      const { apiKey } = crm.createAccount({ name: 'shop' });
      crm.createAccount({ name: 'other' });
      const host = `shop.localhost:${crm.port}`;
      await Promise.all(Array.from({ length: 14 }, () => callEmulator(crm.port, host, '/api/credentials', { apiKey })));
      const page = await callEmulator(crm.port, host, '/admin/requests');
      assert.equal(page.status, 200);
      const body = page.text;
      assert.match(body, /data-rate-limited="4"/);
      assert.match(body, /data-limit="10"/);
      assert.equal((body.match(/<tr data-status="503">/g) ?? []).length, 4);
      assert.equal(body.includes(apiKey), false, 'keys are masked');
      assert.doesNotMatch(body, /<script/i);
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
      const other = await callEmulator(crm.port, `other.localhost:${crm.port}`, '/admin/requests');
      assert.match(other.text, /No API call yet/);
      assert.match(other.text, /data-rate-limited="0"/);
    } finally {
      await crm.close();
    }
  });
});
