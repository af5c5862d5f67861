/**
 * Declared callbacks through a real connection: a module with a custom callback and the built-in `settings`
 * callback is connected through the form against the emulator; both actions are registered, and still after a
 * re-connect and a settings save; the emulator sends them; every bad input is a 4xx in the CRM's envelope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { z } from 'zod';
import { CallbackError, CallbackFile, defineCallback } from '../src/callbacks/declaration.js';
import type { CrmSettingsContext } from '../src/connect/hooks.js';
import type { Connection } from '../src/store/types.js';
import { html } from '../src/html/html.js';
import { alertText, FormClient, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;
let connection: Connection;
const heard: CrmSettingsContext[] = [];
const handled: { input: unknown; locale: string; siteCount: number }[] = [];

const quote = defineCallback({
  path: '/callback/quote',
  input: z.object({ items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1) }),
  output: z.object({ total: z.number() }),
  async handle({ input, locale, crm }) {
    if (input.items.some((item) => item.sku === 'forbidden')) throw new CallbackError('This item cannot be quoted');
    if (input.items.some((item) => item.sku === 'crash')) throw new Error('handler bug');
    if (input.items.some((item) => item.sku === 'wrong-shape')) return { total: 'many' } as never;
    const sites = await crm.sites();
    handled.push({ input, locale, siteCount: Object.keys(sites).length });
    return { total: input.items.reduce((sum, item) => sum + item.quantity * 2, 0) };
  },
});

/** A GET callback whose input is the plain query fields (as delivery `get` is, INTEGRATIONS §21.1). */
const lookup = defineCallback({
  method: 'GET',
  field: null,
  input: z.object({ deliveryId: z.string().min(1) }),
  handle: ({ input, connection }) => ({ deliveryId: input.deliveryId, account: connection.accountUrl }),
});

/** A callback answering with a file (as delivery `print` does). */
const label = defineCallback({
  input: z.object({ deliveryIds: z.array(z.string()).min(1) }),
  handle: ({ input }) => new CallbackFile('application/pdf', new TextEncoder().encode(`%PDF-1.4 ${input.deliveryIds.join(',')}`), 'labels 1.pdf'),
});

async function connect(client: FormClient, settings: Record<string, string> = goodSettings) {
  const page = await client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
  const done = await client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...settings, _csrf: inputValue(page.body, '_csrf') ?? '' });
  assert.equal(done.status, 303, alertText(done.body));
}

async function post(path: string, body: string, contentType = 'application/x-www-form-urlencoded') {
  const response = await request(`${h.module.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await response.body.text();
  return { status: response.statusCode, json: JSON.parse(text) as { success: boolean; errorMsg?: string; result?: unknown } };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const multipart = (fields: Record<string, string>, withFile = false) =>
  [
    ...Object.entries(fields).map(([name, value]) => `--BOUND\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    withFile ? '--BOUND\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nx\r\n' : '',
    '--BOUND--\r\n',
  ].join('');

function registeredActions() {
  const [module] = h.emulator.integrationModules('demo');
  assert.ok(module);
  return module.actions;
}

describe('declared callbacks', () => {
  before(async () => {
    h = await startHarness({
      callbacks: { actions: { quote, lookup, label } },
      settingsSection: ({ connection, locale, csrfField, at }) => {
        if ((connection.crmSettings.timezone as { value?: string } | undefined)?.value === 'Boom/Boom') throw new Error('section bug');
        return html`<form method="post" action="${at('/mine')}">${csrfField}<p data-module-note>${locale}</p></form>`;
      },
      hooks: {
        async validateSettings({ settings, crm }) {
          return settings.siteCode in (await crm.sites()) ? { ok: true } : { ok: false, message: 'no such store' };
        },
        onCrmSettings(context) {
          heard.push(context);
        },
      },
    });
    await connect(h.client);
    const found = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(found);
    connection = found;
  });
  after(async () => h.close());

  it('registers both actions beside activity', () => {
    assert.deepEqual(registeredActions(), {
      activity: '/activity',
      settings: '/callback/settings',
      quote: '/callback/quote',
      lookup: '/callback/lookup',
      label: '/callback/label',
    });
  });

  it('a handler may answer with a file instead of the envelope', async () => {
    const response = await request(`${h.module.url}/callback/label`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ clientId: connection.clientId, label: JSON.stringify({ deliveryIds: ['D1', 'D2'] }) }),
    });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/pdf/);
    assert.equal(response.headers['content-disposition'], 'attachment; filename="labels_1.pdf"');
    assert.equal(await response.body.text(), '%PDF-1.4 D1,D2');
  });

  it('a GET callback reads its input from the query; a bad query is a 400', async () => {
    const outcome = await h.emulator.sendCallback('demo', 'acme-sync', 'lookup', { method: 'GET', fields: { deliveryId: 'D-7' } });
    assert.equal(outcome.status, 200, outcome.body ?? outcome.error);
    assert.deepEqual(JSON.parse(outcome.body ?? ''), { success: true, result: { deliveryId: 'D-7', account: h.crmUrl } });
    const bad = await h.emulator.sendCallback('demo', 'acme-sync', 'lookup', { method: 'GET', fields: {} });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body ?? '').success, false);
  });

  it('the emulator sends the custom callback; the handler gets its input, the locale and a working crm client', async () => {
    const outcome = await h.emulator.sendCallback('demo', 'acme-sync', 'quote', { fields: { quote: { items: [{ sku: 'a', quantity: 3 }] } } });
    assert.equal(outcome.status, 200, outcome.body ?? outcome.error);
    assert.deepEqual(JSON.parse(outcome.body ?? ''), { success: true, result: { total: 6 } });
    assert.deepEqual(handled.at(-1), { input: { items: [{ sku: 'a', quantity: 3 }] }, locale: 'en', siteCount: 1 });
  });

  it('the settings callback: a partial report is merged and kept, the hook hears it, the pages follow the language', async () => {
    const first = await h.emulator.setSystemSettings('demo', { timezone: { value: 'Europe/Moscow' } });
    assert.equal(first['acme-sync']?.status, 200, first['acme-sync']?.body ?? '');
    const second = await h.emulator.setSystemSettings('demo', { system_language: { value: 'RU' } });
    assert.equal(second['acme-sync']?.delivered, true);
    const stored = await h.module.store.findById(connection.id);
    assert.equal((stored?.crmSettings.timezone as { value: string }).value, 'Europe/Moscow');
    assert.equal((stored?.crmSettings.system_language as { value: string }).value, 'RU');
    assert.deepEqual(Object.keys(heard.at(-1)?.changed ?? {}), ['system_language']);
    assert.equal((heard.at(-1)?.previous.timezone as { value: string }).value, 'Europe/Moscow');
    assert.equal(typeof heard.at(-1)?.crm.sites, 'function');

    // The person's page: no ?lang=, an English browser; the account speaks Russian.
    const client = new FormClient();
    await client.post(`${h.module.url}/settings`, { clientId: connection.clientId }, { origin: new URL(h.crmUrl).origin });
    const page = await client.get(`${h.module.url}/settings`, { 'accept-language': 'en-GB,en;q=0.9' });
    assert.match(page.body, /<html lang="ru"/);
    const english = await client.get(`${h.module.url}/settings?lang=en`, { 'accept-language': 'ru' });
    assert.match(english.body, /<html lang="en"/, 'an explicit choice still wins');
    // Callback errors for this account are in its language too.
    const refused = await post('/callback/quote', form({ clientId: connection.clientId, quote: '{' }));
    assert.equal(refused.status, 400);
    assert.match(refused.json.errorMsg ?? '', /Запрос от CRM/);
    // And the handler's locale (read lazily, from the stored CRM settings) is the account's.
    const handledInRussian = await post('/callback/quote', form({ clientId: connection.clientId, quote: JSON.stringify({ items: [{ sku: 'a', quantity: 1 }] }) }));
    assert.equal(handledInRussian.status, 200);
    assert.equal(handled.at(-1)?.locale, 'ru');
    await h.emulator.setSystemSettings('demo', { system_language: { value: 'EN' } });
  });

  it('the emulator\'s System settings page sends the settings callback', async () => {
    const { callEmulator } = await import('../src/emulator/http-client.js');
    const host = `demo.localhost:${h.emulator.port}`;
    const page = await callEmulator(h.emulator.port, host, '/admin/settings', { form: { system_language: 'ES', timezone: 'Europe/Moscow', default_currency: 'EUR' } });
    assert.equal(page.status, 200);
    assert.match(page.text, /data-settings-callback="acme-sync"><code>acme-sync<\/code>: delivered/);
    const stored = await h.module.store.findById(connection.id);
    assert.equal((stored?.crmSettings.system_language as { value: string }).value, 'ES');
    assert.deepEqual(Object.keys(heard.at(-1)?.changed ?? {}), ['system_language'], 'only what changed is reported');
    await h.emulator.setSystemSettings('demo', { system_language: { value: 'EN' } });
  });

  it('the module\'s section is on the settings page; a failing one leaves the page working without it', async () => {
    const client = new FormClient();
    await client.post(`${h.module.url}/settings`, { clientId: connection.clientId }, { origin: new URL(h.crmUrl).origin });
    const page = await client.get(`${h.module.url}/settings`);
    assert.match(page.body, /<p data-module-note>en<\/p>/);
    assert.match(page.body, /<form method="post" action="\/mine"><input type="hidden" name="_csrf" value="[^"]+">/);
    await h.emulator.setSystemSettings('demo', { timezone: { value: 'Boom/Boom' } });
    const without = await client.get(`${h.module.url}/settings`);
    assert.equal(without.status, 200);
    assert.doesNotMatch(without.body, /data-module-note/);
    assert.match(without.body, /name="siteCode"/, 'the kit\'s own sections are still there');
    await h.emulator.setSystemSettings('demo', { timezone: { value: 'Europe/Moscow' } });
  });

  it('both actions survive a re-connect and a settings save', async () => {
    const client = new FormClient();
    await connect(client, { ...goodSettings, orderPrefix: 'RE' });
    assert.deepEqual(Object.keys(registeredActions() ?? {}).sort(), ['activity', 'label', 'lookup', 'quote', 'settings']);

    await client.post(`${h.module.url}/settings`, { clientId: connection.clientId }, { origin: new URL(h.crmUrl).origin });
    const page = await client.get(`${h.module.url}/settings`);
    const saved = await client.post(`${h.module.url}/settings/save`, {
      ...goodSettings,
      currency: 'EUR', // changes `integrations`, so the save re-registers
      _csrf: inputValue(page.body, '_csrf') ?? '',
    });
    assert.equal(saved.status, 303, alertText(saved.body));
    const [module] = h.emulator.integrationModules('demo');
    assert.deepEqual((module?.integrations as { payment?: { currencies?: string[] } }).payment?.currencies, ['EUR'], 'the save did re-register');
    assert.deepEqual(Object.keys(registeredActions() ?? {}).sort(), ['activity', 'label', 'lookup', 'quote', 'settings']);
  });

  describe('bad inputs are 4xx in the CRM envelope, never 5xx', () => {
    const good = () => ({ clientId: connection.clientId, quote: JSON.stringify({ items: [{ sku: 'a', quantity: 1 }] }) });
    const cases: [string, () => Promise<{ status: number; json: { success: boolean; errorMsg?: string } }>, number][] = [
      ['no clientId', () => post('/callback/quote', form({ quote: good().quote })), 400],
      ['an unknown clientId', () => post('/callback/quote', form({ ...good(), clientId: 'nope' })), 404],
      ['no input field', () => post('/callback/quote', form({ clientId: connection.clientId })), 400],
      ['input that is not JSON', () => post('/callback/quote', form({ ...good(), quote: '{not json' })), 400],
      ['input of the wrong shape', () => post('/callback/quote', form({ ...good(), quote: '{"items":[]}' })), 400],
      ['a settings report of the wrong shape', () => post('/callback/settings', form({ clientId: connection.clientId, settings: '{"timezone":"UTC"}' })), 400],
      ['a settings callback without settings', () => post('/callback/settings', form({ clientId: connection.clientId })), 400],
      ['malformed multipart', () => post('/callback/quote', '--x\r\n\r\n--x--', 'multipart/form-data; boundary=x'), 400],
      ['multipart with a file part', () => post('/callback/quote', multipart({ clientId: connection.clientId }, true), 'multipart/form-data; boundary=BOUND'), 400],
      ['an XML body', () => post('/callback/quote', '<quote/>', 'application/xml'), 415],
      ['text/plain (read as no fields)', () => post('/callback/quote', 'clientId=x', 'text/plain'), 400],
      ['malformed JSON body', () => post('/callback/quote', '{"clientId":', 'application/json'), 400],
      ['a body over the limit', () => post('/callback/quote', form({ ...good(), pad: 'x'.repeat(70 * 1024) })), 413],
      ['the input field given twice', () => post('/callback/quote', `${form(good())}&quote=${encodeURIComponent(good().quote)}`), 400],
      ['the handler refuses', () => post('/callback/quote', form({ ...good(), quote: JSON.stringify({ items: [{ sku: 'forbidden', quantity: 1 }] }) })), 400],
    ];
    for (const [name, send, status] of cases) {
      it(name, async () => {
        const answer = await send();
        assert.equal(answer.status, status);
        assert.equal(answer.json.success, false);
        assert.equal(typeof answer.json.errorMsg, 'string');
        assert.ok(!answer.json.errorMsg?.includes(connection.clientId), 'no secret in the answer');
      });
    }

    it('a multipart body is read like a form (older clients send every POST so)', async () => {
      const answer = await post('/callback/quote', multipart(good()), 'multipart/form-data; boundary=BOUND');
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { success: true, result: { total: 2 } });
    });

    it('a refusal carries the module\'s own message', async () => {
      const answer = await post('/callback/quote', form({ ...good(), quote: JSON.stringify({ items: [{ sku: 'forbidden', quantity: 1 }] }) }));
      assert.equal(answer.json.errorMsg, 'This item cannot be quoted');
    });

    it('a failing handler or a result of the wrong shape is a 500 with a generic message (a module bug, not bad input)', async () => {
      for (const sku of ['crash', 'wrong-shape']) {
        const answer = await post('/callback/quote', form({ ...good(), quote: JSON.stringify({ items: [{ sku, quantity: 1 }] }) }));
        assert.equal(answer.status, 500);
        assert.doesNotMatch(answer.json.errorMsg ?? '', /handler bug|many/);
      }
    });

    it('a switched-off module refuses custom callbacks (403) but still takes the settings report', async () => {
      await h.emulator.setActivity('demo', 'acme-sync', { active: false });
      const refused = await post('/callback/quote', form(good()));
      assert.equal(refused.status, 403);
      const settings = await post('/callback/settings', form({ clientId: connection.clientId, settings: '{"timezone":{"value":"UTC"}}' }));
      assert.equal(settings.status, 200);
      await h.emulator.setActivity('demo', 'acme-sync', { active: true });
      assert.equal((await post('/callback/quote', form(good()))).status, 200);
    });
  });
});
