/**
 * The settings entry against login CSRF (issue 14, item 4): only the connection's own account may open a session
 * with a POST; a missing or `null` Origin gets "Open the settings of {account}?"; no GET opens a session; a
 * disconnect ends every session of the connection; two modules on one host keep their own session cookies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Connection } from '../src/store/types.js';
import { FormClient, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;
let connection: Connection;
const SESSION = 'rcmk_session_acme-sync';

async function connectModule(harness: Harness): Promise<Connection> {
  const page = await harness.client.get(`${harness.connectUrl}?account=${harness.crmUrl}/`);
  const done = await harness.client.post(harness.connectUrl, { account: harness.crmUrl, apiKey: harness.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
  assert.equal(done.status, 303);
  const found = await harness.module.store.findByAccount(harness.crmUrl, harness.module.kit.module.code);
  assert.ok(found);
  return found;
}

const entry = (client: FormClient, headers: Record<string, string> = {}) =>
  client.post(`${h.module.url}/settings`, { clientId: connection.clientId }, headers);

async function confirmFrom(client: FormClient, page: { body: string }) {
  return client.post(`${h.module.url}/settings/open`, { _csrf: inputValue(page.body, '_csrf') ?? '', entry: inputValue(page.body, 'entry') ?? '' });
}

describe('settings entry: login CSRF', () => {
  before(async () => {
    h = await startHarness();
    connection = await connectModule(h);
    h.emulator.createAccount({ name: 'tenant' });
  });
  after(async () => h.close());

  it('a GET with a clientId opens no session: it shows the confirmation page', async () => {
    const client = new FormClient();
    const page = await client.get(`${h.module.url}/settings?clientId=${connection.clientId}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /data-entry-confirm/);
    assert.ok(page.body.includes(`Open the settings of ${h.crmUrl}?`));
    assert.ok(!page.body.includes(connection.clientId), 'the page does not echo the clientId');
    assert.equal(client.cookie(SESSION), undefined);
    assert.equal((await client.get(`${h.module.url}/settings`)).status, 401);
  });

  it('a POST with Origin null or without Origin gets the confirmation page; its button opens the session', async () => {
    for (const headers of [{ origin: 'null' }, {}] as Record<string, string>[]) {
      const client = new FormClient();
      const page = await entry(client, headers);
      assert.equal(page.status, 200, JSON.stringify(headers));
      assert.match(page.body, /data-entry-confirm/);
      assert.equal(client.cookie(SESSION), undefined);
      const opened = await confirmFrom(client, page);
      assert.equal(opened.status, 303);
      assert.equal(opened.location, '/settings');
      assert.equal((await client.get(`${h.module.url}/settings`)).status, 200);
    }
  });

  it('the confirmation needs its CSRF token and an untampered entry token', async () => {
    const client = new FormClient();
    const page = await entry(client, { origin: 'null' });
    assert.equal((await client.post(`${h.module.url}/settings/open`, { entry: inputValue(page.body, 'entry') ?? '' })).status, 403);
    const tampered = await client.post(`${h.module.url}/settings/open`, { _csrf: inputValue(page.body, '_csrf') ?? '', entry: `${inputValue(page.body, 'entry')}x` });
    assert.equal(tampered.status, 401);
    assert.equal(client.cookie(SESSION), undefined);
  });

  it('another CRM tenant\'s origin is refused; the account\'s own origin opens the session at once', async () => {
    const stranger = new FormClient();
    const foreign = await entry(stranger, { origin: h.emulator.accountUrl('tenant') });
    assert.equal(foreign.status, 403);
    assert.equal(stranger.cookie(SESSION), undefined);
    const own = new FormClient();
    const opened = await entry(own, { origin: h.crmUrl });
    assert.equal(opened.status, 303);
    assert.ok(own.cookie(SESSION));
  });

  it('an address the account\'s system-info reports (its public URL) counts as the account\'s own', async () => {
    const { url } = h.emulator.renameAccount('demo', 'demo-public');
    const client = new FormClient();
    const opened = await entry(client, { origin: url });
    assert.equal(opened.status, 303);
    assert.ok(client.cookie(SESSION));
  });

  it('disconnecting ends every session of the connection, in every browser', async () => {
    const first = new FormClient();
    const second = new FormClient();
    await entry(first, { origin: h.crmUrl });
    await entry(second, { origin: h.crmUrl });
    const page = await first.get(`${h.module.url}/settings`);
    assert.equal((await second.get(`${h.module.url}/settings`)).status, 200);
    const done = await first.post(`${h.module.url}/settings/disconnect`, { _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(done.status, 200);
    assert.match(done.body, /Connect again/);
    assert.ok(!done.body.includes('/settings/save'), 'nothing on the page acts on the connection any more');
    assert.equal((await first.get(`${h.module.url}/settings`)).status, 401);
    assert.equal((await second.get(`${h.module.url}/settings`)).status, 401, 'the other browser\'s session ended too');
    // Opening it again from the CRM works: a new session.
    const again = new FormClient();
    assert.equal((await entry(again, { origin: h.crmUrl })).status, 303);
    assert.equal((await again.get(`${h.module.url}/settings`)).status, 200);
  });

  it('two modules on one host keep their own session cookies', async () => {
    const other = await startHarness({ integrationCode: 'other-sync', name: 'Other sync' });
    try {
      const otherConnection = await connectModule(other);
      const browser = new FormClient();
      assert.equal((await entry(browser, { origin: h.crmUrl })).status, 303);
      assert.equal((await browser.post(`${other.module.url}/settings`, { clientId: otherConnection.clientId }, { origin: other.crmUrl })).status, 303);
      assert.ok(browser.cookie(SESSION));
      assert.ok(browser.cookie('rcmk_session_other-sync'));
      assert.equal((await browser.get(`${h.module.url}/settings`)).status, 200, 'the first module\'s session survived the second');
      assert.equal((await browser.get(`${other.module.url}/settings`)).status, 200);
    } finally {
      await other.close();
    }
  });
});
