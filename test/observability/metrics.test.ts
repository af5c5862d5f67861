/**
 * Metrics over real HTTP: a module with metrics on, connected through its form against the emulator, fed
 * activity callbacks; then `/metrics` is scraped and parsed. Also: off by default, the token, a separate port,
 * and that no label carries a clientId, an API key or the account URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createObservability, KIT_METRIC_NAMES } from '../../src/observability/index.js';
import { simpleConnectionToken } from '../../src/protocol/index.js';
import { inputValue } from '../helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from '../helpers/module-harness.js';

const TOKEN = 'metrics-token-0123456789';

/** Parses the text format into `name{labels} value` samples. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a valid sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

const sum = (list: ReturnType<typeof samples>, name: string, where: Record<string, string> = {}) =>
  list.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

async function scrape(url: string, headers: Record<string, string> = {}) {
  const response = await request(url, { headers });
  return { status: response.statusCode, type: response.headers['content-type'], text: await response.body.text() };
}

async function connectByForm(h: Harness, apiKey = h.apiKey) {
  const page = await h.client.get(`${h.connectUrl}?account=${encodeURIComponent(`${h.crmUrl}/`)}`);
  const csrf = inputValue(page.body, '_csrf') ?? '';
  return h.client.post(h.connectUrl, { account: `${h.crmUrl}/`, apiKey, ...goodSettings, _csrf: csrf });
}

async function postActivity(h: Harness, clientId: string) {
  const response = await request(`${h.module.url}/activity`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ clientId, activity: JSON.stringify({ active: true, freeze: false }) }).toString(),
  });
  await response.body.text();
  return response.statusCode;
}

describe('metrics on the module path, behind a token', () => {
  let h: Harness;
  const secret = 'partner-secret-for-metrics';
  before(async () => {
    h = await startHarness({ simpleConnection: { secret } }, { observability: createObservability({ metrics: { token: TOKEN } }) });
  });
  after(async () => h.close());

  it('counts a scripted run: a refused and a good connect, CRM calls, callbacks, a bad register', async () => {
    assert.equal((await connectByForm(h, 'not-a-valid-key')).status, 422);
    assert.equal((await connectByForm(h)).status, 303);
    const [registered] = h.emulator.integrationModules('demo');
    assert.ok(registered);
    await h.emulator.setActivity('demo', registered.code, { active: false });
    await h.emulator.setActivity('demo', registered.code, { active: true });
    assert.equal(await postActivity(h, 'unknown-client-id'), 404);
    const badRegister = await request(`${h.module.url}/simple-connection/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ register: JSON.stringify({ systemUrl: `${h.crmUrl}/`, apiKey: 'k', token: simpleConnectionToken('wrong', 'k') }) }).toString(),
    });
    assert.equal(badRegister.statusCode, 401);
    await badRegister.body.text();

    const page = await scrape(`${h.module.url}/metrics`, { authorization: `Bearer ${TOKEN}` });
    assert.equal(page.status, 200);
    assert.match(String(page.type), /^text\/plain; version=0\.0\.4/);
    const list = samples(page.text);
    const n = KIT_METRIC_NAMES;
    assert.equal(sum(list, n.connects, { method: 'form', outcome: 'ok', code: '' }), 1);
    assert.equal(sum(list, n.connects, { method: 'form', outcome: 'failed', code: 'RCMK_API_KEY_INVALID' }), 1);
    assert.equal(sum(list, n.connects, { method: 'simple', outcome: 'failed', code: 'RCMK_TOKEN_INVALID' }), 1);
    assert.equal(sum(list, `${n.connectDuration}_count`, { method: 'form' }), 2);
    assert.equal(sum(list, n.callbacks, { action: 'activity', status: '200' }), 2);
    assert.equal(sum(list, n.callbacks, { action: 'activity', status: '404' }), 1);
    assert.equal(sum(list, `${n.callbackDuration}_count`, { action: 'activity' }), 3);
    // Both attempts asked api-versions; only the good one got to credentials, the settings check and edit.
    assert.equal(sum(list, n.crmRequests, { method: 'GET', endpoint: '/api/api-versions' }), 2);
    assert.equal(sum(list, n.crmRequests, { method: 'GET', endpoint: '/api/api-versions', status: '403' }), 1, 'the wrong key was refused with 403');
    assert.equal(sum(list, n.crmRequests, { method: 'POST', endpoint: '/api/v5/integration-modules/{code}/edit', status: '200' }) + sum(list, n.crmRequests, { method: 'POST', endpoint: '/api/v5/integration-modules/{code}/edit', status: '201' }), 1);
    assert.equal(sum(list, `${n.crmRequestDuration}_count`, { endpoint: '/api/credentials' }), 1);
    assert.ok(sum(list, `${n.crmLimiterWait}_count`) >= 5, 'every CRM request observed its limiter wait');
    assert.equal(sum(list, `${n.stepDuration}_count`, { step: 'registration', outcome: 'ok' }), 1);
    assert.equal(sum(list, `${n.stepDuration}_count`, { step: 'check.api_versions', outcome: 'failed' }), 1);

    // No label value carries a secret or an unbounded value.
    const values = list.flatMap((s) => Object.values(s.labels));
    for (const forbidden of [registered.clientId, h.apiKey, h.crmUrl, 'demo.localhost', secret, 'acme-sync']) {
      assert.ok(!values.some((v) => v.includes(forbidden)), `no label contains ${forbidden}`);
    }
  });

  it('refuses a scrape without the token, or with a wrong one', async () => {
    const none = await scrape(`${h.module.url}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(none.text.includes('rcmk_'), false);
    assert.equal((await scrape(`${h.module.url}/metrics`, { authorization: `Bearer ${TOKEN}x` })).status, 401);
    assert.equal((await scrape(`${h.module.url}/metrics`, { authorization: TOKEN })).status, 401);
  });
});

describe('metrics exposure', () => {
  it('is off by default: no /metrics route', async () => {
    const h = await startHarness();
    try {
      assert.equal((await scrape(`${h.module.url}/metrics`)).status, 404);
    } finally {
      await h.close();
    }
  });

  it('can live on a separate port, closed with the module', async () => {
    const observability = createObservability({ metrics: { port: 0, path: '/prom' } });
    const h = await startHarness({}, { observability });
    const url = observability.metricsUrl();
    try {
      assert.ok(url && !url.startsWith(h.module.url), 'another port than the module');
      assert.equal((await connectByForm(h)).status, 303);
      const page = await scrape(url);
      assert.equal(page.status, 200);
      assert.equal(sum(samples(page.text), KIT_METRIC_NAMES.connects, { outcome: 'ok' }), 1);
      assert.equal((await scrape(`${h.module.url}/prom`)).status, 404, 'not on the module port');
    } finally {
      await h.close();
    }
    await assert.rejects(request(url));
  });

  it('refuses a short token and a relative path at construction, naming both', () => {
    assert.throws(() => createObservability({ metrics: { token: 'short', path: 'metrics' } }), (error: Error) =>
      /metrics\.token/.test(error.message) && /metrics\.path/.test(error.message));
  });
});
