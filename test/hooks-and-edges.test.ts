/**
 * The module's lifecycle hooks, and the edges of the flows: two modules on one store, a failing onConnected,
 * switch-off after a disconnect, a systemUrl that belongs to another connection, JSON errors on callbacks,
 * a settings entry posted from a foreign site, a legacy-credentials account, a key that loses the chosen store.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { request } from 'undici';
import { defineModule } from '../src/connect/module-definition.js';
import type { ActivityChangedContext, ConnectedContext } from '../src/connect/hooks.js';
import { rapidRetriesForTests } from '../src/crm/retry.js';
import { startModule, type RunningModule } from '../src/host/start-module.js';
import { KNOWN_SCOPES } from '../src/protocol/index.js';
import { alertText, FormClient, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness, testSettings } from './helpers/module-harness.js';
import { freePort } from './helpers/ports.js';

const calls = {
  connected: [] as ConnectedContext[],
  activity: [] as ActivityChangedContext[],
  settings: 0,
  disconnected: 0,
  failNextConnect: false,
};

let h: Harness;

async function connectTo(account: string, apiKey: string, extra: Record<string, string> = {}, client = new FormClient()) {
  const page = await client.get(`${h.connectUrl}?account=${encodeURIComponent(account)}`);
  return client.post(h.connectUrl, { account, apiKey, ...goodSettings, ...extra, _csrf: inputValue(page.body, '_csrf') ?? '' });
}

async function postActivity(url: string, fields: Record<string, string>) {
  const response = await request(`${url}/activity`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.statusCode, type: String(response.headers['content-type']), body: (await response.body.json()) as Record<string, unknown> };
}

describe('hooks and edges', () => {
  before(async () => {
    h = await startHarness({
      hooks: {
        async validateSettings({ settings, crm, credentials }) {
          const sites = Object.keys(await crm.sites());
          const usable = credentials.siteAccess === 'access_selective' ? sites.filter((s) => credentials.sitesAvailable?.includes(s)) : sites;
          return usable.includes(settings.siteCode) ? { ok: true } : { ok: false, fieldErrors: { siteCode: 'No such store' } };
        },
        onConnected(context) {
          if (calls.failNextConnect) {
            calls.failNextConnect = false;
            throw new Error('worker could not start');
          }
          calls.connected.push(context);
        },
        onActivityChanged(context) {
          calls.activity.push(context);
        },
        onSettingsChanged() {
          calls.settings++;
        },
        onDisconnected() {
          calls.disconnected++;
        },
      },
    });
  });
  after(async () => h.close());
  beforeEach(() => h.emulator.clearFaults());

  it('onConnected sees created=true on the attempt that first completes the connection, after a failed one', async () => {
    const { apiKey } = h.emulator.createAccount({ name: 'first' });
    const url = h.emulator.accountUrl('first');
    h.emulator.addFault({ account: 'first', path: '/api/v5/integration-modules/acme-sync/edit', status: 503, times: 50 });
    assert.equal((await connectTo(url, apiKey)).status, 422);
    assert.equal(calls.connected.length, 0, 'no hook when registration failed');
    h.emulator.clearFaults();
    assert.equal((await connectTo(url, apiKey)).status, 303);
    assert.equal(calls.connected.length, 1);
    assert.equal(calls.connected[0]?.created, true);
    assert.equal((await connectTo(url, apiKey)).status, 303);
    assert.equal(calls.connected[1]?.created, false, 'a re-connect is not a first connection');
  });

  it('a throwing onConnected shows a failure, leaves the connection pending, and the retry runs it again', async () => {
    const { apiKey } = h.emulator.createAccount({ name: 'hookfail' });
    const url = h.emulator.accountUrl('hookfail');
    calls.failNextConnect = true;
    const failed = await connectTo(url, apiKey);
    assert.equal(failed.status, 422);
    assert.match(alertText(failed.body) ?? '', /went wrong on the module/);
    assert.equal((await h.module.store.findByAccount(url, 'acme-sync'))?.state, 'pending');
    const before = calls.connected.length;
    assert.equal((await connectTo(url, apiKey)).status, 303);
    assert.equal(calls.connected.length, before + 1);
    assert.equal(calls.connected.at(-1)?.created, true);
    assert.equal((await h.module.store.findByAccount(url, 'acme-sync'))?.state, 'active');
  });

  it('onActivityChanged hears real flag changes only; frozen wins over inactive', async () => {
    assert.equal((await connectTo(h.crmUrl, h.apiKey)).status, 303);
    const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(connection);
    const before = calls.activity.length;
    await h.emulator.setActivity('demo', 'acme-sync', { active: false, freeze: true });
    assert.equal((await h.module.store.findById(connection.id))?.state, 'frozen');
    const fields = { clientId: connection.clientId, activity: JSON.stringify({ active: false, freeze: true }) };
    assert.equal((await postActivity(h.module.url, fields)).status, 200);
    assert.equal(calls.activity.length, before + 1, 'a repeat does not call the hook');
    assert.deepEqual(calls.activity.at(-1)?.previous, { active: true, freeze: false });
    await h.emulator.setActivity('demo', 'acme-sync', { active: true, freeze: false });
    assert.equal((await h.module.store.findById(connection.id))?.state, 'active');
  });

  it('a systemUrl that another connection holds is not adopted, and the flags are still recorded', async () => {
    const mine = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    const other = h.emulator.accountUrl('first');
    assert.ok(mine);
    const result = await postActivity(h.module.url, { clientId: mine.clientId, activity: JSON.stringify({ active: false, freeze: false }), systemUrl: `${other}/` });
    assert.equal(result.status, 200);
    const after = await h.module.store.findById(mine.id);
    assert.equal(after?.accountUrl, h.crmUrl);
    assert.equal(after?.state, 'inactive');
    await postActivity(h.module.url, { clientId: mine.clientId, activity: JSON.stringify({ active: true, freeze: false }) });
  });

  it('callback endpoints answer errors in the JSON envelope, also for a body over the limit', async () => {
    const big = await postActivity(h.module.url, { clientId: 'x', activity: 'y'.repeat(100 * 1024) });
    assert.equal(big.status, 413);
    assert.match(big.type, /application\/json/);
    assert.equal(big.body.success, false);
  });

  it('the settings entry refuses a clientId posted from a site that is not a CRM account', async () => {
    const mine = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(mine);
    const client = new FormClient();
    const foreign = await client.post(`${h.module.url}/settings`, { clientId: mine.clientId }, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(client.cookie('rcmk_session_acme-sync'), undefined);
    const fromCrm = await client.post(`${h.module.url}/settings`, { clientId: mine.clientId }, { origin: h.crmUrl });
    assert.equal(fromCrm.status, 303);
  });

  it('a new key that cannot reach the chosen store is refused: settings are checked again', async () => {
    const mine = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(mine);
    const client = new FormClient();
    await client.post(`${h.module.url}/settings`, { clientId: mine.clientId }, { origin: h.crmUrl });
    const page = await client.get(`${h.module.url}/settings`);
    const selective = h.emulator.createApiKey('demo', { scopes: [...KNOWN_SCOPES], siteAccess: 'access_selective', sitesAvailable: [] });
    const refused = await client.post(`${h.module.url}/settings/api-key`, { apiKey: selective.apiKey, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(refused.status, 422);
    assert.equal((await h.module.store.findById(mine.id))?.apiKey, mine.apiKey);
  });

  it('settings and disconnect call their hooks; switch-off callbacks keep a disconnected connection disconnected', async () => {
    const mine = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(mine);
    const client = new FormClient();
    await client.post(`${h.module.url}/settings`, { clientId: mine.clientId }, { origin: h.crmUrl });
    const page = await client.get(`${h.module.url}/settings`);
    const csrf = inputValue(page.body, '_csrf') ?? '';
    assert.equal((await client.post(`${h.module.url}/settings/save`, { ...goodSettings, orderPrefix: 'HK', _csrf: csrf })).status, 303);
    assert.equal(calls.settings, 1);
    assert.equal((await client.post(`${h.module.url}/settings/disconnect`, { _csrf: csrf })).status, 200);
    assert.equal(calls.disconnected, 1);
    const off = await postActivity(h.module.url, { clientId: mine.clientId, activity: JSON.stringify({ active: false, freeze: false }) });
    assert.equal(off.status, 200);
    assert.equal((await h.module.store.findById(mine.id))?.state, 'disconnected');
    await h.emulator.setActivity('demo', 'acme-sync', { active: true });
    assert.equal((await h.module.store.findById(mine.id))?.state, 'active', 'switching it on in the CRM revives it');
  });

  it('an account that reports no scopes connects with the legacy credential paths', async () => {
    h.emulator.createAccount({ name: 'legacykeys' });
    const { apiKey } = h.emulator.createApiKey('legacykeys', {
      scopes: [],
      credentials: ['/api/integration-modules/{code}', '/api/integration-modules/{code}/edit', '/api/orders', '/api/reference/sites'],
    });
    const response = await connectTo(h.emulator.accountUrl('legacykeys'), apiKey);
    assert.equal(response.status, 303, alertText(response.body));
  });

  describe('two modules on one store', () => {
    let other: RunningModule;
    before(async () => {
      const port = await freePort();
      other = await startModule({
        module: defineModule({
          integrationCode: 'other-module',
          name: 'Other',
          logo: 'https://other.example/logo.svg',
          baseUrl: `http://127.0.0.1:${port}`,
          settings: testSettings,
        }),
        port,
        store: h.module.store,
        accountUrlPolicy: { allowLocal: true },
        cookieSecret: 'another-test-cookie-secret-of-32-chars',
        retry: rapidRetriesForTests,
        logger: false,
      });
    });
    after(async () => other.close());

    it("one module's endpoints do not act on the other's connections", async () => {
      const mine = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
      assert.ok(mine);
      const callback = await postActivity(other.url, { clientId: mine.clientId, activity: JSON.stringify({ active: false, freeze: true }) });
      assert.equal(callback.status, 404);
      assert.notEqual((await h.module.store.findById(mine.id))?.state, 'frozen');
      const opened = await new FormClient().post(`${other.url}/settings`, { clientId: mine.clientId });
      assert.equal(opened.status, 404);
    });
  });

  it('health answers 503 when the store does not answer', async () => {
    await h.module.store.close();
    const response = await request(`${h.module.url}/health`);
    assert.equal(response.statusCode, 503);
    assert.deepEqual(await response.body.json(), { status: 'unavailable', checks: { store: 'unavailable', shutdown: 'ok' } });
  });
});
