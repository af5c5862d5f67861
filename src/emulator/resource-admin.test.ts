/**
 * The emulator's business-data pages over HTTP: orders and customers made as a person, bad input refused with a
 * 4xx page and nothing stored, cross-site posts refused, notifications shown as text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callEmulator } from './http-client.js';
import { startEmulator, type EmulatorHandle } from './index.js';

let crm: EmulatorHandle;
let apiKey: string;
const host = () => `shop.localhost:${crm.port}`;
const page = (path: string, form?: Record<string, string>, headers?: Record<string, string>) =>
  callEmulator(crm.port, host(), path, { ...(form ? { form } : {}), ...(headers ? { headers } : {}) });

describe('emulator admin pages: orders, customers, notifications, settings', () => {
  before(async () => {
    crm = await startEmulator({ port: 0, seed: { shop: { orders: [{ number: 'SEED-1', firstName: 'Ana' }] } } });
    apiKey = crm.createApiKey('shop', { scopes: ['order_read'] }).apiKey;
  });
  after(async () => crm.close());

  it('the start option seeded the account; the orders page lists it', async () => {
    const list = await page('/admin/orders');
    assert.equal(list.status, 200);
    assert.match(list.text, /SEED-1/);
    assert.match(String(list.headers['content-security-policy']), /default-src 'none'/);
  });

  it('an order made on the page is in the history with source user', async () => {
    const made = await page('/admin/orders', { number: 'P-1', productName: 'Tea', price: '2.5', quantity: '4', site: 'main', status: 'new' });
    assert.equal(made.status, 201);
    assert.match(made.text, /Order P-1 created/);
    const order = crm.orders('shop').find((o) => o.number === 'P-1');
    assert.equal(order?.totalSumm, 10);
    const history = await callEmulator(crm.port, host(), '/api/v5/orders/history', { apiKey });
    assert.deepEqual(history.json.history.at(-1).source, 'user');
  });

  it('bad input is a 400 page and stores nothing', async () => {
    const before = crm.orders('shop').length;
    const bad: Record<string, string>[] = [
      { number: 'X', price: '-1' },
      { number: 'X', quantity: '0' },
      { number: 'X', price: 'abc' },
      { number: 'X', status: 'no-such-status' },
      { number: 'X', site: 'nowhere' },
    ];
    for (const form of bad) {
      const refused = await page('/admin/orders', form);
      assert.equal(refused.status, 400, JSON.stringify(form));
      assert.match(refused.text, /role="alert"/);
    }
    assert.equal(crm.orders('shop').length, before);
    const badEmail = await page('/admin/customers', { firstName: 'B', email: 'not an email' });
    assert.equal(badEmail.status, 400);
    assert.equal(crm.customers('shop').length, 0);
    const made = await page('/admin/customers', { firstName: 'Bea', phone: '+34600111222' });
    assert.equal(made.status, 201);
    assert.deepEqual(crm.customers('shop').map((c) => c.phones), [[{ number: '+34600111222' }]]);
  });

  it('a post from another site is refused', async () => {
    const refused = await page('/admin/orders', { number: 'CSRF' }, { origin: 'https://evil.example' });
    assert.equal(refused.status, 403);
    assert.ok(!crm.orders('shop').some((o) => o.number === 'CSRF'));
  });

  it('notifications are shown as text, never as markup', async () => {
    const sent = await callEmulator(crm.port, host(), '/api/v5/notifications/send', {
      apiKey,
      form: { notification: JSON.stringify({ type: 'api.error', message: '<img src=x onerror=alert(1)>Sync failed', userGroups: ['superadmins'] }) },
    });
    assert.equal(sent.status, 200);
    const list = await page('/admin/notifications');
    assert.match(list.text, /&lt;img src=x onerror=alert\(1\)&gt;Sync failed/);
    assert.ok(!list.text.includes('<img src=x'));
  });

  it('the settings page saves only what changed and says no module listens', async () => {
    const saved = await page('/admin/settings', { system_language: 'RU', timezone: 'Europe/Madrid', default_currency: 'EUR' });
    assert.equal(saved.status, 200);
    assert.match(saved.text, /No active module declared the settings callback/);
    const settings = await callEmulator(crm.port, host(), '/api/v5/settings', { apiKey });
    assert.equal(settings.json.settings.system_language.value, 'RU');
  });
});

describe('emulator control API over HTTP: seeding and business data', () => {
  let emu: EmulatorHandle;
  const control = (path: string, json?: unknown) => callEmulator(emu.port, `127.0.0.1:${emu.port}`, path, json === undefined ? {} : { json });
  before(async () => {
    emu = await startEmulator({ port: 0 });
    emu.createAccount({ name: 'c1' });
  });
  after(async () => emu.close());

  it('seeds, lists, creates; a bad seed is a 400 naming the field and changes nothing', async () => {
    const seeded = await control('/_emulator/accounts/c1/seed', { statuses: [{ code: 'open', name: 'Open' }], orders: [{ number: 'H1', status: 'open' }] });
    assert.equal(seeded.status, 200);
    assert.deepEqual(seeded.json, { orders: 1, customers: 0 });
    const made = await control('/_emulator/accounts/c1/orders', { number: 'H2', status: 'open' });
    assert.equal(made.status, 201);
    assert.deepEqual((await control('/_emulator/accounts/c1/orders')).json.orders.map((o: { number: string }) => o.number), ['H1', 'H2']);
    const bad = await control('/_emulator/accounts/c1/seed', { orders: [{ email: 'nope' }], extra: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'RCMK_EMULATOR_REQUEST_INVALID');
    assert.match(bad.json.error.message, /orders\.0\.email/);
    const wrongStatus = await control('/_emulator/accounts/c1/orders', { status: 'closed' });
    assert.equal(wrongStatus.status, 400);
    assert.equal((await control('/_emulator/accounts/c1/orders')).json.orders.length, 2);
    assert.equal((await control('/_emulator/accounts/nobody/orders')).status, 404);
    assert.deepEqual((await control('/_emulator/accounts/c1/notifications')).json, { notifications: [] });
  });

  it('a callback to a module that registered none is reported, not thrown', async () => {
    assert.equal((await control('/_emulator/accounts/c1/integration-modules/none/callbacks/quote', {})).status, 404);
  });

  it('an invalid seed at start is a ConfigError naming it', async () => {
    await assert.rejects(startEmulator({ port: 0, seed: { s: { orders: [{ email: 'x' }] } as never } }), /seed: orders\.0\.email/);
  });
});

describe('emulator callbacks to an integration\'s actions', () => {
  it('sends integrations[group].actions[action] with clientId first, and says when none is registered', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(`${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true,"result":[]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const emu = await startEmulator({ port: 0 });
    try {
      const { apiKey: key } = emu.createAccount({ name: 'd1' });
      const registration = {
        code: 'carrier', integrationCode: 'carrier', name: 'Carrier', clientId: 'cid-1', active: true,
        baseUrl: `http://127.0.0.1:${port}`, actions: { activity: '/activity' },
        integrations: { delivery: { actions: { calculate: '/delivery/calculate' } } },
      };
      const edit = await callEmulator(emu.port, `d1.localhost:${emu.port}`, '/api/v5/integration-modules/carrier/edit', { apiKey: key, form: { integrationModule: JSON.stringify(registration) } });
      assert.equal(edit.status, 201, edit.text);
      const sent = await emu.sendCallback('d1', 'carrier', 'calculate', { group: 'delivery', fields: { calculate: { packages: [] } } });
      assert.equal(sent.delivered, true, sent.error);
      assert.deepEqual(seen, [`/delivery/calculate clientId=cid-1&calculate=${encodeURIComponent('{"packages":[]}')}`]);
      const missing = await emu.sendCallback('d1', 'carrier', 'save', { group: 'delivery' });
      assert.equal(missing.delivered, false);
      assert.match(missing.error ?? '', /no "delivery.save" callback/);
    } finally {
      await emu.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
