// The Kysely store on both dialects: the conformance battery, then what only this implementation promises
// (sealed at rest, key rotation, migrations, error mapping, lazy drivers). One loop over DIALECTS (kysely's K7).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { ConfigError, SealBrokenError, StoreUnavailableError } from '../errors.js';
import { describeConnectionStore, sampleConnectInput } from '../testing/index.js';
import { generateKeyEntry, parseKeyring } from './keyring.js';
import { type KyselyConnectionStore } from './kysely-connection-store.js';
import { migrateToLatest } from './migrate.js';
import { openConnectionStore, resolveStoreTarget } from './open-connection-store.js';
import { rotateKeys } from './rotate-keys.js';
import type { ConnectionStore } from './types.js';

const PG_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY_A = generateKeyEntry('a');
const KEY_B = generateKeyEntry('b');

async function postgresUnavailable(): Promise<string | false> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return false;
  } catch (error) {
    return `PostgreSQL not reachable at ${PG_URL.replace(/\/\/[^@]*@/, '//…@')} (${(error as Error).message}); set DATABASE_URL_TEST`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** How to get a fresh database of each dialect, and a second handle on the same one. */
interface Harness {
  readonly name: 'SQLite' | 'PostgreSQL';
  readonly skip: string | false;
  /** A new, empty database location. */
  fresh(): { databaseUrl: string; postgresSchema?: string };
  /** Everything stored, as bytes (SQLite: the files; PostgreSQL: every row as text). */
  dump(store: KyselyConnectionStore): Promise<Buffer>;
}

const tempDir = mkdtempSync(join(tmpdir(), 'rcmk-store-'));
const schemas: string[] = [];
let seq = 0;
const pgSkip = await postgresUnavailable();
if (pgSkip && process.env.REQUIRE_POSTGRES === '1') {
  describe('PostgreSQL is required (REQUIRE_POSTGRES=1)', () => {
    it('is reachable', () => assert.fail(pgSkip));
  });
}

after(async () => {
  rmSync(tempDir, { recursive: true, force: true });
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

const sqliteHarness: Harness = {
  name: 'SQLite',
  skip: false,
  fresh: () => ({ databaseUrl: `sqlite:${join(tempDir, `store-${(seq += 1)}.sqlite`)}` }),
  async dump(store) {
    const target = resolveStoreTarget({ databaseUrl: storeUrls.get(store) ?? '' });
    assert.equal(target.dialect, 'sqlite');
    const file = (target as { file: string }).file;
    // The -wal file holds recent writes before a checkpoint: secrets must not be there either.
    const parts = [file, `${file}-wal`, `${file}-shm`].filter((path) => existsSync(path)).map((path) => readFileSync(path));
    assert.ok(existsSync(`${file}-wal`), 'WAL mode is on');
    return Buffer.concat(parts);
  },
};

const postgresHarness: Harness = {
  name: 'PostgreSQL',
  skip: pgSkip,
  fresh: () => {
    const schema = `rcmk_test_${process.pid}_${(seq += 1)}`;
    schemas.push(schema);
    return { databaseUrl: PG_URL, postgresSchema: schema };
  },
  async dump(store) {
    const { sql } = await import('kysely');
    const rows = await sql<{ t: string }>`select t::text as t from rcmk_connections t union all select e::text from rcmk_connection_events e`.execute(store.db);
    return Buffer.from(rows.rows.map((r) => r.t).join('\n'), 'utf8');
  },
};

const storeUrls = new WeakMap<ConnectionStore, string>();

async function openFresh(harness: Harness, keyring = KEY_A, location = harness.fresh()): Promise<KyselyConnectionStore> {
  const store = await openConnectionStore({ ...location, keyring });
  storeUrls.set(store, location.databaseUrl);
  return store;
}

for (const harness of [sqliteHarness, postgresHarness]) {
  if (harness.skip) {
    describe(`${harness.name} store`, () => {
      it('runs the battery', { skip: harness.skip }, () => {});
    });
    continue;
  }

  describeConnectionStore(`KyselyConnectionStore (${harness.name})`, () => openFresh(harness), {
    concurrentWriters: true,
    rawDump: (store) => harness.dump(store as KyselyConnectionStore),
  });

  describe(`KyselyConnectionStore (${harness.name}) specifics`, () => {
    it('rotation: sealed with A, rotated to B, readable with A+B and with B alone; A alone can no longer open', async () => {
      const location = harness.fresh();
      const storeA = await openFresh(harness, KEY_A, location);
      const inputs = Array.from({ length: 7 }, () => sampleConnectInput());
      for (const input of inputs) await storeA.saveConnect(input);
      // One row carries a staged key too: rotation re-seals it with the rest of the row.
      const stagedInput = sampleConnectInput({ accountUrl: inputs[2]?.accountUrl ?? '' });
      await storeA.stageConnect(stagedInput, 'rotating-stage');
      const versions = new Map((await storeA.list()).map((c) => [c.id, c.version]));
      await storeA.close();

      const storeAB = await openFresh(harness, `${KEY_A},${KEY_B}`, location);
      // Mixed state during a rollout: rows sealed by A and by B are both found by clientId.
      const mixed = await storeAB.saveConnect(sampleConnectInput());
      assert.equal(storeAB.sealer.keyIdOf((await storeAB.db.selectFrom('rcmk_connections').select('api_key_sealed').where('id', '=', mixed.connection.id).executeTakeFirstOrThrow()).api_key_sealed), 'b');
      assert.equal((await storeAB.findByClientId(inputs[0]?.newClientId ?? ''))?.apiKey, inputs[0]?.apiKey);
      assert.equal((await storeAB.findByClientId(mixed.connection.clientId))?.id, mixed.connection.id);

      const progress: number[] = [];
      const result = await rotateKeys(storeAB, parseKeyring(`${KEY_A},${KEY_B}`), { batchSize: 3, onProgress: (p) => progress.push(p.scanned) });
      assert.deepEqual({ ...result, failed: [...result.failed] }, { scanned: 7, resealed: 7, skipped: 0, failed: [], current: 8, sealingKeyId: 'b' });
      assert.deepEqual(progress, [3, 6, 7]);
      const keyIds = await storeAB.db.selectFrom('rcmk_connections').select('key_id').execute();
      assert.deepEqual([...new Set(keyIds.map((r) => r.key_id))], ['b']);
      const again = await rotateKeys(storeAB, parseKeyring(`${KEY_A},${KEY_B}`));
      assert.equal(again.scanned, 0, 'a second run finds nothing to do');
      await storeAB.close();

      const storeB = await openFresh(harness, KEY_B, location);
      for (const input of inputs) {
        const found = await storeB.findByClientId(input.newClientId);
        assert.equal(found?.apiKey, input.apiKey, 'readable after A is retired');
        assert.deepEqual(found?.settings, input.settings, 'settings (sealed too) readable after A is retired');
        assert.equal(found?.version, versions.get(found?.id ?? ''), 'rotation does not bump the version');
      }
      assert.equal((await storeB.findByClientId(inputs[2]?.newClientId ?? ''))?.staged?.apiKey, stagedInput.apiKey, 'the staged key too');
      await storeB.close();

      const onlyA = await openFresh(harness, KEY_A, location);
      // Secrets open on first read, so the refusal comes when the key is read, not when the row is listed.
      const [listed] = await onlyA.list();
      assert.ok(listed);
      assert.throws(() => listed.apiKey, SealBrokenError);
      assert.equal(await onlyA.findByClientId(inputs[0]?.newClientId ?? ''), undefined, 'A cannot even compute the lookup hash of B rows');
      await onlyA.close();
    });

    it('rotation reports a row it cannot open as failed and goes on', async () => {
      const location = harness.fresh();
      const store = await openFresh(harness, KEY_A, location);
      const { connection } = await store.saveConnect(sampleConnectInput());
      await store.close();
      const keyX = generateKeyEntry('x');
      const foreign = await openFresh(harness, keyX, location);
      await foreign.saveConnect(sampleConnectInput());
      const result = await rotateKeys(foreign, parseKeyring(keyX));
      assert.deepEqual([...result.failed], [connection.id], 'the row sealed by the unknown key "a" is reported');
      await foreign.close();
    });

    it('a sealed value copied onto another row, or into the other column, does not open', async () => {
      const store = await openFresh(harness);
      const one = (await store.saveConnect(sampleConnectInput())).connection;
      const two = (await store.saveConnect(sampleConnectInput())).connection;
      const raw = await store.db.selectFrom('rcmk_connections').selectAll().where('id', '=', one.id).executeTakeFirstOrThrow();
      await store.db.updateTable('rcmk_connections').set({ api_key_sealed: raw.api_key_sealed }).where('id', '=', two.id).execute();
      const copied = await store.findById(two.id);
      assert.throws(() => copied?.apiKey, SealBrokenError);
      await store.db.updateTable('rcmk_connections').set({ api_key_sealed: raw.client_id_sealed }).where('id', '=', one.id).execute();
      const swapped = await store.findById(one.id);
      assert.throws(() => swapped?.apiKey, SealBrokenError);
      await store.close();
    });

    it('event details never keep a secret-looking field', async () => {
      const store = await openFresh(harness);
      const { connection } = await store.saveConnect(sampleConnectInput());
      await store.appendEvent(connection.id, { type: 'key_changed', details: { apiKey: 'leak', nested: { clientId: 'leak', ok: 1 }, list: [{ token: 'leak' }] } });
      const [event] = await store.listEvents(connection.id, 1);
      assert.deepEqual(event?.details, { apiKey: '[redacted]', nested: { clientId: '[redacted]', ok: 1 }, list: [{ token: '[redacted]' }] });
      await store.close();
    });

    it('migrations are idempotent, and two stores can open one database at once', async () => {
      const location = harness.fresh();
      const [one, two] = await Promise.all([openFresh(harness, KEY_A, location), openFresh(harness, KEY_A, location)]);
      const again = await migrateToLatest(one.db);
      assert.deepEqual(again.results, []);
      const { connection } = await one.saveConnect(sampleConnectInput());
      assert.equal((await two.findById(connection.id))?.clientId, connection.clientId);
      await Promise.all([one.close(), two.close()]);
    });

    it('ping on a closed store throws StoreUnavailableError', async () => {
      const store = await openFresh(harness);
      await store.close();
      await assert.rejects(store.ping(), StoreUnavailableError);
    });
  });
}

describe('openConnectionStore', () => {
  it('picks the dialect from the URL', () => {
    assert.deepEqual(resolveStoreTarget({}), { dialect: 'sqlite', file: join('.data', 'module.sqlite') });
    assert.deepEqual(resolveStoreTarget({ dataDir: '/var/lib/m' }), { dialect: 'sqlite', file: '/var/lib/m/module.sqlite' });
    assert.deepEqual(resolveStoreTarget({ databaseUrl: 'sqlite:./x.db' }), { dialect: 'sqlite', file: './x.db' });
    assert.deepEqual(resolveStoreTarget({ databaseUrl: 'sqlite:///abs/x.db' }), { dialect: 'sqlite', file: '/abs/x.db' });
    assert.deepEqual(resolveStoreTarget({ databaseUrl: 'sqlite::memory:' }), { dialect: 'sqlite', file: ':memory:' });
    assert.deepEqual(resolveStoreTarget({ databaseUrl: '/tmp/y.sqlite' }), { dialect: 'sqlite', file: '/tmp/y.sqlite' });
    assert.deepEqual(resolveStoreTarget({ databaseUrl: 'postgres://u@h/db' }), { dialect: 'postgres', url: 'postgres://u@h/db' });
    assert.equal(resolveStoreTarget({ databaseUrl: 'postgresql://u@h/db' }).dialect, 'postgres');
  });

  it('rejects unsupported URLs and bad options with one ConfigError listing every problem', () => {
    assert.throws(
      () => resolveStoreTarget({ databaseUrl: 'mysql://h/db', poolMax: 0 }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
    );
    assert.throws(() => resolveStoreTarget({ databaseUrl: 'postgres://h/db', postgresSchema: 'Bad-Name' }), ConfigError);
  });

  it('a database that does not answer gives StoreUnavailableError', async () => {
    await assert.rejects(openConnectionStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', keyring: KEY_A }), StoreUnavailableError);
  });

  it('creates the SQLite directory and works in memory', async () => {
    const store = await openConnectionStore({ databaseUrl: `sqlite:${join(tempDir, 'deep', 'er', 'm.sqlite')}`, keyring: KEY_A });
    assert.ok(existsSync(join(tempDir, 'deep', 'er', 'm.sqlite')));
    await store.close();
    const memory = await openConnectionStore({ databaseUrl: 'sqlite::memory:', keyring: parseKeyring(KEY_A) });
    assert.equal((await memory.saveConnect(sampleConnectInput())).created, true);
    await memory.close();
  });

  it('importing the store loads neither driver; opening SQLite loads only better-sqlite3', () => {
    const script = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache);
      const has = (name) => loaded().some((p) => p.includes('/node_modules/' + name + '/'));
      const store = await import('./src/store/index.ts');
      const before = { pg: has('pg'), sqlite: has('better-sqlite3') };
      const s = await store.openConnectionStore({ databaseUrl: 'sqlite::memory:', keyring: store.generateKeyEntry('a') });
      await s.close();
      console.log(JSON.stringify({ before, after: { pg: has('pg'), sqlite: has('better-sqlite3') } }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'), { before: { pg: false, sqlite: false }, after: { pg: false, sqlite: true } });
  });
});
