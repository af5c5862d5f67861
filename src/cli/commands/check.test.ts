import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type EmulatorHandle } from '../../emulator/index.js';
import { runCli } from '../run-cli.js';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('cli: check', () => {
  let crm: EmulatorHandle;
  let apiKey: string;
  before(async () => {
    crm = await startEmulator({ port: 0, rateLimit: false });
    apiKey = crm.createAccount({ name: 'shop' }).apiKey;
  });
  after(() => crm.close());

  const check = async (...args: string[]) => {
    const { io, out, err } = captureIo();
    const code = await runCli(['node', 'cli', 'check', ...args], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('passes every check for a good key and exits 0', async () => {
    const result = await check('--account', crm.accountUrl('shop'), '--api-key', apiKey, '--scopes', 'order_read', '--allow-local');
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^ok {2}\s*account address/m);
    assert.match(result.out, /^ok {2}\s*API access\s+version 5\.\d \(needs 5\)/m);
    assert.match(result.out, /^ok {2}\s*rights\s+all of integration_read, integration_write, order_read/m);
    assert.ok(!result.out.includes(apiKey), 'the key is not printed');
  });

  it('names the missing rights and exits 1', async () => {
    const weak = crm.createApiKey('shop', { scopes: ['integration_read'] }).apiKey;
    const result = await check('--account', crm.accountUrl('shop'), '--api-key', weak, '--scopes', 'order_read', '--allow-local');
    assert.equal(result.code, 1);
    assert.match(result.out, /^FAIL\s+rights\s+The API key lacks these rights: integration_write, order_read\./m);
    assert.match(result.err, /^error: the account is not ready/);
  });

  it('reports a missing API version, a wrong key and a refused address, each as a failed check', async () => {
    const legacy = crm.createAccount({ name: 'legacy', apiVersions: ['4.0'] }).apiKey;
    const version = await check('--account', crm.accountUrl('legacy'), '--api-key', legacy, '--allow-local');
    assert.equal(version.code, 1);
    assert.match(version.out, /FAIL\s+API access\s+Your CRM does not offer API version 5/);
    const wrong = await check('--account', crm.accountUrl('shop'), '--api-key', 'nope-nope-nope', '--allow-local');
    assert.match(wrong.out, /FAIL\s+API access\s+The CRM does not accept this API key/);
    const local = await check('--account', crm.accountUrl('shop'), '--api-key', apiKey);
    assert.equal(local.code, 1);
    assert.match(local.out, /FAIL\s+account address/);
  });

  it('exits 2 without a key', async () => {
    const saved = process.env.RETAILCRM_API_KEY;
    delete process.env.RETAILCRM_API_KEY;
    try {
      const result = await check('--account', 'https://demo.retailcrm.ru');
      assert.equal(result.code, 2);
      assert.match(result.err, /--api-key/);
    } finally {
      if (saved !== undefined) process.env.RETAILCRM_API_KEY = saved;
    }
  });
});
