/**
 * Every settings field kind through the real form and settings page (HTTP against the emulator): rendered with
 * its label and range, sent back by a browser stand-in, converted, validated with human messages, stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { defineModule } from '../src/connect/module-definition.js';
import { alertText, fieldErrors, formFields } from '../src/testing/form-client.js';
import { startTestbed, type Testbed } from '../src/testing/testbed.js';

const kinds = (baseUrl: string) =>
  defineModule({
    integrationCode: 'kinds',
    name: 'Kinds',
    logo: `${baseUrl}/logo.svg`,
    baseUrl,
    scopes: ['reference_read'],
    settings: {
      schema: z.object({
        note: z.string().max(200).optional(),
        batch: z.number().int().min(1).max(500).default(50),
        webhook: z.url().optional(),
        channels: z.array(z.enum(['email', 'sms', 'push'])).min(1),
        mode: z.string(),
        token: z.string().min(8).optional(),
        sites: z.array(z.string()).default([]),
      }),
      fields: {
        note: { label: 'Note', input: 'textarea', section: { en: 'Extras', ru: 'Дополнительно', es: 'Extras' } },
        batch: { label: { en: 'Batch size', ru: 'Размер пакета', es: 'Tamaño del lote' } },
        webhook: { label: 'Webhook' },
        channels: { label: 'Channels', optionLabels: { sms: 'SMS' } },
        mode: { label: 'Mode', options: [{ value: 'fast', label: 'Fast' }, { value: 'safe', label: 'Safe' }] },
        token: { label: 'Carrier token', input: 'secret' },
        sites: {
          label: 'Stores',
          options: async ({ crm }) => Object.values(await crm.sites()).map((site) => ({ value: site.code, label: site.name })),
        },
      },
    },
  });

describe('settings field kinds over HTTP', () => {
  let bed: Testbed;
  before(async () => {
    bed = await startTestbed({ module: kinds });
  });
  after(() => bed.close());

  it('renders each kind as people expect it', async () => {
    const form = await bed.browser.get(`${bed.connectUrl}?account=${encodeURIComponent(bed.accountUrl)}`);
    const html = form.body;
    assert.match(html, /<fieldset class="section"><legend>Extras<\/legend>[\s\S]*<textarea id="note" name="note"/);
    assert.match(html, /<input type="number" id="batch" name="batch" value="50" inputmode="numeric" step="1" min="1" max="500"/);
    assert.match(html, /<input type="url" id="webhook"/);
    assert.match(html, /<select id="channels" name="channels" multiple[^>]*>\s*<option value="email">email<\/option>\s*<option value="sms">SMS<\/option>/);
    assert.match(html, /<select id="mode" name="mode">[\s\S]*<option value="fast">Fast<\/option>/);
    assert.match(html, /<input type="password" id="token" name="token" value="" autocomplete="new-password"/);
    assert.match(html, /<input type="text" id="sites"/, 'a loaded multi-select waits for the key as a text box');
    for (const name of ['note', 'batch', 'webhook', 'channels', 'mode', 'token', 'sites']) assert.match(html, new RegExp(`<label for="${name}">`));
  });

  it('names each problem in the person’s language, with the range', async () => {
    const attempt = await bed.submitConnect({ settings: { batch: 900, webhook: 'not a url', mode: 'fast', token: 'short' } });
    assert.equal(attempt.ok, false);
    assert.equal(attempt.fieldErrors.batch, '“Batch size” must be 500 or less.');
    assert.match(attempt.fieldErrors.webhook ?? '', /web address/);
    assert.match(attempt.fieldErrors.channels ?? '', /choose at least 1/);
    assert.match(attempt.fieldErrors.token ?? '', /at least 8 characters/);
    assert.ok(!attempt.page.body.includes('short'), 'the secret is not written back');
    const ru = await bed.browser.post(bed.connectUrl, { ...formFields(attempt.page.body), lang: 'ru', batch: '0' });
    assert.equal(fieldErrors(ru.body).batch, 'Значение поля «Размер пакета» должно быть не меньше 1.');
  });

  it('a multi-select round-trips as a list; the loaded one lists the account’s stores; the secret stays hidden', async () => {
    const attempt = await bed.submitConnect({ settings: { channels: ['email', 'push'], mode: 'safe', note: 'line 1\nline 2', token: 'carrier-token-123', sites: [] } });
    assert.equal(attempt.ok, true, attempt.errorText);
    assert.deepEqual(attempt.connection?.settings, { note: 'line 1\nline 2', batch: 50, channels: ['email', 'push'], mode: 'safe', token: 'carrier-token-123', sites: [] });
    assert.ok(attempt.connection);
    const page = await bed.openSettings(attempt.connection);
    assert.ok(!page.body.includes('carrier-token-123'));
    assert.match(page.body, /<select id="sites" name="sites" multiple[^>]*>\s*<option value="main">Main store<\/option>/);
    const fields = formFields(page.body, '/settings/save');
    assert.deepEqual(fields.channels, ['email', 'push']);
    assert.equal(fields.note, 'line 1\nline 2');
    const saved = await bed.browser.post(`${bed.module.url}/settings/save`, { ...fields, sites: ['main'], channels: 'sms' });
    assert.equal(saved.status, 303, alertText(saved.body));
    const stored = await bed.store.findById(attempt.connection.id);
    assert.deepEqual(stored?.settings.sites, ['main']);
    assert.deepEqual(stored?.settings.channels, ['sms']);
    assert.equal(stored?.settings.token, 'carrier-token-123', 'left empty, the secret is kept');
  });
});
