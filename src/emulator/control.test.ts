import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ActivityCallbackForm } from '../protocol/index.js';
import { callEmulator, type EmulatorCall } from './http-client.js';
import { startEmulator, type EmulatorHandle } from './index.js';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  fields: Record<string, string>;
}

/** A real HTTP server standing in for the module's callback endpoint. */
async function startReceiver(answer: (req: IncomingMessage) => { status: number; body: string }) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        fields: Object.fromEntries(new URLSearchParams(body)),
      });
      const { status, body: out } = answer(req);
      res.writeHead(status, { 'content-type': 'application/json' }).end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { received, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('emulator control API over HTTP', () => {
  let crm: EmulatorHandle;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let status = 200;
  const control = (path: string, call?: EmulatorCall) => callEmulator(crm.port, `127.0.0.1:${crm.port}`, path, call);

  before(async () => {
    crm = await startEmulator({ port: 0, rateLimit: false, callbackTimeoutMs: 1000 });
    receiver = await startReceiver(() => ({ status, body: status === 200 ? '{"success":true}' : '{"success":false}' }));
  });
  after(async () => {
    await crm.close();
    await receiver.close();
  });
  beforeEach(() => {
    status = 200;
  });

  it('accepts only JSON bodies: a form or text/plain a web page could post cross-site gets 415', async () => {
    const publish = { integrationCode: 'csrf', name: 'Evil', accountUrl: 'http://evil.example/' };
    const attempts: EmulatorCall[] = [
      { form: publish },
      { method: 'POST', headers: { 'content-type': 'text/plain' } },
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' } },
      { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' } },
    ];
    for (const call of attempts) {
      const reply = await control('/_emulator/marketplace', call);
      assert.equal(reply.status, 415, JSON.stringify(call));
      assert.equal(reply.json.error.code, 'RCMK_EMULATOR_REQUEST_INVALID');
    }
    // Even a body-less route (Connect) refuses a form content type.
    const connect = await control('/_emulator/accounts/x/marketplace/y/connect', { form: {} });
    assert.equal(connect.status, 415);
    // No card was published by any of them: the marketplace page of an account does not show it.
    crm.createAccount({ name: 'csrf' });
    const page = await callEmulator(crm.port, `csrf.localhost:${crm.port}`, '/admin/marketplace');
    assert.doesNotMatch(page.text, /evil\.example/);
    // JSON still works.
    assert.equal((await control('/_emulator/marketplace', { json: publish })).status, 201);
  });

  it('a POST without Content-Type (what fetch in no-cors mode sends) is refused, body or not: no key is created', async () => {
    crm.createAccount({ name: 'nocors' });
    const keysBefore = (await callEmulator(crm.port, `nocors.localhost:${crm.port}`, '/admin/api-keys')).text.match(/<tr data-key-id=/g)?.length;
    for (const call of [
      { method: 'POST', headers: { 'content-length': '0' } },
      { method: 'POST' },
    ] as EmulatorCall[]) {
      const reply = await control('/_emulator/accounts/nocors/api-keys', call);
      assert.equal(reply.status, 415, JSON.stringify(call));
    }
    const { request } = await import('undici');
    const blob = await request(`http://127.0.0.1:${crm.port}/_emulator/accounts/nocors/api-keys`, { method: 'POST', body: Buffer.from('{"scopes":[]}') });
    assert.equal(blob.statusCode, 415, 'a body with no Content-Type');
    await blob.body.dump();
    const keysAfter = (await callEmulator(crm.port, `nocors.localhost:${crm.port}`, '/admin/api-keys')).text.match(/<tr data-key-id=/g)?.length;
    assert.equal(keysAfter, keysBefore);
    // A JSON POST without a body still works where the body is optional.
    const made = await control('/_emulator/accounts/nocors/api-keys', { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.equal(made.status, 201);
  });

  it('health answers 200 on 127.0.0.1 and localhost', async () => {
    assert.equal((await control('/_emulator/health')).status, 200);
    assert.equal((await callEmulator(crm.port, `localhost:${crm.port}`, '/_emulator/health')).status, 200);
  });

  it('creates an account (201, url, key with every scope); refuses duplicates (409) and bad names (400)', async () => {
    const created = await control('/_emulator/accounts', { json: { name: 'acme', sites: [{ code: 's1', name: 'S1' }] } });
    assert.equal(created.status, 201);
    assert.equal(created.json.name, 'acme');
    assert.equal(created.json.url, `http://acme.localhost:${crm.port}`);
    const creds = await callEmulator(crm.port, `acme.localhost:${crm.port}`, '/api/credentials', { apiKey: created.json.apiKey });
    assert.equal(creds.json.scopes.length, 32);

    const duplicate = await control('/_emulator/accounts', { json: { name: 'acme' } });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.json.error.code, 'RCMK_EMULATOR_CONFLICT');
    const bad = await control('/_emulator/accounts', { json: { name: 'Not A Label!' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'RCMK_EMULATOR_REQUEST_INVALID');
  });

  it('creates and revokes keys; unknown account, scope or store are refused', async () => {
    const made = await control('/_emulator/accounts/acme/api-keys', { json: { scopes: ['integration_read'], sitesAvailable: ['s1'] } });
    assert.equal(made.status, 201);
    const apiKey = made.json.apiKey as string;
    const creds = await callEmulator(crm.port, `acme.localhost:${crm.port}`, '/api/credentials', { apiKey });
    assert.deepEqual(creds.json.scopes, ['integration_read']);
    assert.deepEqual(creds.json.sitesAvailable, ['s1']);

    const revoked = await control(`/_emulator/accounts/acme/api-keys/${apiKey}`, { method: 'DELETE' });
    assert.equal(revoked.status, 204);
    const after = await callEmulator(crm.port, `acme.localhost:${crm.port}`, '/api/credentials', { apiKey });
    assert.equal(after.json.errorMsg, 'Wrong "apiKey" value.');
    assert.equal((await control(`/_emulator/accounts/acme/api-keys/${apiKey}`, { method: 'DELETE' })).status, 404);

    assert.equal((await control('/_emulator/accounts/ghost/api-keys', { json: {} })).status, 404);
    assert.equal((await control('/_emulator/accounts/acme/api-keys', { json: { scopes: ['root'] } })).status, 400);
    assert.equal((await control('/_emulator/accounts/acme/api-keys', { json: { sitesAvailable: ['nope'] } })).status, 400);
  });

  it('lists registered modules as stored, clientId included', async () => {
    const { apiKey } = crm.createAccount({ name: 'mods' });
    const module = { code: 'm1', integrationCode: 'm1', name: 'M1', clientId: 'cid-1', baseUrl: receiver.url, actions: { activity: '/cb/activity' } };
    const edit = await callEmulator(crm.port, `mods.localhost:${crm.port}`, '/api/v5/integration-modules/m1/edit', {
      apiKey,
      form: { integrationModule: JSON.stringify(module) },
    });
    assert.equal(edit.status, 201);
    const listed = await control('/_emulator/accounts/mods/integration-modules');
    assert.equal(listed.status, 200);
    assert.equal(listed.json.integrationModules.length, 1);
    assert.equal(listed.json.integrationModules[0].clientId, 'cid-1');
    assert.equal(listed.json.integrationModules[0].active, true);
  });

  it('sends the activity callback with exactly clientId, activity and systemUrl as a form POST', async () => {
    const before = receiver.received.length;
    const reply = await control('/_emulator/accounts/mods/integration-modules/m1/activity', { json: { active: false } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { delivered: true, status: 200, body: '{"success":true}' });
    const got = receiver.received.slice(before);
    assert.equal(got.length, 1);
    const call = got[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/cb/activity');
    assert.match(call.contentType ?? '', /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.keys(call.fields).sort(), ['activity', 'clientId', 'systemUrl']);
    assert.equal(call.fields['clientId'], 'cid-1');
    assert.equal(call.fields['activity'], '{"active":false,"freeze":false}');
    assert.equal(call.fields['systemUrl'], crm.accountUrl('mods'));
    // The module side's own schema accepts what the emulator sent.
    assert.deepEqual(ActivityCallbackForm.parse(call.fields).activity, { active: false, freeze: false });
    assert.equal(crm.integrationModules('mods')[0]?.active, false);
  });

  it('freezes with a changed systemUrl and reports a non-2xx answer as not delivered', async () => {
    status = 500;
    const delivery = await crm.setActivity('mods', 'm1', { freeze: true, systemUrl: 'https://moved.retailcrm.ru' });
    assert.equal(delivery.delivered, false);
    assert.equal(delivery.status, 500);
    const last = receiver.received.at(-1)!;
    assert.equal(last.fields['activity'], '{"active":false,"freeze":true}');
    assert.equal(last.fields['systemUrl'], 'https://moved.retailcrm.ru');
  });

  it('reports an unreachable module as not delivered, with the error', async () => {
    const { apiKey } = crm.createAccount({ name: 'dead' });
    const module = { code: 'd', name: 'D', clientId: 'c-d', baseUrl: 'http://127.0.0.1:9', actions: { activity: 'activity' } };
    await callEmulator(crm.port, `dead.localhost:${crm.port}`, '/api/v5/integration-modules/d/edit', {
      apiKey,
      form: { integrationModule: JSON.stringify(module) },
    });
    const reply = await control('/_emulator/accounts/dead/integration-modules/d/activity', { json: { active: false } });
    assert.equal(reply.json.delivered, false);
    assert.equal(reply.json.status, null);
    assert.ok(reply.json.error);
    assert.equal((await control('/_emulator/accounts/dead/integration-modules/ghost/activity', { json: {} })).status, 404);
  });

  it('publishes a marketplace card shown in every account', async () => {
    const reply = await control('/_emulator/marketplace', {
      json: { integrationCode: 'card-x', name: 'Card <X>', accountUrl: 'http://127.0.0.1:9/connect', description: 'Does X' },
    });
    assert.equal(reply.status, 201);
    for (const account of ['acme', 'mods']) {
      const page = await callEmulator(crm.port, `${account}.localhost:${crm.port}`, '/admin/marketplace');
      assert.match(page.text, /Card &lt;X&gt;/);
    }
    assert.equal((await control('/_emulator/marketplace', { json: { integrationCode: 'x', name: 'X', accountUrl: 'nope' } })).status, 400);
  });

  it('adds and clears faults over HTTP', async () => {
    const added = await control('/_emulator/faults', { json: { account: 'acme', path: '/api/credentials', status: 500 } });
    assert.equal(added.status, 201);
    assert.match(added.json.id, /\S/);
    assert.equal((await control('/_emulator/faults')).json.faults.length, 1);
    assert.equal((await control('/_emulator/faults', { method: 'DELETE' })).status, 204);
    assert.equal(crm.faults().length, 0);
  });

  it('lists recent API calls per account with the key masked', async () => {
    const { apiKey } = crm.createAccount({ name: 'journal' });
    await callEmulator(crm.port, `journal.localhost:${crm.port}`, '/api/credentials', { query: { apiKey } });
    const reply = await control('/_emulator/requests?account=journal');
    assert.equal(reply.status, 200);
    assert.equal(reply.json.requests.length, 1);
    const entry = reply.json.requests[0];
    assert.equal(entry.method, 'GET');
    assert.equal(entry.path, '/api/credentials');
    assert.equal(entry.status, 200);
    assert.equal(entry.apiKey, `${apiKey.slice(0, 4)}…`);
    assert.ok(!reply.text.includes(apiKey), 'the journal leaks the key');
  });
});
