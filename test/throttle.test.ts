/**
 * The unauthenticated connect form must not spend an account's CRM budget (issue 14, item 5): submits are
 * throttled per client address and per account before any CRM call, and what the form does send to the CRM
 * uses only a share of the account's budget, so the account's connection keeps the rest.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { FormClient, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

const JUNK_KEY = 'JunkJunkJunkJunkJunkJunkJunkJunk';

async function csrfOf(h: Harness, client: FormClient): Promise<string> {
  return inputValue((await client.get(h.connectUrl)).body, '_csrf') ?? '';
}

describe('connect form throttle: per client address and per account, before any CRM call', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, { start: { throttle: { perClient: { max: 5, windowMs: 60_000 }, perAccount: { max: 3, windowMs: 60_000 } } } });
  });
  after(async () => h.close());

  it('the 4th submit for one account and the 6th from one client get 429, and the CRM hears nothing of them', async () => {
    const client = new FormClient();
    const csrf = await csrfOf(h, client);
    const other = h.emulator.createAccount({ name: 'other' });
    const submit = (account: string) => client.post(h.connectUrl, { account, apiKey: JUNK_KEY, ...goodSettings, _csrf: csrf });
    for (let i = 0; i < 3; i++) assert.equal((await submit(h.crmUrl)).status, 422);
    const calls = h.emulator.requests('demo').length;
    const throttled = await submit(`${h.crmUrl}/`);
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers['retry-after']) >= 1);
    assert.match(throttled.body, /Too many connection attempts/);
    assert.equal(h.emulator.requests('demo').length, calls, 'no CRM call for a throttled submit');
    // Another account from the same client: its own account limit, the client's limit still counting.
    assert.equal((await submit(other.url)).status, 422);
    const byClient = await submit(other.url);
    assert.equal(byClient.status, 429);
  });
});

describe('the connect form uses only a share of the account\'s CRM budget', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, { start: { throttle: { perClient: false, perAccount: false } } });
  });
  after(async () => h.close());

  it('25 junk-key submits for an account do not hold up a real settings save of that account', async () => {
    const page = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(done.status, 303);
    const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(connection);
    const owner = new FormClient();
    await owner.post(`${h.module.url}/settings`, { clientId: connection.clientId }, { origin: h.crmUrl });
    const settings = await owner.get(`${h.module.url}/settings`);
    assert.equal(settings.status, 200);

    const attacker = new FormClient();
    const csrf = await csrfOf(h, attacker);
    const junk = Array.from({ length: 25 }, () => attacker.post(h.connectUrl, { account: h.crmUrl, apiKey: JUNK_KEY, ...goodSettings, _csrf: csrf }));
    await new Promise((resolve) => setTimeout(resolve, 100)); // let them queue for the account's budget
    const started = performance.now();
    const saved = await owner.post(`${h.module.url}/settings/save`, { ...goodSettings, orderPrefix: 'OK', _csrf: inputValue(settings.body, '_csrf') ?? '' });
    const took = performance.now() - started;
    assert.equal(saved.status, 303);
    // Alone, a save takes milliseconds; behind 25 queued calls at 10/s it took about 2.5 s before the share
    // (40 took 3.9 s).
    assert.ok(took < 1500, `the save took ${Math.round(took)} ms`);
    for (const response of await Promise.all(junk)) assert.equal(response.status, 422);
  });
});
