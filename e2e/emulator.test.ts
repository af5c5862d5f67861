import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { callEmulator } from '../src/emulator/http-client.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { launchChromium } from './browser.js';

interface ModuleHit {
  method: string;
  path: string;
  account: string | null;
  fields: Record<string, string>;
}

/** A tiny server on 127.0.0.1 standing in for the module: it records what reaches it. */
async function startFakeModule() {
  const hits: ModuleHit[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://module.test');
      hits.push({ method: req.method ?? '', path: url.pathname, account: url.searchParams.get('account'), fields: Object.fromEntries(new URLSearchParams(body)) });
      if (url.pathname === '/activity') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>module</title><h1 id="module-page">${url.pathname}</h1>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { hits, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('emulator pages in Chromium', () => {
  let crm: EmulatorHandle;
  let module: Awaited<ReturnType<typeof startFakeModule>>;
  let browser: Browser;
  let page: Page;
  let createdKey = '';

  before(async () => {
    crm = await startEmulator({ port: 0 });
    crm.createAccount({ name: 'demo' });
    module = await startFakeModule();
    crm.publishModule({ integrationCode: 'fake', name: 'Fake module', description: 'Stands in for a module', accountUrl: `${module.url}/connect` });
    browser = await launchChromium();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await module?.close();
    await crm?.close();
  });

  it('creates a key on /admin/api-keys with the chosen scopes', async () => {
    await page.goto(`${crm.accountUrl('demo')}/admin/api-keys`);
    await page.check('input[name=scope][value=integration_read]');
    await page.check('input[name=scope][value=integration_write]');
    await page.click('#create-key');
    createdKey = (await page.textContent('#new-api-key')) ?? '';
    assert.match(createdKey, /^[A-Za-z0-9]{32}$/);
    const creds = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/credentials', { apiKey: createdKey });
    assert.deepEqual(creds.json.scopes, ['integration_read', 'integration_write']);
    // Reloaded, the list shows the key masked only.
    await page.goto(`${crm.accountUrl('demo')}/admin/api-keys`);
    const listed = await page.content();
    assert.ok(listed.includes(`${createdKey.slice(0, 4)}…`));
    assert.ok(!listed.includes(createdKey));
  });

  it('shows the published card and Connect lands on the accountUrl with the account parameter', async () => {
    await page.goto(crm.marketplaceUrl('demo'));
    const card = page.locator('article.card[data-integration-code=fake]');
    assert.equal(await card.locator('strong').textContent(), 'Fake module');
    await card.getByText('Connect').click();
    await page.waitForURL(`${module.url}/connect**`);
    assert.equal(await page.textContent('#module-page'), '/connect');
    const hit = module.hits.find((h) => h.path === '/connect');
    assert.equal(hit?.method, 'GET');
    assert.equal(hit?.account, `http://demo.localhost:${crm.port}/`);
  });

  it('toggles a registered module on /admin/integration/list and the callback is delivered', async () => {
    const registration = {
      code: 'fake-1',
      integrationCode: 'fake',
      active: true,
      name: 'Fake module',
      clientId: 'client-fake-1',
      baseUrl: module.url,
      actions: { activity: '/activity' },
      accountUrl: `${module.url}/settings`,
    };
    const edit = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/v5/integration-modules/fake-1/edit', {
      apiKey: createdKey,
      form: { integrationModule: JSON.stringify(registration) },
    });
    assert.equal(edit.status, 201);

    await page.goto(`${crm.accountUrl('demo')}/admin/integration/list`);
    const row = page.locator('tr[data-code="fake-1"]');
    assert.equal(await row.locator('.state').textContent(), 'active');
    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page.waitForURL(`${crm.accountUrl('demo')}/admin/integration/list`);
    assert.equal(await row.locator('.state').textContent(), 'inactive');
    assert.equal(await row.locator('.delivery').textContent(), 'delivered');
    const callback = module.hits.filter((h) => h.path === '/activity').at(-1);
    assert.equal(callback?.method, 'POST');
    assert.deepEqual(callback?.fields, {
      clientId: 'client-fake-1',
      activity: '{"active":false,"freeze":false}',
      systemUrl: crm.accountUrl('demo'),
    });
  });

  it('"Open settings" arrives at the module accountUrl as a POST carrying clientId', async () => {
    await page.goto(`${crm.accountUrl('demo')}/admin/integration/list`);
    await page.locator('tr[data-code="fake-1"]').getByRole('button', { name: 'Open settings' }).click();
    await page.waitForURL(`${module.url}/settings`);
    assert.equal(await page.textContent('#module-page'), '/settings');
    const hit = module.hits.filter((h) => h.path === '/settings').at(-1);
    assert.equal(hit?.method, 'POST');
    assert.deepEqual(hit?.fields, { clientId: 'client-fake-1' });
  });
});
