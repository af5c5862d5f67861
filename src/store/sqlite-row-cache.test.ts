import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sampleConnectInput } from '../testing/store-battery.js';
import { generateKeyEntry } from './keyring.js';
import { openConnectionStore } from './open-connection-store.js';
import { FOREIGN_CHECK_MS, watchChanges } from './sqlite-changes.js';
import { createRowCache } from './sqlite-row-cache.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'rcmk-row-cache-')), 'store.sqlite');
/** Long enough for the watch to ask SQLite again. */
const pastForeignCheck = () => new Promise((resolve) => setTimeout(resolve, FOREIGN_CHECK_MS + 2));

describe('the SQLite row cache', () => {
  it('keeps a row from its second read, answers from memory while nothing changed, reads again after a write', () => {
    const path = file();
    const raw = new Database(path);
    raw.exec('create table t (k text primary key, v text); insert into t values (\'a\', \'one\')');
    const select = raw.prepare('select k, v from t where k = ?');
    const changes = watchChanges(raw, path);
    const cache = createRowCache(changes);
    // The store notes each of its writes (open-connection-store.ts); here the test does.
    const write = (sql: string, ...parameters: unknown[]) => (raw.prepare(sql).run(...parameters), changes.noteWrite());
    let loads = 0;
    const read = (key: string) => cache.read(key, () => (loads++, select.get(key) as Record<string, unknown> | undefined));
    assert.deepEqual(read('a'), { k: 'a', v: 'one' });
    assert.deepEqual(read('a'), { k: 'a', v: 'one' });
    assert.equal(loads, 2, 'a row read once is not kept');
    assert.deepEqual(read('a'), { k: 'a', v: 'one' });
    assert.equal(loads, 2, 'the third read was a hit');
    write('update t set v = ? where k = ?', 'two', 'a');
    assert.deepEqual(read('a'), { k: 'a', v: 'two' });
    assert.equal(loads, 3);
    read('a');
    assert.equal(loads, 3, 'a kept row is refreshed at once, not admitted again');
    // A write to any row (here another table) counts too: the cache cannot know which rows it touched.
    write('create table u (x)');
    read('a');
    assert.equal(loads, 4);
    changes.close();
    raw.close();
  });

  it('sees a write on its connection that bypassed the count once the watch asks SQLite again', async () => {
    const raw = new Database(':memory:');
    raw.exec('create table t (k text primary key, v text); insert into t values (\'a\', \'one\')');
    const select = raw.prepare('select k, v from t where k = ?');
    const cache = createRowCache(watchChanges(raw, ':memory:'));
    const read = () => cache.read('a', () => select.get('a') as Record<string, unknown> | undefined)?.v;
    read();
    read();
    raw.prepare('update t set v = ? where k = ?').run('unnoted', 'a');
    await pastForeignCheck();
    assert.equal(read(), 'unnoted', 'total_changes() is the backstop');
    raw.close();
  });

  it('reads again after another connection to the file committed (another process, the CLI), within the check interval', async () => {
    const path = file();
    const mine = new Database(path);
    mine.pragma('journal_mode = WAL');
    mine.exec('create table t (k text primary key, v text); insert into t values (\'a\', \'one\')');
    const other = new Database(path);
    const select = mine.prepare('select k, v from t where k = ?');
    // Not the store's shared count: a connection of its own, as another process has.
    const cache = createRowCache(watchChanges(mine, ':memory:'));
    const read = (key: string) => cache.read(key, () => select.get(key) as Record<string, unknown> | undefined);
    assert.equal(read('a')?.v, 'one');
    assert.equal(read('a')?.v, 'one');
    other.prepare('update t set v = ? where k = ?').run('theirs', 'a');
    // Within FOREIGN_CHECK_MS the kept row may still be returned (docs/store.md); after it, never.
    await pastForeignCheck();
    assert.equal(read('a')?.v, 'theirs');
    mine.close();
    other.close();
  });

  it('steps aside while writes make every read miss, always fresh, and comes back when reads repeat again', () => {
    const raw = new Database(':memory:');
    raw.exec('create table t (k text primary key, v integer); insert into t values (\'a\', 0)');
    const select = raw.prepare('select k, v from t where k = ?');
    const update = raw.prepare('update t set v = ? where k = ?');
    const changes = watchChanges(raw, ':memory:');
    const cache = createRowCache(changes);
    let loads = 0;
    const read = () => cache.read('a', () => (loads++, select.get('a') as Record<string, unknown> | undefined))?.v;
    for (let i = 1; i <= 200; i++) {
      update.run(i, 'a');
      changes.noteWrite();
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
    const changes = watchChanges(raw, ':memory:');
    const cache = createRowCache(changes);
    let loads = 0;
    const read = (key: string) => cache.read(key, () => (loads++, select.get(key) as Record<string, unknown> | undefined));
    assert.equal(read('missing'), undefined);
    assert.equal(read('missing'), undefined);
    assert.equal(loads, 2, 'a miss is read again each time');
    raw.exec('insert into t values (\'b\', \'x\')');
    changes.noteWrite();
    read('b');
    assert.ok(Object.isFrozen(read('b')));
    raw.close();
  });
});

describe('the change watch', () => {
  it('shares the count of writes between the stores of a process on one file, and asks SQLite only as often as told', () => {
    const path = file();
    const a = new Database(path);
    a.pragma('journal_mode = WAL');
    a.exec('create table t (v)');
    const b = new Database(path);
    const mine = watchChanges(a, path, 60_000);
    const theirs = watchChanges(b, path, 60_000);
    const elsewhere = watchChanges(new Database(':memory:'), ':memory:', 60_000);
    const before = { writes: mine.writes, foreign: mine.foreign() };
    theirs.noteWrite();
    assert.equal(mine.writes, before.writes + 1, 'a write by another store of this process is seen at once');
    assert.equal(elsewhere.writes, 0, 'a private database shares no count');
    b.exec('insert into t values (1)');
    assert.equal(mine.foreign(), before.foreign, 'within the interval SQLite is not asked again');
    const fresh = watchChanges(a, path, 0);
    const seen = fresh.foreign();
    b.exec('insert into t values (2)');
    assert.equal(fresh.foreign(), seen + 1, 'asked every time with a zero interval: the commit is seen');
    for (const watch of [mine, theirs, elsewhere, fresh]) watch.close();
    a.close();
    b.close();
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
