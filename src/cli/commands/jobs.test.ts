import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobStateStore } from '../../jobs/state.js';
import { loadKeyring } from '../../store/keyring.js';
import { openConnectionStore } from '../../store/open-connection-store.js';
import { runCli } from '../run-cli.js';

describe('cli: jobs status|revive', () => {
  let dir: string;
  let ids: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rcmk-cli-jobs-'));
    const { keyring } = loadKeyring({ production: false, dataDir: dir, env: {} });
    const store = await openConnectionStore({ keyring, dataDir: dir });
    const state = new JobStateStore(store.db);
    for (const [i, name] of ['one', 'two'].entries()) {
      const { connection } = await store.saveConnect({
        moduleCode: 'acme', accountUrl: `https://${name}.retailcrm.ru`, apiKey: `SecretApiKeySecretApiKey000${i}`, settings: {},
        apiVersion: '5.0', scopes: [], newClientId: `SecretClientIdSecretClientId${i}`,
      });
      ids.push(connection.id);
      await state.started(connection.id, 'syncOrders');
    }
    await state.succeeded(ids[0]!, 'syncOrders');
    await state.failed(ids[1]!, 'syncOrders', 'RCMK_TIMEOUT: The CRM took too long', true);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const saved = process.env.MODULE_SECRET_KEYS;
    delete process.env.MODULE_SECRET_KEYS;
    try {
      const code = await runCli(['node', 'cli', 'jobs', ...args, '--data-dir', dir], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      if (saved !== undefined) process.env.MODULE_SECRET_KEYS = saved;
    }
  };

  it('summarises per job and lists each connection, secrets never printed', async () => {
    const status = await cli('status');
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /^syncOrders: (1 ok, 1 dead|1 dead, 1 ok)$/m);
    assert.match(status.out, new RegExp(`${ids[1]}\\s+syncOrders\\s+dead\\s+1\\s+1 .*https://two.retailcrm.ru\\s+RCMK_TIMEOUT`));
    assert.ok(!status.out.includes('Secret'));
    const dead = await cli('status', '--dead');
    assert.ok(!dead.out.includes(ids[0]!) && dead.out.includes(ids[1]!));
  });

  it('revives a dead job, and says so when there is none', async () => {
    const revived = await cli('revive', ids[1]!, 'syncOrders');
    assert.equal(revived.code, 0, revived.err);
    const again = await cli('revive', ids[1]!, 'syncOrders');
    assert.equal(again.code, 1);
    assert.match(again.err, /is not dead/);
  });
});
