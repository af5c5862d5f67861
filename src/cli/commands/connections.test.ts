import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadKeyring } from '../../store/keyring.js';
import { openConnectionStore } from '../../store/open-connection-store.js';
import type { Connection } from '../../store/types.js';
import { runCli } from '../run-cli.js';

describe('cli: connections list|show', () => {
  let dir: string;
  let connection: Connection;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rcmk-cli-'));
    // The development keyring under --data-dir, exactly as the CLI will load it.
    const { keyring } = loadKeyring({ production: false, dataDir: dir, env: {} });
    const store = await openConnectionStore({ keyring, dataDir: dir });
    const saved = await store.saveConnect({
      moduleCode: 'acme', accountUrl: 'https://demo.retailcrm.ru', apiKey: 'SecretApiKeySecretApiKey1234', settings: { prefix: 'A' },
      apiVersion: '5.0', scopes: ['integration_read'], newClientId: 'SecretClientIdSecretClientId',
    });
    connection = saved.connection;
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const saved = process.env.MODULE_SECRET_KEYS;
    delete process.env.MODULE_SECRET_KEYS;
    try {
      const code = await runCli(['node', 'cli', 'connections', ...args, '--data-dir', dir], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      if (saved !== undefined) process.env.MODULE_SECRET_KEYS = saved;
    }
  };

  it('lists and shows connections without their secrets', async () => {
    const list = await cli('list');
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`${connection.id}\\s+pending\\s+acme\\s+https://demo.retailcrm.ru`));
    const show = await cli('show', connection.id);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /settings:\s+\{"prefix":"A"\}/);
    assert.match(show.out, /connected/);
    for (const text of [list.out, show.out]) {
      assert.ok(!text.includes('SecretApiKey'), 'no API key printed');
      assert.ok(!text.includes('SecretClientId'), 'no clientId printed');
    }
  });

  it('a store never migrated: what to do instead of the database\'s "no such table", in the chosen language', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'rcmk-cli-fresh-'));
    const saved = process.env.MODULE_SECRET_KEYS;
    delete process.env.MODULE_SECRET_KEYS;
    try {
      for (const [lang, line] of [
        ['en', 'error: the store has no tables yet: run "retailcrm-module-kit migrate" (or start the module once)'],
        ['ru', 'ошибка: в хранилище ещё нет таблиц: выполните "retailcrm-module-kit migrate" (или запустите модуль один раз)'],
      ] as const) {
        const err: string[] = [];
        const code = await runCli(['node', 'cli', '--lang', lang, 'connections', 'list', '--data-dir', fresh], { out: () => {}, err: (l) => err.push(l) });
        assert.equal(code, 1);
        assert.deepEqual(err, [line]);
      }
    } finally {
      if (saved !== undefined) process.env.MODULE_SECRET_KEYS = saved;
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('an unknown id fails with one line and exit 1', async () => {
    const show = await cli('show', 'no-such-id');
    assert.equal(show.code, 1);
    assert.match(show.err, /^error: no connection with id "no-such-id"/);
  });
});
