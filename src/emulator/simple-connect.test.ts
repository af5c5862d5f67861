import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { simpleConnectionToken } from '../protocol/index.js';
import { callEmulator } from './http-client.js';
import { startEmulator, type EmulatorHandle } from './index.js';

const SECRET = 'partner-secret';

/** A stand-in module: answers the config, checks the register token as a module must, records what arrived. */
async function fakeModule(options: { scopes: string[]; refuse?: string }) {
  const seen: { systemUrl: string; apiKey: string; token: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/config') return json(200, { success: true, scopes: options.scopes, registerUrl: `${url}/register` });
      const register = JSON.parse(new URLSearchParams(body).get('register') ?? '{}') as (typeof seen)[number];
      seen.push(register);
      if (register.token !== simpleConnectionToken(SECRET, register.apiKey)) return json(401, { success: false, errorMsg: 'Invalid token' });
      if (options.refuse) return json(400, { success: false, errorMsg: options.refuse });
      return json(200, { success: true, accountUrl: `${url}/settings?ticket=t` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('emulator: simple connection (the CRM side)', () => {
  let crm: EmulatorHandle;
  before(async () => {
    crm = await startEmulator({ port: 0, rateLimit: false });
    crm.createAccount({ name: 'demo' });
  });
  after(async () => crm.close());

  it('publishing needs configUrl and secret together, and never answers the secret back', () => {
    assert.throws(() => crm.publishModule({ integrationCode: 'x', name: 'X', configUrl: 'http://127.0.0.1:1/config' }), /configUrl and secret go together/);
    assert.throws(() => crm.publishModule({ integrationCode: 'x', name: 'X' }), /accountUrl .*configUrl/);
    const listing = crm.publishModule({ integrationCode: 'x', name: 'X', configUrl: 'http://127.0.0.1:1/config', secret: SECRET });
    assert.equal('secret' in listing, false);
  });

  it('Connect: config, a key with exactly the requested scopes, register with the right token, then the accountUrl', async () => {
    const module = await fakeModule({ scopes: ['integration_read', 'integration_write', 'order_read'] });
    try {
      crm.publishModule({ integrationCode: 'ok-mod', name: 'OK', configUrl: `${module.url}/config`, secret: SECRET });
      const outcome = await crm.connectSimple('demo', 'ok-mod');
      assert.deepEqual(outcome, { ok: true, accountUrl: `${module.url}/settings?ticket=t`, scopes: ['integration_read', 'integration_write', 'order_read'] });
      const [register] = module.seen;
      assert.equal(register?.systemUrl, `${crm.accountUrl('demo')}/`);
      assert.equal(register?.token, simpleConnectionToken(SECRET, register?.apiKey ?? ''));
      const credentials = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/credentials', { apiKey: register?.apiKey ?? '' });
      assert.deepEqual(credentials.json.scopes, ['integration_read', 'integration_write', 'order_read']);

      // The marketplace page: a POST button for it, and the browser is sent on with 303.
      const page = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/admin/marketplace');
      assert.match(page.text, /<form class="inline" method="post" action="\/admin\/marketplace\/ok-mod\/connect">/);
      assert.doesNotMatch(page.text, new RegExp(SECRET));
      const click = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/admin/marketplace/ok-mod/connect', { method: 'POST', form: {} });
      assert.equal(click.status, 303);
      assert.equal(click.headers.location, `${module.url}/settings?ticket=t`);
    } finally {
      await module.close();
    }
  });

  it('a refused registration: the page shows the module\'s errorMsg and the key is revoked', async () => {
    const module = await fakeModule({ scopes: ['integration_read', 'integration_write'], refuse: 'Account already exists <b>' });
    try {
      crm.publishModule({ integrationCode: 'no-mod', name: 'No', configUrl: `${module.url}/config`, secret: SECRET });
      const click = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/admin/marketplace/no-mod/connect', { method: 'POST', form: {} });
      assert.equal(click.status, 502);
      assert.match(click.text, /Account already exists &lt;b&gt;/);
      const key = module.seen[0]?.apiKey ?? '';
      assert.doesNotMatch(click.text, new RegExp(key));
      const credentials = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/credentials', { apiKey: key });
      assert.equal(credentials.status, 403, 'the key made for the failed registration no longer works');
    } finally {
      await module.close();
    }
  });

  it('a module that does not answer, or asks for unknown scopes, is reported without issuing a working key', async () => {
    crm.publishModule({ integrationCode: 'down', name: 'Down', configUrl: 'http://127.0.0.1:9/config', secret: SECRET });
    const down = await crm.connectSimple('demo', 'down');
    assert.equal(down.ok, false);
    assert.equal(!down.ok && down.stage, 'config');
    const module = await fakeModule({ scopes: ['integration_read', 'no_such_scope'] });
    try {
      crm.publishModule({ integrationCode: 'odd', name: 'Odd', configUrl: `${module.url}/config`, secret: SECRET });
      const odd = await crm.connectSimple('demo', 'odd');
      assert.equal(!odd.ok && odd.stage, 'key');
      assert.equal(module.seen.length, 0);
    } finally {
      await module.close();
    }
  });

  it('the control API performs Connect too', async () => {
    const reply = await callEmulator(crm.port, `127.0.0.1:${crm.port}`, '/_emulator/accounts/demo/marketplace/nope/connect', { method: 'POST', json: {} });
    assert.equal(reply.status, 404);
  });
});
