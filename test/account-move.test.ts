/**
 * A changed `systemUrl` in an activity callback (issue 14, item 6): a clientId alone must not move a connection's
 * API key to another host. The new address is adopted only when the account at the stored address confirms it
 * (`GET /api/system-info` there reports it); otherwise the claim is recorded and shown on the settings page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { Connection } from '../src/store/types.js';
import { FormClient, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;
let connection: Connection;

async function postActivity(fields: Record<string, string>) {
  const response = await request(`${h.module.url}/activity`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.statusCode, body: await response.body.json() };
}

const current = async () => (await h.module.store.findById(connection.id)) as Connection;
const activity = JSON.stringify({ active: true, freeze: false });

describe('activity callbacks: a new systemUrl is adopted only when the account confirms it', () => {
  before(async () => {
    h = await startHarness();
    const page = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(done.status, 303);
    connection = (await h.module.store.findByAccount(h.crmUrl, 'acme-sync')) as Connection;
    // A CRM account of the attacker's own: an address the URL policy accepts.
    h.emulator.createAccount({ name: 'attacker' });
  });
  after(async () => h.close());

  it('an address the stored account does not report is not adopted: the claim is recorded and shown', async () => {
    const claimed = h.emulator.accountUrl('attacker');
    const result = await postActivity({ clientId: connection.clientId, activity, systemUrl: `${claimed}/` });
    assert.equal(result.status, 200);
    assert.equal((await current()).accountUrl, h.crmUrl, 'the key stays with the stored account');
    const [latest] = await h.module.store.listEvents(connection.id, 1);
    assert.equal(latest?.type, 'account_url_claimed');
    assert.equal(latest?.details.to, claimed);
    // The next CRM call goes to the stored address, never to the claimed one.
    const before = h.emulator.requests('attacker').length;
    const client = new FormClient();
    await client.post(`${h.module.url}/settings`, { clientId: connection.clientId }, { origin: h.crmUrl });
    const page = await client.get(`${h.module.url}/settings`);
    assert.match(page.body, /data-account-claim/);
    assert.ok(page.body.includes(claimed), 'the person sees which address was claimed');
    const saved = await client.post(`${h.module.url}/settings/save`, { ...goodSettings, currency: 'USD', _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(saved.status, 303);
    assert.equal(h.emulator.requests('attacker').length, before, 'nothing was sent to the claimed host');
    // A repeat of the same claim is not logged twice.
    await postActivity({ clientId: connection.clientId, activity, systemUrl: claimed });
    assert.equal((await h.module.store.listEvents(connection.id, 50)).filter((e) => e.type === 'account_url_claimed').length, 1);
  });

  it('an address the stored account reports as its own is adopted', async () => {
    const { url } = h.emulator.renameAccount('demo', 'demo-moved');
    const delivery = await h.emulator.setActivity('demo', 'acme-sync', { active: true });
    assert.equal(delivery.status, 200);
    const moved = await current();
    assert.equal(moved.accountUrl, url);
    assert.equal((await h.module.store.listEvents(connection.id, 1))[0]?.type, 'account_url_changed');
    // The account's technical address is its own too: moving back is confirmed from the new address.
    await postActivity({ clientId: connection.clientId, activity, systemUrl: h.crmUrl });
    assert.equal((await current()).accountUrl, h.crmUrl);
  });
});
