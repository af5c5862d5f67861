import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CrmErrorMsg, IntegrationModuleResponse } from '../protocol/index.js';
import { callEmulator } from './http-client.js';
import { startEmulator, type EmulatorHandle } from './index.js';

const VALID = {
  code: 'acme-1',
  integrationCode: 'acme',
  active: true,
  name: 'Acme',
  logo: 'https://acme.example/logo.svg',
  clientId: 'client-acme-1',
  baseUrl: 'http://127.0.0.1:9/base',
  actions: { activity: '/activity' },
  accountUrl: 'http://127.0.0.1:9/settings',
  integrations: { embedJs: { entrypoint: 'https://acme.example/app.js' } },
};

describe('emulator integration-modules: edit, get, update-scopes', () => {
  let crm: EmulatorHandle;
  let key: string;
  const edit = (code: string, module: unknown, apiKey = key) =>
    callEmulator(crm.port, `demo.localhost:${crm.port}`, `/api/v5/integration-modules/${code}/edit`, {
      apiKey,
      form: { integrationModule: typeof module === 'string' ? module : JSON.stringify(module) },
    });
  const get = (code: string) =>
    callEmulator(crm.port, `demo.localhost:${crm.port}`, `/api/v5/integration-modules/${code}`, { apiKey: key });

  before(async () => {
    crm = await startEmulator({ port: 0, rateLimit: false });
    crm.createAccount({ name: 'demo' });
    key = crm.createApiKey('demo', { scopes: ['integration_read', 'integration_write'] }).apiKey;
  });
  after(() => crm.close());

  it('creates with 201, updates with 200, answers info [] and GET returns the stored module', async () => {
    const first = await edit('acme-1', VALID);
    assert.equal(first.status, 201);
    assert.deepEqual(first.json, { success: true, info: [] });
    const second = await edit('acme-1', { ...VALID, name: 'Acme 2' });
    assert.equal(second.status, 200);

    const stored = IntegrationModuleResponse.parse((await get('acme-1')).json).integrationModule;
    assert.equal(stored.name, 'Acme 2');
    assert.equal(stored.clientId, 'client-acme-1');
    assert.equal(stored.active, true);
    assert.equal(stored.freeze, false);
    assert.deepEqual(stored.actions, { activity: '/activity' });
    assert.deepEqual(stored.integrations, VALID.integrations);
    assert.deepEqual(crm.integrationModules('demo').map((m) => m.code), ['acme-1']);
  });

  it('accepts the minimal LIVE-tested shape with http:// URLs and no actions', async () => {
    const reply = await edit('mini', { code: 'mini', name: 'Mini', clientId: 'c-mini', accountUrl: 'http://m.example/' });
    assert.equal(reply.status, 201);
  });

  it('keeps the CRM-owned freeze flag and the previous active state when the module omits it', async () => {
    await edit('keep', { code: 'keep', name: 'Keep', clientId: 'c-keep', active: false });
    await edit('keep', { code: 'keep', name: 'Keep', clientId: 'c-keep', freeze: true });
    const stored = (await get('keep')).json.integrationModule;
    assert.equal(stored.active, false);
    assert.equal(stored.freeze, false);
  });

  it('rejects {code} alone, listing each missing required field', async () => {
    const reply = await edit('alone', { code: 'alone' });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.errorMsg, CrmErrorMsg.EntityFormat);
    assert.deepEqual(Object.keys(reply.json.errors).sort(), ['clientId', 'name']);
    assert.equal(reply.json.errors.name, 'This value should not be blank.');
  });

  it('enforces the code prefix and the integrationCode charset', async () => {
    const prefix = await edit('other-1', { ...VALID, code: 'other-1' });
    assert.equal(prefix.status, 400);
    assert.deepEqual(prefix.json.errors, { code: 'Code prefix must match integrationCode' });

    const charset = await edit('ac me', { ...VALID, code: 'ac me', integrationCode: 'ac me' });
    assert.equal(charset.status, 400);
    assert.ok('integrationCode' in charset.json.errors);
  });

  it('requires absolute URLs, and baseUrl when actions are given', async () => {
    const relative = await edit('acme-2', { ...VALID, code: 'acme-2', accountUrl: '/settings', logo: 'ftp://x/logo.svg' });
    assert.equal(relative.status, 400);
    assert.ok('accountUrl' in relative.json.errors);
    assert.ok('logo' in relative.json.errors);
    const { baseUrl: _b, ...noBase } = VALID;
    const noBaseReply = await edit('acme-3', { ...noBase, code: 'acme-3' });
    assert.ok('baseUrl' in noBaseReply.json.errors);
  });

  it('rejects a body whose code differs from the URL, a missing field and broken JSON', async () => {
    const mismatch = await edit('acme-9', VALID);
    assert.equal(mismatch.status, 400);
    assert.ok('code' in mismatch.json.errors);

    const missing = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/v5/integration-modules/x/edit', {
      apiKey: key,
      form: { other: '1' },
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.errorMsg, "Parameter 'integrationModule' is missing");

    const broken = await edit('acme-1', '{not json');
    assert.equal(broken.status, 400);
    assert.equal(broken.json.errorMsg, CrmErrorMsg.EntityFormat);
    assert.ok('integrationModule' in broken.json.errors);
  });

  it('answers 400 for an unknown code on GET', async () => {
    const reply = await get('never-registered');
    assert.equal(reply.status, 400);
    assert.equal(reply.json.success, false);
    assert.equal(reply.json.errorMsg, CrmErrorMsg.InputParameters);
  });

  it('update-scopes issues a new key with the requested scopes; the old key keeps working', async () => {
    const scopes = ['integration_read', 'integration_write', 'order_read'];
    const reply = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/v5/integration-modules/acme-1/update-scopes', {
      apiKey: key,
      form: { requires: JSON.stringify({ scopes }) },
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.success, true);
    assert.match(reply.json.apiKey, /^[A-Za-z0-9]{32}$/);
    const creds = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/credentials', { apiKey: reply.json.apiKey });
    assert.deepEqual(creds.json.scopes, scopes);
    assert.equal((await get('acme-1')).status, 200);

    const unknownScope = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/v5/integration-modules/acme-1/update-scopes', {
      apiKey: key,
      form: { requires: JSON.stringify({ scopes: ['root_everything'] }) },
    });
    assert.equal(unknownScope.status, 400);
    const unknownModule = await callEmulator(crm.port, `demo.localhost:${crm.port}`, '/api/v5/integration-modules/nope/update-scopes', {
      apiKey: key,
      form: { requires: JSON.stringify({ scopes }) },
    });
    assert.equal(unknownModule.status, 400);
    assert.equal(unknownModule.json.errorMsg, CrmErrorMsg.InputParameters);
  });
});
