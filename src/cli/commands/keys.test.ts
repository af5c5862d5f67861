import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sampleConnectInput } from '../../testing/index.js';
import { generateKeyEntry, parseKeyring } from '../../store/keyring.js';
import { openConnectionStore } from '../../store/open-connection-store.js';
import { runCli } from '../run-cli.js';

describe('cli: migrate, keys generate|rotate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-cli-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (env: Record<string, string | undefined>, ...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const saved = { keys: process.env.MODULE_SECRET_KEYS, db: process.env.DATABASE_URL };
    delete process.env.DATABASE_URL;
    if (env.MODULE_SECRET_KEYS === undefined) delete process.env.MODULE_SECRET_KEYS;
    else process.env.MODULE_SECRET_KEYS = env.MODULE_SECRET_KEYS;
    try {
      const code = await runCli(['node', 'cli', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      for (const [name, value] of [['MODULE_SECRET_KEYS', saved.keys], ['DATABASE_URL', saved.db]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  };

  it('keys generate prints one parseable entry, with the given id', async () => {
    const { code, out } = await cli({}, 'keys', 'generate', '--id', 'prod-2');
    assert.equal(code, 0);
    assert.equal(parseKeyring(out).sealingKeyId, 'prod-2');
    assert.equal((await cli({}, 'keys', 'generate', '--id', 'bad id')).code, 1);
  });

  it('migrate creates the tables, then reports them up to date', async () => {
    const database = join(dir, 'm.sqlite');
    const first = await cli({}, 'migrate', '--database', database);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /applied: 001_init/);
    const second = await cli({}, 'migrate', '--database', database);
    assert.match(second.out, /up to date/);
  });

  it('keys rotate re-seals every row with the last key; the old key can then be retired', async () => {
    const database = join(dir, 'r.sqlite');
    const a = generateKeyEntry('a');
    const b = generateKeyEntry('b');
    const store = await openConnectionStore({ databaseUrl: database, keyring: a });
    const inputs = [sampleConnectInput(), sampleConnectInput(), sampleConnectInput()];
    for (const input of inputs) await store.saveConnect(input);
    await store.close();

    const run = await cli({ MODULE_SECRET_KEYS: `${a},${b}` }, 'keys', 'rotate', '--database', database, '--batch-size', '2');
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /Re-sealed 3 of 3 connections; 3 now sealed by "b"/);
    for (const input of inputs) assert.ok(!run.out.includes(input.apiKey) && !run.out.includes(input.newClientId), 'no secret printed');

    const onlyB = await openConnectionStore({ databaseUrl: database, keyring: b });
    for (const input of inputs) assert.equal((await onlyB.findByClientId(input.newClientId))?.apiKey, input.apiKey);
    await onlyB.close();

    const missing = await cli({ MODULE_SECRET_KEYS: generateKeyEntry('c') }, 'keys', 'rotate', '--database', database);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /3 connection\(s\) could not be opened/);
  });
});
