/**
 * The seed's steps 2–6 over real HTTP: a form client talks to the module host, which talks to the emulator.
 * After every failed attempt: no active connection in the store, no registration in the CRM with a clientId the
 * store does not know, and the next attempt succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KNOWN_SCOPES } from '../src/protocol/index.js';
import { alertText, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;

async function openForm(account: string, headers: Record<string, string> = {}) {
  const page = await h.client.get(`${h.connectUrl}?account=${encodeURIComponent(account)}`, headers);
  assert.equal(page.status, 200);
  const csrf = inputValue(page.body, '_csrf');
  assert.ok(csrf, 'the form carries a CSRF token');
  return { page, csrf };
}

async function submit(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const { csrf } = await openForm(fields.account ?? '', headers);
  return h.client.post(h.connectUrl, { ...fields, _csrf: csrf }, headers);
}

const connect = (apiKey = h.apiKey, extra: Record<string, string> = {}) =>
  submit({ account: `${h.crmUrl}/`, apiKey, ...goodSettings, ...extra });

/** The store and the CRM agree: every clientId the CRM holds is one the store knows. */
async function assertConsistent() {
  const registered = h.emulator.integrationModules('demo');
  for (const module of registered) {
    const known = await h.module.store.findByClientId(module.clientId);
    assert.ok(known, `the CRM holds clientId of ${module.code} that the module does not know`);
  }
}

async function assertNoActiveConnection(accountUrl = h.crmUrl) {
  const connection = await h.module.store.findByAccount(accountUrl, 'acme-sync');
  assert.notEqual(connection?.state, 'active', 'no active connection after a failure');
  await assertConsistent();
}

describe('connect flow: the old method over HTTP against the emulator', () => {
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());
  beforeEach(() => h.emulator.clearFaults());

  it('step 2-3: the form pre-fills the account from ?account= without the trailing slash', async () => {
    const { page } = await openForm(`${h.crmUrl}/`);
    assert.equal(inputValue(page.body, 'account'), h.crmUrl);
    assert.equal(inputValue(page.body, 'apiKey'), '');
    assert.match(page.body, /<label for="siteCode">Store<\/label>/);
    assert.match(page.headers['content-security-policy'] as string, /default-src 'none'/);
    assert.match(page.headers['content-security-policy'] as string, /frame-ancestors 'self' https:\/\/\*\.retailcrm\.ru/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
  });

  it('refuses a POST without a CSRF token with 403', async () => {
    const response = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings });
    assert.equal(response.status, 403);
    assert.match(response.body, /form has expired/);
    await assertNoActiveConnection();
  });

  it('refuses a malformed or disallowed account address, keeping the input', async () => {
    const response = await submit({ account: 'https://evil.example.com', apiKey: h.apiKey, ...goodSettings });
    assert.equal(response.status, 422);
    assert.match(alertText(response.body) ?? '', /not a RetailCRM/);
    assert.equal(inputValue(response.body, 'account'), 'https://evil.example.com');
    const port = await submit({ account: 'https://demo.retailcrm.ru:8443', apiKey: h.apiKey, ...goodSettings });
    assert.match(alertText(port.body) ?? '', /not valid/);
  });

  it('an unknown account is reported as such', async () => {
    const response = await submit({ account: h.crmUrl.replace('demo.', 'nosuch.'), apiKey: h.apiKey, ...goodSettings });
    assert.equal(response.status, 422);
    assert.match(alertText(response.body) ?? '', /No CRM account answers/);
    await assertNoActiveConnection();
  });

  it('a wrong key shows its message, keeps the other input and never echoes the key', async () => {
    const response = await connect('WrongKeyWrongKeyWrongKeyWrongKey');
    assert.equal(response.status, 422);
    assert.match(alertText(response.body) ?? '', /does not accept this API key/);
    assert.equal(inputValue(response.body, 'orderPrefix'), 'AC');
    assert.equal(inputValue(response.body, 'account'), `${h.crmUrl}/`);
    assert.ok(!response.body.includes('WrongKeyWrongKey'), 'the key is not echoed into HTML');
    await assertNoActiveConnection();
  });

  it('a key without the needed scopes names exactly what is missing, in the person’s language', async () => {
    const { apiKey } = h.emulator.createApiKey('demo', { scopes: ['integration_read', 'order_read'] });
    const response = await connect(apiKey, {}, );
    assert.equal(response.status, 422);
    const text = alertText(response.body) ?? '';
    assert.match(text, /integration_write, reference_read/);
    assert.doesNotMatch(text, /order_read/);
    const ru = await submit({ account: h.crmUrl, apiKey, ...goodSettings }, { 'accept-language': 'ru-RU,ru;q=0.9' });
    assert.match(alertText(ru.body) ?? '', /не хватает прав: integration_write, reference_read/);
    await assertNoActiveConnection();
  });

  it('an account without scopes is judged by its legacy credential paths', async () => {
    const { apiKey } = h.emulator.createApiKey('demo', {
      scopes: [],
      credentials: ['/api/integration-modules/{code}', '/api/integration-modules/{code}/edit', '/api/reference/sites'],
    });
    const response = await connect(apiKey);
    assert.equal(response.status, 422);
    assert.match(alertText(response.body) ?? '', /lacks these rights: \/api\/orders\./);
  });

  it('an account without API v5 is refused', async () => {
    const { apiKey } = h.emulator.createAccount({ name: 'legacy', apiVersions: ['3.0', '4.0'] });
    const response = await submit({ account: h.emulator.accountUrl('legacy'), apiKey, ...goodSettings });
    assert.equal(response.status, 422);
    assert.match(alertText(response.body) ?? '', /does not offer API version 5/);
  });

  it('invalid settings are reported beside their fields, from the schema and from validateSettings', async () => {
    const schema = await connect(h.apiKey, { orderPrefix: 'TOO-LONG' });
    assert.equal(schema.status, 422);
    assert.match(schema.body, /id="orderPrefix-error"/);
    const hook = await connect(h.apiKey, { siteCode: 'nope' });
    assert.match(hook.body, /<p class="error" id="siteCode-error">No such store<\/p>/);
    const hookRu = await submit({ account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, siteCode: 'nope', lang: 'ru' });
    assert.match(hookRu.body, /Нет такого магазина/);
    await assertNoActiveConnection();
  });

  for (const [name, fault, pattern] of [
    ['api-versions', { path: '/api/api-versions', status: 500, times: 20 }, /temporarily unavailable/],
    ['credentials', { path: '/api/credentials', reset: true, times: 20 }, /Could not reach the CRM/],
    ['edit', { path: '/api/v5/integration-modules/acme-sync/edit', status: 402, body: JSON.stringify({ success: false, errorMsg: 'Failed to activate module', errors: ['Your account has insufficient funds to activate integration module'] }), contentType: 'application/json', times: 20 }, /insufficient funds/],
  ] as const) {
    it(`a fault on ${name} fails cleanly and the next attempt succeeds`, async () => {
      const account = `fault-${name}`;
      const { apiKey } = h.emulator.createAccount({ name: account });
      const accountUrl = h.emulator.accountUrl(account);
      h.emulator.addFault({ ...fault, account });
      const failed = await submit({ account: accountUrl, apiKey, ...goodSettings });
      assert.equal(failed.status, 422);
      assert.match(alertText(failed.body) ?? '', pattern);
      await assertNoActiveConnection(accountUrl);
      assert.equal(h.emulator.integrationModules(account).length, 0, 'the CRM holds no registration');
      h.emulator.clearFaults();
      const retried = await submit({ account: accountUrl, apiKey, ...goodSettings });
      assert.equal(retried.status, 303, alertText(retried.body));
      const connection = await h.module.store.findByAccount(accountUrl, 'acme-sync');
      assert.equal(connection?.state, 'active');
      assert.equal(h.emulator.integrationModules(account)[0]?.clientId, connection?.clientId);
      await assertConsistent();
    });
  }

  it('steps 4-6 succeed: registered in the account, stored active, sent back to the CRM', async () => {
    const response = await connect();
    assert.equal(response.status, 303, alertText(response.body));
    assert.equal(response.location, `${h.crmUrl}/admin/integration/list`);
    const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(connection);
    assert.equal(connection.state, 'active');
    assert.equal(connection.accountUrl, h.crmUrl);
    assert.equal(connection.apiKey, h.apiKey);
    assert.deepEqual(connection.settings, { siteCode: 'main', orderPrefix: 'AC', syncOrders: true, currency: 'RUB' });
    assert.equal(connection.apiVersion?.split('.')[0], '5');
    const [registered] = h.emulator.integrationModules('demo');
    assert.ok(registered);
    assert.equal(registered.code, 'acme-sync');
    assert.equal(registered.integrationCode, 'acme-sync');
    assert.equal(registered.clientId, connection.clientId);
    assert.equal(registered.active, true);
    assert.equal(registered.baseUrl, h.module.url);
    assert.deepEqual(registered.actions, { activity: '/activity', settings: '/callback/settings' });
    assert.equal(registered.accountUrl, `${h.module.url}/settings`);
    assert.deepEqual(registered.integrations, { payment: { currencies: ['RUB'] } });
  });

  it('re-connecting updates the same connection: same clientId, new key, one registration', async () => {
    const before = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(before);
    const count = (await h.module.store.list()).length;
    const { apiKey } = h.emulator.createApiKey('demo', { scopes: [...KNOWN_SCOPES] });
    const response = await connect(apiKey, { orderPrefix: 'NEW' });
    assert.equal(response.status, 303, alertText(response.body));
    assert.equal((await h.module.store.list()).length, count, 'no new connection');
    const afterwards = await h.module.store.findById(before.id);
    assert.equal(afterwards?.clientId, before.clientId);
    assert.equal(afterwards?.apiKey, apiKey);
    assert.equal(afterwards?.settings.orderPrefix, 'NEW');
    assert.equal(h.emulator.integrationModules('demo').length, 1);
    const events = await h.module.store.listEvents(before.id);
    assert.ok(events.some((e) => e.type === 'reconnected'));
  });
});
