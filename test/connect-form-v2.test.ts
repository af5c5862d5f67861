/**
 * The connect form, second version (issue 11), over real HTTP against the emulator: a checked key is held in a
 * draft and never retyped, a store select lists what the key may use, a secret setting never comes back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyEntry } from '../src/store/keyring.js';
import { openConnectionStore } from '../src/store/open-connection-store.js';
import { after, before, describe, it } from 'node:test';
import { KNOWN_SCOPES } from '../src/protocol/index.js';
import { createModule } from '../examples/order-sync/module.js';
import { FormClient, alertText, fieldErrors, formFields, inputValue } from '../src/testing/form-client.js';
import { startTestbed, type Testbed } from '../src/testing/testbed.js';

const selectOptions = (html: string, name: string): string[] => {
  const body = new RegExp(`<select[^>]*name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
  return [...body.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1] ?? '').filter(Boolean);
};

describe('connect form v2: key first, settings from the account', () => {
  let bed: Testbed;
  let shopsUrl: string;
  let limitedKey: string;
  let fullKey: string;
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-connect-v2-'));
  before(async () => {
    const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('test') });
    bed = await startTestbed({ module: createModule, store });
    const shops = bed.emulator.createAccount({
      name: 'shops',
      sites: [
        { code: 'north', name: 'North store' },
        { code: 'south', name: 'South store' },
        { code: 'west', name: 'West store' },
      ],
    });
    shopsUrl = shops.url;
    fullKey = shops.apiKey;
    limitedKey = bed.emulator.createApiKey('shops', { scopes: [...KNOWN_SCOPES], sitesAvailable: ['north', 'west'] }).apiKey;
  });
  after(async () => {
    await bed.close();
    await bed.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const openForm = async (client: FormClient, account: string) => {
    const page = await client.get(`${bed.connectUrl}?account=${encodeURIComponent(account)}`);
    assert.equal(page.status, 200);
    return page;
  };

  it('a key error keeps the settings typed, and holds nothing', async () => {
    const client = new FormClient();
    const form = await openForm(client, bed.accountUrl);
    const page = await client.post(bed.connectUrl, { ...formFields(form.body), apiKey: 'wrong-key', siteCode: 'main', orderPrefix: 'WEB' });
    assert.equal(page.status, 422);
    assert.ok(fieldErrors(page.body).apiKey, 'the message is beside the key');
    assert.equal(inputValue(page.body, 'orderPrefix'), 'WEB');
    assert.equal(inputValue(page.body, 'siteCode'), 'main');
    assert.equal(inputValue(page.body, 'draft'), undefined, 'an unchecked key is not held');
    assert.match(page.body, /id="apiKey"[^>]*aria-invalid="true"[^>]*autofocus/, 'focus on the first error');
    assert.match(page.body, /<a href="#apiKey">/, 'the summary links to the field');
  });

  it('a settings error keeps the key: the next submit has no key and connects', async () => {
    const client = new FormClient();
    const form = await openForm(client, bed.accountUrl);
    const page = await client.post(bed.connectUrl, { ...formFields(form.body), apiKey: bed.apiKey, siteCode: 'main', orderPrefix: 'bad prefix!' });
    assert.equal(page.status, 422);
    assert.match(fieldErrors(page.body).orderPrefix ?? '', /capital letters/);
    assert.ok(!page.body.includes(bed.apiKey), 'the key is not in the page');
    assert.ok(inputValue(page.body, 'draft'), 'a draft holds the key');
    assert.equal(inputValue(page.body, 'apiKey'), '');
    const fields: Record<string, string | string[]> = { ...formFields(page.body), orderPrefix: 'WEB' };
    assert.equal(fields.apiKey, '');
    const done = await client.post(bed.connectUrl, fields);
    assert.equal(done.status, 303, alertText(done.body));
    const connection = await bed.store.findByAccount(bed.accountUrl, bed.definition.code);
    assert.equal(connection?.settings.orderPrefix, 'WEB');
    assert.equal(connection?.apiKey, bed.apiKey);
  });

  it('a draft is single use and bound to its browser', async () => {
    const client = new FormClient();
    const form = await openForm(client, bed.accountUrl);
    const page = await client.post(bed.connectUrl, { ...formFields(form.body), apiKey: bed.apiKey, siteCode: 'main', orderPrefix: 'bad!' });
    const fields = { ...formFields(page.body), orderPrefix: 'OK' };
    // Another browser with the page's id (and a form of its own for the CSRF token) gets nothing.
    const stranger = new FormClient();
    const strangerForm = await openForm(stranger, bed.accountUrl);
    const stolen = await stranger.post(bed.connectUrl, { ...fields, _csrf: formFields(strangerForm.body)._csrf as string });
    assert.equal(stolen.status, 422);
    assert.ok(fieldErrors(stolen.body).apiKey, 'the stranger is asked for a key');
    // ...and the draft it tried is burnt for the owner too: the owner is asked for the key again.
    const owner = await client.post(bed.connectUrl, fields);
    assert.equal(owner.status, 422);
    assert.ok(fieldErrors(owner.body).apiKey);
  });

  it('a store select lists the account’s stores after the key; a limited key sees only its stores', async () => {
    for (const [key, expected] of [[fullKey, ['north', 'south', 'west']], [limitedKey, ['north', 'west']]] as const) {
      const client = new FormClient();
      const form = await openForm(client, shopsUrl);
      assert.match(form.body, /<input type="text" id="siteCode"/, 'before the key, the store is typed');
      const step = await client.post(bed.connectUrl, { ...formFields(form.body), apiKey: key, siteCode: '' });
      assert.equal(step.status, 200, alertText(step.body));
      assert.equal(alertText(step.body), undefined, 'the first sight of the choices is not an error');
      assert.deepEqual(selectOptions(step.body, 'siteCode'), expected);
      const done = await client.post(bed.connectUrl, { ...formFields(step.body), siteCode: 'west' });
      assert.equal(done.status, 303, alertText(done.body));
    }
    const limited = new FormClient();
    const form = await openForm(limited, shopsUrl);
    const refused = await limited.post(bed.connectUrl, { ...formFields(form.body), apiKey: limitedKey, siteCode: 'south' });
    assert.equal(refused.status, 422);
    assert.match(fieldErrors(refused.body).siteCode ?? '', /south/);
    assert.deepEqual(selectOptions(refused.body, 'siteCode'), ['north', 'west']);
  });

  it('a secret setting is stored sealed, never shown, and an empty field keeps it', async () => {
    const token = `PARTNERTOKEN${Date.now()}secret`;
    const client = new FormClient();
    const form = await openForm(client, bed.accountUrl);
    const done = await client.post(bed.connectUrl, { ...formFields(form.body), apiKey: bed.apiKey, siteCode: 'main', partnerToken: token });
    assert.equal(done.status, 303, alertText(done.body));
    const connection = await bed.store.findByAccount(bed.accountUrl, bed.definition.code);
    assert.equal(connection?.settings.partnerToken, token);
    assert.ok(connection);
    const settings = await bed.openSettings(connection);
    assert.equal(settings.status, 200);
    assert.ok(!settings.body.includes(token), 'the settings page never shows the secret');
    assert.match(settings.body, /A value is saved/);
    const saved = await bed.browser.post(`${bed.module.url}/settings/save`, { ...formFields(settings.body, '/settings/save'), orderPrefix: 'NEW' });
    assert.equal(saved.status, 303, alertText(saved.body));
    const after = await bed.store.findByAccount(bed.accountUrl, bed.definition.code);
    assert.equal(after?.settings.orderPrefix, 'NEW');
    assert.equal(after?.settings.partnerToken, token, 'an empty secret field keeps the saved one');
    const files = readdirSync(dir).filter((f) => f.includes('sqlite'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const bytes = readFileSync(join(dir, file));
      assert.equal(bytes.indexOf(token), -1, `${file} holds the token in plaintext`);
      assert.equal(bytes.indexOf(bed.apiKey), -1, `${file} holds the key in plaintext`);
    }
  });

  it('a key typed in the settings form (Enter in the key field) is a key change, not dropped', async () => {
    const connection = await bed.store.findByAccount(bed.accountUrl, bed.definition.code);
    assert.ok(connection);
    const page = await bed.openSettings(connection);
    const newKey = bed.emulator.createApiKey('demo', { scopes: [...KNOWN_SCOPES] }).apiKey;
    const fields = { ...formFields(page.body, '/settings/save'), apiKey: newKey };
    const saved = await bed.browser.post(`${bed.module.url}/settings/save`, fields);
    assert.equal(saved.status, 303, alertText(saved.body));
    assert.match(saved.location ?? '', /notice=keySaved/);
    assert.equal((await bed.store.findById(connection.id))?.apiKey, newKey);
  });

  it('after Disconnect the settings page offers Connect again and no save form', async () => {
    const connection = await bed.store.findByAccount(bed.accountUrl, bed.definition.code);
    assert.ok(connection);
    const page = await bed.openSettings(connection);
    const gone = await bed.browser.post(`${bed.module.url}/settings/disconnect`, formFields(page.body, '/settings/disconnect'));
    const after = await bed.browser.follow(gone, `${bed.module.url}/settings/disconnect`);
    assert.equal(after.status, 200);
    assert.match(after.body, /Connect again/);
    assert.match(after.body, new RegExp(`href="${bed.accountUrl}/admin/integration/list"`));
    assert.ok(!after.body.includes('/settings/save'), 'no settings form');
    assert.ok(!after.body.includes('/settings/api-key'), 'no key form');
  });
});
