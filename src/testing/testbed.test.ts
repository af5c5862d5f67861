/**
 * The testing helpers module authors get, driven the way a module author would: the bundled example module,
 * its settings' defaults, a refused key, the settings page, activity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createModule } from '../../examples/order-sync/module.js';
import { formFields } from './form-client.js';
import { startTestbed, type Testbed } from './testbed.js';

describe('testing helpers: startTestbed', () => {
  let bed: Testbed;
  before(async () => {
    bed = await startTestbed({ module: createModule });
  });
  after(() => bed.close());

  it('starts the module on a free port with a baseUrl that is its own address', () => {
    assert.equal(bed.definition.baseUrl, bed.module.url);
    assert.match(bed.connectUrl, /^http:\/\/127\.0\.0\.1:\d+\/connect$/);
    assert.notEqual(new URL(bed.module.url).port, '0');
  });

  it('submitConnect reports the form\'s own error for a wrong key and stores nothing active', async () => {
    const attempt = await bed.submitConnect({ apiKey: 'not-a-key-of-this-account', settings: { siteCode: 'main' } });
    assert.equal(attempt.ok, false);
    assert.ok(attempt.status >= 400 && attempt.status < 500, `a 4xx, got ${attempt.status}`);
    assert.ok(attempt.errorText && attempt.errorText.length > 0, 'the page names what went wrong');
    assert.notEqual(attempt.connection?.state, 'active');
  });

  it('connect goes through the real form, keeping the defaults of fields it does not name', async () => {
    const connection = await bed.connect({ settings: { siteCode: 'main', orderPrefix: 'WEB' } });
    assert.equal(connection.state, 'active');
    assert.deepEqual(connection.settings, { siteCode: 'main', orderPrefix: 'WEB', syncEveryMinutes: '15', includeCancelled: false });
    const registered = bed.emulator.integrationModules('demo');
    assert.equal(registered.length, 1);
    assert.equal(bed.clientIdOf(connection), registered[0]!.clientId);
  });

  it('openSettings lands on the settings page showing the stored settings', async () => {
    const connection = await bed.store.findByAccount(bed.accountUrl, bed.definition.code);
    assert.ok(connection);
    const page = await bed.openSettings(connection);
    assert.equal(page.status, 200);
    const fields = formFields(page.body, '/settings/save');
    assert.equal(fields.siteCode, 'main');
    assert.equal(fields.orderPrefix, 'WEB');
    assert.ok(!page.body.includes(bed.clientIdOf(connection)), 'the page never shows the clientId');
  });

  it('setActivity switches the module off through its activity callback', async () => {
    const connection = (await bed.store.findByAccount(bed.accountUrl, bed.definition.code))!;
    const delivery = await bed.setActivity(connection, { active: false });
    assert.equal(delivery.delivered, true);
    const after = await bed.store.findById(connection.id);
    assert.equal(after?.active, false);
  });
});

describe('testing helpers: formFields reads a form as a browser submits it', () => {
  it('takes text, checked boxes, the selected option (or the first), textareas and multi-selects', () => {
    const html = `<form action="/x"><input type="hidden" name="_csrf" value="t&amp;1"><input name="a" value="1">
      <input type="checkbox" name="b" checked><input type="checkbox" name="c"><input type="submit" name="go" value="Go">
      <select name="s"><option value="x">X</option><option value="y" selected>Y</option></select>
      <select name="f"><option value="p">P</option><option value="q">Q</option></select>
      <select name="m" multiple><option value="1" selected>1</option><option value="2">2</option><option value="3" selected>3</option></select>
      <textarea name="t">a &lt;b&gt;</textarea><input name="off" value="z" disabled></form>`;
    assert.deepEqual(formFields(html), { _csrf: 't&1', a: '1', b: 'on', s: 'y', f: 'p', m: ['1', '3'], t: 'a <b>' });
  });
});

describe('testing helpers: a module built with defaults, connected without typing them', () => {
  it('submits what the form shows: a default-on checkbox ticked, the default option selected; field errors by name', async () => {
    const { z } = await import('zod');
    const { defineModule } = await import('../connect/module-definition.js');
    const bed = await startTestbed({
      module: (baseUrl) =>
        defineModule({
          integrationCode: 'defaults',
          name: 'Defaults',
          logo: 'https://defaults.example/logo.svg',
          baseUrl,
          settings: {
            schema: z.object({
              notify: z.boolean().default(true),
              every: z.enum(['5', '15', '60']).default('60'),
              code: z.string().regex(/^[a-z]*$/, 'lower-case letters only').default('abc'),
            }),
            fields: { notify: { label: 'Notify' }, every: { label: 'Every' }, code: { label: 'Code' } },
          },
        }),
    });
    try {
      const refused = await bed.submitConnect({ settings: { code: 'ABC' } });
      assert.equal(refused.ok, false);
      assert.ok(refused.fieldErrors.code, 'the error stands beside the field');
      const connection = await bed.connect();
      assert.deepEqual(connection.settings, { notify: true, every: '60', code: 'abc' });
    } finally {
      await bed.close();
    }
  });
});
