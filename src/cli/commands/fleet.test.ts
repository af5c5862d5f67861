import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type EmulatorHandle } from '../../emulator/index.js';
import { ORDER_SYNC_CODE } from '../../../examples/order-sync/module.js';
import { loadKeyring } from '../../store/keyring.js';
import { openConnectionStore } from '../../store/open-connection-store.js';
import { runCli } from '../run-cli.js';

describe('cli: fleet reregister|health', () => {
  let dir: string;
  let emulator: EmulatorHandle;
  let account: { name: string; url: string; apiKey: string };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rcmk-cli-fleet-'));
    emulator = await startEmulator({ port: 0 });
    account = emulator.createAccount({ name: 'fleetcli' });
    const { keyring } = loadKeyring({ production: false, dataDir: dir, env: {} });
    const store = await openConnectionStore({ keyring, dataDir: dir });
    // Registered before fleet tracking existed: no hash is known, so it counts as outdated.
    const { connection } = await store.saveConnect({
      moduleCode: ORDER_SYNC_CODE, accountUrl: account.url, apiKey: account.apiKey, settings: { siteCode: 'main' },
      apiVersion: 'v5', scopes: [], newClientId: 'SecretClientIdSecretClientId0',
    });
    await store.update(connection.id, connection.version, { state: 'active', active: true });
    await store.close();
  });
  after(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const saved = { keys: process.env.MODULE_SECRET_KEYS, local: process.env.RCMK_ALLOW_LOCAL };
    delete process.env.MODULE_SECRET_KEYS;
    process.env.RCMK_ALLOW_LOCAL = '1';
    const exit = process.exitCode;
    try {
      const code = await runCli(['node', 'cli', 'fleet', ...args, '--module', 'examples/order-sync/module.ts', '--base-url', 'https://sync.example', '--data-dir', dir], {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
      });
      return { code: code || (process.exitCode ?? 0), out: out.join('\n'), err: err.join('\n') };
    } finally {
      process.exitCode = exit;
      if (saved.keys !== undefined) process.env.MODULE_SECRET_KEYS = saved.keys;
      if (saved.local === undefined) delete process.env.RCMK_ALLOW_LOCAL;
      else process.env.RCMK_ALLOW_LOCAL = saved.local;
    }
  };

  it('plans, re-registers with a report, then finds everything up to date; health reads it back', async () => {
    const dry = await cli('reregister', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^1 connection\(s\) to re-register, 0 already up to date\.$/m);
    const run = await cli('reregister');
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^done: 1 re-registered, 0 failed of 1\.$/m);
    assert.equal(emulator.integrationModules(account.name)[0]?.baseUrl, 'https://sync.example');
    const again = await cli('reregister');
    assert.match(again.out, /^0 connection\(s\) to re-register, 1 already up to date\.$/m);
    const health = await cli('health');
    assert.equal(health.code, 0, health.err);
    assert.match(health.out, /^checked 1: 1 ok, 0 removed, 0 key_revoked, 0 degraded; notified 0$/m);
    assert.ok(!`${run.out}${health.out}`.includes(account.apiKey));
  });
});
