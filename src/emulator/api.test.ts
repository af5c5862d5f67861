import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CredentialsResponse, CrmErrorMsg, REGISTRATION_CREDENTIALS } from '../protocol/index.js';
import { callEmulator, type EmulatorCall } from './http-client.js';
import { startEmulator, type EmulatorHandle } from './index.js';

describe('emulator account API: keys, rights, service methods', () => {
  let crm: EmulatorHandle;
  let adminKey: string;
  const api = (path: string, call?: EmulatorCall, account = 'demo') =>
    callEmulator(crm.port, `${account}.localhost:${crm.port}`, path, call);

  before(async () => {
    crm = await startEmulator({ port: 0, rateLimit: false });
    adminKey = crm.createAccount({
      name: 'demo',
      sites: [
        { code: 'shop-a', name: 'Shop A' },
        { code: 'shop-b', name: 'Shop B' },
      ],
    }).apiKey;
  });
  after(() => crm.close());

  it('generates 32-char alphanumeric keys', () => {
    assert.match(adminKey, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(crm.createApiKey('demo').apiKey, adminKey);
  });

  it('answers the exact errorMsg for a missing key, a wrong key and a revoked key, all 403', async () => {
    const missing = await api('/api/credentials');
    assert.equal(missing.status, 403);
    assert.deepEqual(missing.json, { success: false, errorMsg: CrmErrorMsg.ApiKeyMissing });

    const wrong = await api('/api/credentials', { apiKey: 'not-a-key' });
    assert.equal(wrong.status, 403);
    assert.deepEqual(wrong.json, { success: false, errorMsg: CrmErrorMsg.ApiKeyWrong });

    const { apiKey } = crm.createApiKey('demo', { scopes: ['integration_read'] });
    assert.equal((await api('/api/api-versions', { apiKey })).status, 200);
    crm.revokeApiKey('demo', apiKey);
    const revoked = await api('/api/api-versions', { apiKey });
    assert.equal(revoked.status, 403);
    assert.equal(revoked.json.errorMsg, CrmErrorMsg.ApiKeyWrong);
  });

  it('refuses a key of another account as wrong', async () => {
    const other = crm.createAccount({ name: 'other' }).apiKey;
    const reply = await api('/api/credentials', { apiKey: other });
    assert.equal(reply.json.errorMsg, CrmErrorMsg.ApiKeyWrong);
  });

  it('takes the key from the apiKey query or form parameter, and the header wins over both', async () => {
    assert.equal((await api('/api/api-versions', { query: { apiKey: adminKey } })).status, 200);
    const form = await api('/api/v5/integration-modules/none/edit', { form: { apiKey: adminKey } });
    assert.equal(form.json.errorMsg, "Parameter 'integrationModule' is missing");
    const both = await api('/api/api-versions', { apiKey: 'wrong', query: { apiKey: adminKey } });
    assert.equal(both.json.errorMsg, CrmErrorMsg.ApiKeyWrong);
  });

  it('lists API versions, system info and the full rights of the admin key', async () => {
    const versions = await api('/api/api-versions', { apiKey: adminKey });
    assert.deepEqual(versions.json, { success: true, versions: ['3.0', '4.0', '5.0'] });

    const info = await api('/api/system-info', { apiKey: adminKey });
    assert.equal(info.json.publicUrl, crm.accountUrl('demo'));
    assert.equal(typeof info.json.systemVersion, 'string');

    const creds = CredentialsResponse.parse((await api('/api/credentials', { apiKey: adminKey })).json);
    assert.equal(creds.scopes.length, 32);
    for (const path of REGISTRATION_CREDENTIALS) assert.ok(creds.credentials.includes(path), path);
    assert.equal(creds.siteAccess, 'access_full');
    assert.deepEqual(creds.sitesAvailable, ['shop-a', 'shop-b']);
  });

  it('checks rights by scope: Access denied. (403) without integration_read', async () => {
    const { apiKey } = crm.createApiKey('demo', { scopes: ['order_read'] });
    const denied = await api('/api/v5/integration-modules/anything', { apiKey });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json, { success: false, errorMsg: CrmErrorMsg.AccessDenied });
    const editDenied = await api('/api/v5/integration-modules/anything/edit', { apiKey, form: { integrationModule: '{}' } });
    assert.equal(editDenied.json.errorMsg, CrmErrorMsg.AccessDenied);
    const sitesDenied = await api('/api/v5/reference/sites', { apiKey });
    assert.equal(sitesDenied.json.errorMsg, CrmErrorMsg.AccessDenied);
    // Scope-only rights: with integration_read the same call reaches the method (unknown code → 400).
    const { apiKey: reader } = crm.createApiKey('demo', { scopes: ['integration_read'] });
    const read = await api('/api/v5/integration-modules/anything', { apiKey: reader });
    assert.equal(read.status, 400);
    assert.equal(read.json.errorMsg, CrmErrorMsg.InputParameters);
    const readerEdit = await api('/api/v5/integration-modules/anything/edit', { apiKey: reader, form: { integrationModule: '{}' } });
    assert.equal(readerEdit.json.errorMsg, CrmErrorMsg.AccessDenied);
  });

  it('checks rights by legacy credential path for keys of older accounts (no scopes)', async () => {
    const { apiKey } = crm.createApiKey('demo', { credentials: [...REGISTRATION_CREDENTIALS] });
    const creds = (await api('/api/credentials', { apiKey })).json;
    assert.deepEqual(creds.scopes, []);
    assert.deepEqual(creds.credentials, [...REGISTRATION_CREDENTIALS]);
    const module = { code: 'legacy', name: 'Legacy', clientId: 'c-legacy' };
    const edit = await api('/api/v5/integration-modules/legacy/edit', { apiKey, form: { integrationModule: JSON.stringify(module) } });
    assert.equal(edit.status, 201);
    assert.equal((await api('/api/v5/integration-modules/legacy', { apiKey })).status, 200);
    assert.equal((await api('/api/v5/reference/sites', { apiKey })).json.errorMsg, CrmErrorMsg.AccessDenied);

    const { apiKey: readOnly } = crm.createApiKey('demo', { credentials: ['/api/integration-modules/{code}'] });
    assert.equal((await api('/api/v5/integration-modules/legacy', { apiKey: readOnly })).status, 200);
    const denied = await api('/api/v5/integration-modules/legacy/edit', { apiKey: readOnly, form: { integrationModule: JSON.stringify(module) } });
    assert.equal(denied.json.errorMsg, CrmErrorMsg.AccessDenied);
  });

  it('lists the stores the key may see', async () => {
    const all = await api('/api/v5/reference/sites', { apiKey: adminKey });
    assert.deepEqual(Object.keys(all.json.sites), ['shop-a', 'shop-b']);
    assert.equal(all.json.sites['shop-a'].name, 'Shop A');
    const { apiKey } = crm.createApiKey('demo', { scopes: ['reference_read'], sitesAvailable: ['shop-b'] });
    const creds = (await api('/api/credentials', { apiKey })).json;
    assert.equal(creds.siteAccess, 'access_selective');
    assert.deepEqual(creds.sitesAvailable, ['shop-b']);
    assert.deepEqual(Object.keys((await api('/api/v5/reference/sites', { apiKey })).json.sites), ['shop-b']);
  });

  it('serves an account created without API 5: versions say so and v5 methods do not exist', async () => {
    const { apiKey } = crm.createAccount({ name: 'old', apiVersions: ['3.0', '4.0'] });
    assert.deepEqual((await api('/api/api-versions', { apiKey }, 'old')).json.versions, ['3.0', '4.0']);
    const v5 = await api('/api/v5/integration-modules/x', { apiKey }, 'old');
    assert.equal(v5.status, 404);
    assert.deepEqual(v5.json, { success: false, errorMsg: 'API method not found' });
    // The method is missing whatever the key may do: a key without integration_read also gets the 404.
    const weak = crm.createApiKey('old', { scopes: ['order_read'] }).apiKey;
    const sites = await api('/api/v5/reference/sites', { apiKey: weak }, 'old');
    assert.deepEqual([sites.status, sites.json.errorMsg], [404, 'API method not found']);
  });

  it('checks the key before the missing v5 method (PROTOCOL §18: 403 for every key problem, decision E3)', async () => {
    crm.createAccount({ name: 'old-keys', apiVersions: ['4.0'] });
    const paths: readonly [string, 'GET' | 'POST'][] = [
      ['/api/v5/integration-modules/x', 'GET'],
      ['/api/v5/integration-modules/x/edit', 'POST'],
      ['/api/v5/integration-modules/x/update-scopes', 'POST'],
      ['/api/v5/reference/sites', 'GET'],
    ];
    for (const [path, method] of paths) {
      const missing = await api(path, { method }, 'old-keys');
      assert.deepEqual([missing.status, missing.json], [403, { success: false, errorMsg: CrmErrorMsg.ApiKeyMissing }], path);
      const wrong = await api(path, { method, apiKey: 'not-a-key' }, 'old-keys');
      assert.deepEqual([wrong.status, wrong.json], [403, { success: false, errorMsg: CrmErrorMsg.ApiKeyWrong }], path);
    }
  });

  it('answers unknown API paths with a JSON 404 envelope', async () => {
    const reply = await api('/api/v5/loyalty/accounts', { apiKey: adminKey });
    assert.equal(reply.status, 404);
    assert.deepEqual(reply.json, { success: false, errorMsg: 'API method not found' });
  });

  it('answers hosts without an account with the 405 HTML page (clients read it as Account does not exist.)', async () => {
    for (const host of [`nobody.localhost:${crm.port}`, `example.com:${crm.port}`, `a.b.localhost:${crm.port}`]) {
      const reply = await callEmulator(crm.port, host, '/api/credentials', { apiKey: adminKey });
      assert.equal(reply.status, 405, host);
      assert.match(String(reply.headers['content-type']), /^text\/html/);
      assert.match(reply.text, /^<html>/);
    }
  });

  it('keeps the control API off account hosts and account pages off the bare host', async () => {
    assert.equal((await api('/_emulator/health')).status, 404);
    const bare = await callEmulator(crm.port, `127.0.0.1:${crm.port}`, '/api/credentials', { apiKey: adminKey });
    assert.equal(bare.status, 404);
    assert.equal(bare.json.error.code, 'RCMK_EMULATOR_NOT_FOUND');
  });
});
