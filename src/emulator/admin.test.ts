import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callEmulator } from './http-client.js';
import { startEmulator, type EmulatorHandle } from './index.js';

describe('emulator admin pages over HTTP', () => {
  let crm: EmulatorHandle;
  let adminKey: string;
  const page = (path: string, form?: Record<string, string>) =>
    callEmulator(crm.port, `demo.localhost:${crm.port}`, path, form ? { form } : {});

  before(async () => {
    crm = await startEmulator({ port: 0, rateLimit: false });
    adminKey = crm.createAccount({ name: 'demo' }).apiKey;
    crm.publishModule({ integrationCode: 'acme', name: 'Acme "module"', accountUrl: 'http://127.0.0.1:9/connect?x=1' });
    const module = { code: 'acme-1', integrationCode: 'acme', name: '<b>Acme</b>', clientId: 'cid"<1>', accountUrl: 'http://127.0.0.1:9/settings' };
    await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/v5/integration-modules/acme-1/edit', {
      apiKey: adminKey,
      form: { integrationModule: JSON.stringify(module) },
    });
  });
  after(() => crm.close());

  it('Connect redirects (GET) to accountUrl with account = full origin and a trailing slash', async () => {
    const reply = await page('/admin/marketplace/acme/connect');
    assert.equal(reply.status, 302);
    const location = new URL(String(reply.headers['location']));
    assert.equal(location.origin + location.pathname, 'http://127.0.0.1:9/connect');
    assert.equal(location.searchParams.get('x'), '1');
    assert.equal(location.searchParams.get('account'), `http://demo.localhost:${crm.port}/`);
    assert.equal((await page('/admin/marketplace/nope/connect')).status, 404);
  });

  it('serves pages with a strict CSP, a stylesheet and no inline script', async () => {
    for (const path of ['/admin/marketplace', '/admin/integration/list', '/admin/api-keys']) {
      const reply = await page(path);
      assert.equal(reply.status, 200, path);
      assert.match(String(reply.headers['content-security-policy']), /default-src 'none'/);
      assert.doesNotMatch(reply.text, /<script/i);
      assert.match(reply.text, /href="\/_static\/admin\.css"/);
    }
    const css = await page('/_static/admin.css');
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('escapes module data and posts clientId to accountUrl from "Open settings"', async () => {
    const list = (await page('/admin/integration/list')).text;
    assert.ok(list.includes('&lt;b&gt;Acme&lt;/b&gt;'));
    assert.ok(!list.includes('<b>Acme</b>'));
    assert.match(list, /<form class="inline" method="post" action="http:\/\/127\.0\.0\.1:9\/settings"><input type="hidden" name="clientId" value="cid&quot;&lt;1&gt;">/);
    assert.match(list, /class="state active"/);
  });

  it('refuses admin form POSTs from another origin (CSRF), before doing anything', async () => {
    const host = `demo.localhost:${crm.port}`;
    const keysBefore = (await page('/admin/api-keys')).text.match(/data-key-id=/g)?.length ?? 0;
    for (const origin of ['http://evil.example', `http://other.localhost:${crm.port}`, 'http://demo.localhost:1', 'null']) {
      const created = await callEmulator(crm.port, host, '/admin/api-keys', { form: { scope: 'integration_write' }, headers: { origin } });
      assert.equal(created.status, 403, origin);
      assert.match(String(created.headers['content-type']), /^text\/html/);
      const toggled = await callEmulator(crm.port, host, '/admin/integration/acme-1/activity', { form: { action: 'deactivate' }, headers: { origin } });
      assert.equal(toggled.status, 403, origin);
    }
    assert.equal((await page('/admin/api-keys')).text.match(/data-key-id=/g)?.length ?? 0, keysBefore, 'no key was created');
    assert.equal(crm.integrationModules('demo')[0]?.active, true, 'the module was not switched off');
    // The page's own origin (as the browser sends it) passes, and so does no Origin at all.
    const own = await callEmulator(crm.port, host, '/admin/api-keys', { form: { scope: 'integration_read' }, headers: { origin: `http://${host}` } });
    assert.equal(own.status, 201);
    assert.equal((await page('/admin/api-keys', { scope: 'integration_read' })).status, 201);
  });

  it('toggles a module with a form POST and shows that no callback could be delivered', async () => {
    const reply = await page('/admin/integration/acme-1/activity', { action: 'freeze' });
    assert.equal(reply.status, 303);
    assert.equal(reply.headers['location'], '/admin/integration/list');
    assert.equal(crm.integrationModules('demo')[0]?.freeze, true);
    const list = (await page('/admin/integration/list')).text;
    assert.match(list, /class="state frozen"/);
    assert.match(list, /not delivered/);
    assert.equal((await page('/admin/integration/acme-1/activity', { action: 'explode' })).status, 400);
  });

  it('creates a key from the form, shows it once, lists keys masked, and revokes', async () => {
    const created = await page('/admin/api-keys', { scope: 'integration_read' });
    assert.equal(created.status, 201);
    const key = /id="new-api-key">([A-Za-z0-9]{32})</.exec(created.text)?.[1];
    assert.ok(key, 'the new key is not shown');
    const creds = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/credentials', { apiKey: key });
    assert.deepEqual(creds.json.scopes, ['integration_read']);

    const list = (await page('/admin/api-keys')).text;
    assert.ok(!list.includes(key) && !list.includes(adminKey), 'the list shows a full key');
    assert.ok(list.includes(`${key.slice(0, 4)}…`));

    const id = /data-key-id="(k\d+)"><td><code>([^<]+)<\/code>/g;
    const rows = [...list.matchAll(id)];
    const row = rows.find((m) => m[2] === `${key.slice(0, 4)}…`);
    assert.ok(row);
    const revoke = await page(`/admin/api-keys/${row[1]}/revoke`, {});
    assert.equal(revoke.status, 303);
    const after = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/credentials', { apiKey: key });
    assert.equal(after.status, 403);
  });

  it('creates a key with several scopes, legacy methods and selected stores', async () => {
    const body = new URLSearchParams([
      ['scope', 'integration_read'],
      ['scope', 'integration_write'],
      ['credential', '/api/reference/sites'],
      ['siteAccess', 'access_selective'],
      ['site', 'main'],
    ]).toString();
    const { request } = await import('undici');
    const response = await request(`http://127.0.0.1:${crm.port}/admin/api-keys`, {
      method: 'POST',
      headers: { host: `demo.localhost:${crm.port}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const text = await response.body.text();
    const key = /id="new-api-key">([A-Za-z0-9]{32})</.exec(text)?.[1];
    assert.ok(key);
    const creds = (await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/credentials', { apiKey: key })).json;
    assert.deepEqual(creds.scopes, ['integration_read', 'integration_write']);
    assert.ok(creds.credentials.includes('/api/reference/sites'));
    assert.equal(creds.siteAccess, 'access_selective');
    assert.deepEqual(creds.sitesAvailable, ['main']);
  });
});
