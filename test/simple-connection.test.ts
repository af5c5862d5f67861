/**
 * The simple connection end to end over real HTTP: the emulator performs Connect (config, key, register) against
 * the module host, which checks, registers and answers its settings page with a login ticket. Also each refusal
 * the issue names: wrong token (401), replay, key lacking scopes, account without v5 (400 each).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { callEmulator } from '../src/emulator/http-client.js';
import { simpleConnectionToken } from '../src/protocol/index.js';
import { alertText, FormClient, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

const SECRET = 'partner-secret';
let h: Harness;

async function register(fields: Record<string, unknown>) {
  const response = await request(`${h.module.url}/simple-connection/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ register: JSON.stringify(fields) }).toString(),
  });
  return { status: response.statusCode, json: (await response.body.json()) as { success: boolean; errorMsg?: string; accountUrl?: string } };
}

const signed = (apiKey: string, systemUrl = `${h.crmUrl}/`) => ({ systemUrl, apiKey, token: simpleConnectionToken(SECRET, apiKey) });
const moduleScopes = () => [...h.module.kit.module.scopes];

describe('simple connection over HTTP, module host + emulator', () => {
  before(async () => {
    h = await startHarness({ simpleConnection: { secret: SECRET } });
    h.emulator.publishModule({
      integrationCode: 'acme-sync',
      name: 'Acme sync',
      configUrl: `${h.module.url}/simple-connection/config`,
      secret: SECRET,
      accountUrl: `${h.module.url}/connect`,
    });
  });
  after(async () => h.close());

  it('config endpoint: the module scopes and its register URL', async () => {
    const response = await request(`${h.module.url}/simple-connection/config`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), {
      success: true,
      scopes: ['integration_read', 'integration_write', 'order_read', 'reference_read'],
      registerUrl: `${h.module.url}/simple-connection/register`,
    });
  });

  it('a wrong token is refused with 401 "Invalid token"; a malformed request with 400', async () => {
    const { apiKey } = h.emulator.createApiKey('demo', { scopes: moduleScopes() });
    const wrong = await register({ systemUrl: `${h.crmUrl}/`, apiKey, token: simpleConnectionToken('secret', apiKey) });
    assert.deepEqual(wrong, { status: 401, json: { success: false, errorMsg: 'Invalid token' } });
    const malformed = await request(`${h.module.url}/simple-connection/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'register=%7Bnot-json',
    });
    assert.equal(malformed.statusCode, 400);
    assert.equal(((await malformed.body.json()) as { success: boolean }).success, false);
    assert.equal(await h.module.store.findByAccount(h.crmUrl, 'acme-sync'), undefined);
  });

  it('a key lacking scopes is refused with 400 naming what is missing; nothing is registered', async () => {
    const { apiKey } = h.emulator.createApiKey('demo', { scopes: ['integration_read', 'integration_write'] });
    const reply = await register(signed(apiKey));
    assert.equal(reply.status, 400);
    assert.equal(reply.json.success, false);
    assert.match(reply.json.errorMsg ?? '', /order_read/);
    assert.doesNotMatch(reply.json.errorMsg ?? '', new RegExp(apiKey));
    assert.deepEqual(h.emulator.integrationModules('demo'), []);
  });

  it('an account without API v5 is refused with 400', async () => {
    const old = h.emulator.createAccount({ name: 'legacy', apiVersions: ['3.0', '4.0'] });
    const reply = await register(signed(old.apiKey, `${old.url}/`));
    assert.equal(reply.status, 400);
    assert.match(reply.json.errorMsg ?? '', /version 5/i);
    assert.equal(await h.module.store.findByAccount(old.url, 'acme-sync'), undefined);
  });

  it('a systemUrl outside the URL policy is refused with 400', async () => {
    const { apiKey } = h.emulator.createApiKey('demo', { scopes: moduleScopes() });
    const reply = await register(signed(apiKey, 'https://evil.example/'));
    assert.equal(reply.status, 400);
    assert.equal(reply.json.success, false);
  });

  describe('Connect from the emulator marketplace', () => {
    let accountUrl = '';
    let replayed: Record<string, unknown> = {};

    it('registers: the store and the CRM agree on the clientId; required settings missing → pending, switched off', async () => {
      const outcome = await h.emulator.connectSimple('demo', 'acme-sync');
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      accountUrl = outcome.ok ? outcome.accountUrl : '';
      assert.match(accountUrl, new RegExp(`^${h.module.url}/settings\\?ticket=`));
      assert.deepEqual(outcome.ok && [...outcome.scopes], moduleScopes());
      const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
      assert.ok(connection);
      assert.equal(connection.state, 'pending');
      assert.equal(connection.active, false);
      // The key the emulator issued (the store has it) carries exactly the scopes the config asked for.
      const credentials = await callEmulator(h.emulator.port, `demo.localhost:${h.emulator.port}`, '/api/credentials', { apiKey: connection.apiKey });
      assert.deepEqual([...credentials.json.scopes].sort(), moduleScopes().sort());
      replayed = signed(connection.apiKey);
      const [registered] = h.emulator.integrationModules('demo');
      assert.equal(registered?.clientId, connection.clientId);
      assert.equal(registered?.active, false, 'registered switched off until the settings are saved');
      assert.equal(registered?.accountUrl, `${h.module.url}/settings`);
    });

    it('a replay of the same register request is refused with 400, and changes nothing', async () => {
      const before = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
      const reply = await register(replayed);
      assert.equal(reply.status, 400);
      assert.match(reply.json.errorMsg ?? '', /already used/);
      assert.equal((await h.module.store.findByAccount(h.crmUrl, 'acme-sync'))?.version, before?.version);
    });

    it('switching the module on in the CRM does not make it active without its settings', async () => {
      const delivery = await h.emulator.setActivity('demo', 'acme-sync', { active: true });
      assert.equal(delivery.delivered, true);
      assert.equal((await h.module.store.findByAccount(h.crmUrl, 'acme-sync'))?.state, 'pending');
      await h.emulator.setActivity('demo', 'acme-sync', { active: false });
    });

    it('the login ticket opens the settings page once; tampered and reused tickets get the localized session page', async () => {
      const browser = new FormClient();
      // No GET opens a session: the ticket leads to "Open the settings of {account}?", whose button does.
      const landing = await browser.get(accountUrl);
      assert.equal(landing.status, 200);
      assert.match(landing.body, /data-entry-confirm/);
      assert.equal(browser.cookie('rcmk_session_acme-sync'), undefined);
      const opened = await browser.post(`${h.module.url}/settings/open`, { _csrf: inputValue(landing.body, '_csrf') ?? '', entry: inputValue(landing.body, 'entry') ?? '' });
      assert.equal(opened.status, 303);
      assert.equal(opened.location, '/settings');
      assert.ok(browser.cookie('rcmk_session_acme-sync'));
      const page = await browser.get(`${h.module.url}/settings`);
      assert.equal(page.status, 200);
      assert.match(page.body, /data-state="pending"/);
      assert.match(page.body, /data-incomplete/);
      assert.doesNotMatch(page.body, /ticket=/);

      const stranger = new FormClient();
      const reused = await stranger.get(accountUrl, { 'accept-language': 'ru' });
      assert.equal(reused.status, 401);
      assert.match(reused.body, /Откройте модуль снова|сесси/i);
      assert.equal(stranger.cookie('rcmk_session_acme-sync'), undefined);
      const tampered = await stranger.get(accountUrl.replace(/.(?=$)/, (c) => (c === 'A' ? 'B' : 'A')));
      assert.equal(tampered.status, 401);
      assert.equal((await stranger.get(`${h.module.url}/settings?ticket=garbage`)).status, 401);

      // Saving valid settings completes the connection: active in the store and switched on in the CRM.
      const csrf = inputValue(page.body, '_csrf') ?? '';
      const bad = await browser.post(`${h.module.url}/settings/save`, { _csrf: csrf, ...goodSettings, siteCode: '' });
      assert.equal(bad.status, 422);
      assert.equal((await h.module.store.findByAccount(h.crmUrl, 'acme-sync'))?.state, 'pending');
      const saved = await browser.post(`${h.module.url}/settings/save`, { _csrf: inputValue(bad.body, '_csrf') ?? '', ...goodSettings });
      assert.equal(saved.status, 303, alertText(saved.body));
      const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
      assert.equal(connection?.state, 'active');
      assert.equal(connection?.active, true);
      assert.equal(h.emulator.integrationModules('demo')[0]?.active, true);
      assert.deepEqual(connection?.settings, { siteCode: 'main', orderPrefix: 'AC', syncOrders: true, currency: 'RUB' });
    });

    it('connecting again by the simple connection keeps the settings and stays active', async () => {
      const outcome = await h.emulator.connectSimple('demo', 'acme-sync');
      assert.equal(outcome.ok, true);
      const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
      assert.equal(connection?.state, 'active');
      assert.equal(connection?.settings.siteCode, 'main');
      assert.equal(h.emulator.integrationModules('demo').length, 1);
    });
  });

  it('the same module still offers the connect form (both methods at once)', async () => {
    const shop = h.emulator.createAccount({ name: 'shop2' });
    const client = new FormClient();
    const form = await client.get(`${h.connectUrl}?account=${encodeURIComponent(`${shop.url}/`)}`);
    const done = await client.post(h.connectUrl, { _csrf: inputValue(form.body, '_csrf') ?? '', account: shop.url, apiKey: shop.apiKey, ...goodSettings });
    assert.equal(done.status, 303, alertText(done.body));
    assert.equal((await h.module.store.findByAccount(shop.url, 'acme-sync'))?.state, 'active');
  });

  it('a failed Connect shows the module\'s error and revokes the key it created', async () => {
    const name = 'tight';
    h.emulator.createAccount({ name, apiVersions: ['4.0'] });
    const outcome = await h.emulator.connectSimple(name, 'acme-sync');
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? (outcome.moduleError ?? '') : '', /version 5/i);
    // The account's keys: the administrator's, and the one made for the failed registration, now revoked.
    const page = await callEmulator(h.emulator.port, `${name}.localhost:${h.emulator.port}`, '/admin/api-keys');
    assert.equal((page.text.match(/<tr data-key-id=/g) ?? []).length, 2);
    assert.equal((page.text.match(/class="bad">revoked/g) ?? []).length, 1);
  });
});
