import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sampleConnectInput } from '../testing/store-battery.js';
import { generateKeyEntry } from './keyring.js';
import { openConnectionStore } from './open-connection-store.js';
import { createRowCache } from './sqlite-row-cache.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'rcmk-row-cache-')), 'store.sqlite');

describe('the SQLite row cache', () => {
  it('keeps a row from its second read, answers from memory while nothing changed, reads again after a write', () => {
    const raw = new Database(file());
    raw.exec('create table t (k text primary key, v text); insert into t values (\'a\', \'one\')');
    const select = raw.prepare('select k, v from t where k = ?');
    const cache = createRowCache(raw);
    let loads = 0;
    const read = (key: string) => cache.read(key, () => (loads++, select.get(key) as Record<string, unknown> | undefined));
    assert.deepEqual(read('a'), { k: 'a', v: 'one' });
    assert.deepEqual(read('a'), { k: 'a', v: 'one' });
    assert.equal(loads, 2, 'a row read once is not kept');
    assert.deepEqual(read('a'), { k: 'a', v: 'one' });
    assert.equal(loads, 2, 'the third read was a hit');
    raw.prepare('update t set v = ? where k = ?').run('two', 'a');
    assert.deepEqual(read('a'), { k: 'a', v: 'two' });
    assert.equal(loads, 3);
    read('a');
    assert.equal(loads, 3, 'a kept row is refreshed at once, not admitted again');
    // A write to any row (here another table) counts too: the cache cannot know which rows it touched.
    raw.exec('create table u (x); insert into u values (1)');
    read('a');
    assert.equal(loads, 4);
    raw.close();
  });

  it('reads again after another connection to the file committed (another process, the CLI)', () => {
    const path = file();
    const mine = new Database(path);
    mine.pragma('journal_mode = WAL');
    mine.exec('create table t (k text primary key, v text); insert into t values (\'a\', \'one\')');
    const other = new Database(path);
    const select = mine.prepare('select k, v from t where k = ?');
    const cache = createRowCache(mine);
    const read = (key: string) => cache.read(key, () => select.get(key) as Record<string, unknown> | undefined);
    assert.equal(read('a')?.v, 'one');
    other.prepare('update t set v = ? where k = ?').run('theirs', 'a');
    assert.equal(read('a')?.v, 'theirs');
    mine.close();
    other.close();
  });

  it('steps aside while writes make every read miss, always fresh, and comes back when reads repeat again', () => {
    const raw = new Database(':memory:');
    raw.exec('create table t (k text primary key, v integer); insert into t values (\'a\', 0)');
    const select = raw.prepare('select k, v from t where k = ?');
    const update = raw.prepare('update t set v = ? where k = ?');
    const cache = createRowCache(raw);
    let loads = 0;
    const read = () => cache.read('a', () => (loads++, select.get('a') as Record<string, unknown> | undefined))?.v;
    for (let i = 1; i <= 200; i++) {
      update.run(i, 'a');
      assert.equal(read(), i, 'a read after a write sees it, bypassed or not');
    }
    loads = 0;
    for (let i = 0; i < 2000; i++) assert.equal(read(), 200);
    assert.ok(loads < 500, `hits came back: ${loads} of 2,000 reads went to SQLite`);
    raw.close();
  });

  it('keeps no entry for a key with no row, and gives frozen rows', () => {
    const raw = new Database(':memory:');
    raw.exec('create table t (k text primary key, v text)');
    const select = raw.prepare('select k, v from t where k = ?');
    const cache = createRowCache(raw);
    let loads = 0;
    const read = (key: string) => cache.read(key, () => (loads++, select.get(key) as Record<string, unknown> | undefined));
    assert.equal(read('missing'), undefined);
    assert.equal(read('missing'), undefined);
    assert.equal(loads, 2, 'a miss is read again each time');
    raw.exec('insert into t values (\'b\', \'x\')');
    read('b');
    assert.ok(Object.isFrozen(read('b')));
    raw.close();
  });
});

describe('the store with the row cache', () => {
  it('never answers a lookup with a stale connection: its own updates, and another store on the same file', async () => {
    const path = file();
    const keyring = generateKeyEntry('k');
    const server = await openConnectionStore({ databaseUrl: path, keyring });
    const cli = await openConnectionStore({ databaseUrl: path, keyring, migrate: false });
    try {
      const input = sampleConnectInput();
      const { connection } = await server.saveConnect(input);
      assert.equal((await server.findByClientId(input.newClientId))?.state, 'pending');
      assert.equal((await server.findByClientId(input.newClientId))?.state, 'pending');
      const active = await server.update(connection.id, connection.version, { state: 'active', active: true });
      assert.equal((await server.findByClientId(input.newClientId))?.state, 'active');
      assert.equal((await server.findById(connection.id))?.version, active.version);
      // Another process (here a second store: its own SQLite connection) disconnects it.
      await cli.update(active.id, active.version, { state: 'disconnected', active: false });
      const seen = await server.findByClientId(input.newClientId);
      assert.equal(seen?.state, 'disconnected');
      assert.equal(seen?.active, false);
      assert.equal((await server.findById(connection.id))?.state, 'disconnected');
      // Secrets still open from the remembered (sealed) row.
      assert.equal(seen?.apiKey, input.apiKey);
      assert.equal(seen?.clientId, input.newClientId);
    } finally {
      await cli.close();
      await server.close();
    }
  });
});
