/**
 * After the connection: the CRM switches the module on/off and freezes it (activity callback, sent by the
 * emulator to the module over HTTP), and the person changes settings and the key on the settings page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { KNOWN_SCOPES } from '../src/protocol/index.js';
import type { Connection } from '../src/store/types.js';
import { alertText, FormClient, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;
let connection: Connection;

const current = async () => {
  const found = await h.module.store.findById(connection.id);
  assert.ok(found);
  return found;
};

async function postActivity(fields: Record<string, string>) {
  const response = await request(`${h.module.url}/activity`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

/** Opens the settings page the way the CRM does: a top-level form POST carrying clientId, from the account's origin. */
async function openSettings(client: FormClient) {
  const opened = await client.post(`${h.module.url}/settings`, { clientId: connection.clientId }, { origin: h.crmUrl });
  assert.equal(opened.status, 303);
  assert.equal(opened.location, '/settings');
  const page = await client.get(`${h.module.url}/settings`);
  assert.equal(page.status, 200);
  return page;
}

describe('after connecting: activity callbacks and the settings page', () => {
  before(async () => {
    h = await startHarness();
    const page = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, {
      account: h.crmUrl,
      apiKey: h.apiKey,
      ...goodSettings,
      _csrf: inputValue(page.body, '_csrf') ?? '',
    });
    assert.equal(done.status, 303, alertText(done.body));
    const found = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(found);
    connection = found;
  });
  after(async () => h.close());

  for (const [change, expected] of [
    [{ active: false }, { state: 'inactive', active: false, freeze: false }],
    [{ active: true }, { state: 'active', active: true, freeze: false }],
    [{ freeze: true }, { state: 'frozen', active: true, freeze: true }],
    [{ freeze: false }, { state: 'active', active: true, freeze: false }],
  ] as const) {
    it(`the CRM sends ${JSON.stringify(change)}: delivered, stored as ${expected.state}`, async () => {
      const delivery = await h.emulator.setActivity('demo', 'acme-sync', change);
      assert.equal(delivery.delivered, true);
      assert.equal(delivery.status, 200);
      const stored = await current();
      assert.equal(stored.state, expected.state);
      assert.equal(stored.active, expected.active);
      assert.equal(stored.freeze, expected.freeze);
    });
  }

  it('a repeated identical callback changes nothing', async () => {
    const before = await current();
    const events = (await h.module.store.listEvents(connection.id, 100)).length;
    const fields = { clientId: connection.clientId, activity: JSON.stringify({ active: true, freeze: false }), systemUrl: h.crmUrl };
    const first = await postActivity(fields);
    const second = await postActivity(fields);
    assert.deepEqual(first, { status: 200, body: { success: true } });
    assert.deepEqual(second, first);
    const after = await current();
    assert.equal(after.version, before.version);
    assert.equal((await h.module.store.listEvents(connection.id, 100)).length, events);
  });

  it('a changed systemUrl moves the account when the account confirms it; one the URL policy refuses is ignored', async () => {
    const activity = JSON.stringify({ active: true, freeze: false });
    assert.equal((await postActivity({ clientId: connection.clientId, activity, systemUrl: 'http://10.0.0.1/' })).status, 200);
    assert.equal((await current()).accountUrl, h.crmUrl);
    // The account moved: system-info at the stored address reports the new one (test/account-move.test.ts has the rest).
    const { url: moved } = h.emulator.renameAccount('demo', 'renamed');
    assert.equal((await postActivity({ clientId: connection.clientId, activity, systemUrl: `${moved}/` })).status, 200);
    assert.equal((await current()).accountUrl, moved);
    const events = await h.module.store.listEvents(connection.id, 5);
    assert.equal(events[0]?.type, 'account_url_changed');
    h.emulator.renameAccount('demo', 'demo');
    await postActivity({ clientId: connection.clientId, activity, systemUrl: h.crmUrl });
    assert.equal((await current()).accountUrl, h.crmUrl);
  });

  it('an unknown clientId gets 404, a malformed callback 400, in the CRM envelope', async () => {
    const unknown = await postActivity({ clientId: 'nope', activity: '{"active":true,"freeze":false}' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.success, false);
    assert.equal(typeof unknown.body.errorMsg, 'string');
    const malformed = await postActivity({ clientId: connection.clientId, activity: 'not json' });
    assert.equal(malformed.status, 400);
    assert.match(String(malformed.body.errorMsg), /activity/);
    const missing = await postActivity({ activity: '{"active":true}' });
    assert.equal(missing.status, 400);
  });

  it('the settings page opens from the CRM by clientId and shows state and events; the clientId never appears', async () => {
    const client = new FormClient();
    const page = await openSettings(client);
    assert.match(page.body, /data-state="active"/);
    assert.match(page.body, /<li><time/);
    assert.equal(inputValue(page.body, 'orderPrefix'), 'AC');
    assert.ok(!page.body.includes(connection.clientId), 'no clientId in the page');
    assert.ok(!page.body.includes(h.apiKey), 'no API key in the page');
    assert.equal(page.headers['cache-control'], 'no-store');
  });

  it('without a session the settings page asks to open it from the CRM; an unknown clientId is 404', async () => {
    const client = new FormClient();
    const page = await client.get(`${h.module.url}/settings`);
    assert.equal(page.status, 401);
    assert.match(page.body, /Open the module again/);
    const unknown = await client.post(`${h.module.url}/settings`, { clientId: 'unknown-client' });
    assert.equal(unknown.status, 404);
  });

  it('changing settings re-registers only when the registered payload changes', async () => {
    const client = new FormClient();
    const page = await openSettings(client);
    const csrf = inputValue(page.body, '_csrf') ?? '';
    const editsBefore = h.emulator.requests('demo').filter((r) => r.path.endsWith('/edit')).length;
    const prefixOnly = await client.post(`${h.module.url}/settings/save`, { ...goodSettings, orderPrefix: 'ZZ', _csrf: csrf });
    assert.equal(prefixOnly.status, 303);
    assert.equal((await current()).settings.orderPrefix, 'ZZ');
    assert.equal(h.emulator.requests('demo').filter((r) => r.path.endsWith('/edit')).length, editsBefore, 'no re-registration');
    const currency = await client.post(`${h.module.url}/settings/save`, { ...goodSettings, currency: 'EUR', _csrf: csrf });
    assert.equal(currency.status, 303);
    assert.deepEqual(h.emulator.integrationModules('demo')[0]?.integrations, { payment: { currencies: ['EUR'] } });
    const invalid = await client.post(`${h.module.url}/settings/save`, { ...goodSettings, siteCode: 'nope', _csrf: csrf });
    assert.equal(invalid.status, 422);
    assert.match(invalid.body, /No such store/);
    assert.equal((await current()).settings.siteCode, 'main');
  });

  it('changing the API key re-runs the checks: a weak key is refused, a good one saved', async () => {
    const client = new FormClient();
    const page = await openSettings(client);
    const csrf = inputValue(page.body, '_csrf') ?? '';
    const weak = h.emulator.createApiKey('demo', { scopes: ['order_read'] });
    const refused = await client.post(`${h.module.url}/settings/api-key`, { apiKey: weak.apiKey, _csrf: csrf });
    assert.equal(refused.status, 422);
    assert.match(alertText(refused.body) ?? '', /integration_read/);
    assert.equal((await current()).apiKey, h.apiKey);
    const good = h.emulator.createApiKey('demo', { scopes: [...KNOWN_SCOPES] });
    const saved = await client.post(`${h.module.url}/settings/api-key`, { apiKey: good.apiKey, _csrf: csrf });
    assert.equal(saved.status, 303);
    assert.equal((await current()).apiKey, good.apiKey);
    const events = await h.module.store.listEvents(connection.id, 1);
    assert.equal(events[0]?.type, 'key_changed');
    assert.ok(!JSON.stringify(events[0]?.details).includes(good.apiKey), 'no key in the event log');
  });

  it('settings forms need the CSRF token', async () => {
    const client = new FormClient();
    await openSettings(client);
    const response = await client.post(`${h.module.url}/settings/save`, { ...goodSettings, orderPrefix: 'NO' });
    assert.equal(response.status, 403);
    assert.notEqual((await current()).settings.orderPrefix, 'NO');
  });

  it('disconnecting switches the module off in the CRM and marks the connection', async () => {
    const client = new FormClient();
    const page = await openSettings(client);
    const response = await client.post(`${h.module.url}/settings/disconnect`, { _csrf: inputValue(page.body, '_csrf') ?? '' });
    // Answered with the page itself (the session it came from has ended): it offers to connect again.
    assert.equal(response.status, 200);
    assert.match(response.body, /Connect again/);
    assert.equal((await current()).state, 'disconnected');
    assert.equal(h.emulator.integrationModules('demo')[0]?.active, false);
  });

  it('health answers 200 while the store answers', async () => {
    const response = await request(`${h.module.url}/health`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), { status: 'ok', checks: { store: 'ok', shutdown: 'ok' } });
  });
});
