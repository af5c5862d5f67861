/**
 * Connection store throughput and memory.
 *
 * 1. ops/s of one "op" = `findByClientId` (HMAC + indexed select; sealed fields open only when read, which this op
 *    does not) followed by a state `update` (optimistic, one statement), sequential, on SQLite; the same on
 *    PostgreSQL beside it when reachable. Baseline: the same select + update with raw better-sqlite3 prepared
 *    statements (no Kysely, no sealing) on the same file. Store and baseline run in interleaved rounds so machine
 *    noise hits both alike. Target: ≥ 20,000 ops/s with the store's defaults, checked on 1,000 connections and on
 *    20,000 picked at random; the opt-in open cache is printed beside. Each missed target sets exit code 1.
 * 2. RSS of a fresh child process that opens a SQLite store holding 100,000 connections and serves random lookups
 *    plus updates for a few seconds (peak RSS sampled during the run). Target: < 150 MB.
 *
 * Bounded: about 30-40 s in all. Run: node --import ./bench/lib/compiled.mjs bench/store.ts [rounds] [msPerRound]
 * Env: DATABASE_URL_TEST (PostgreSQL, default postgres://postgres@127.0.0.1:5432/test), BENCH_ROWS (default 100000).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { generateKeyEntry, openConnectionStore, type KyselyConnectionStore } from '../src/store/index.js';
import { BenchReport, median, ratios } from './lib/report.js';
import { tsNodeArgs } from './lib/runner.js';

const numberArg = (index: number, fallback: number) => (/^\d+$/.test(process.argv[index] ?? '') ? Number(process.argv[index]) : fallback);
const ROUNDS = numberArg(2, 5);
const MS_PER_ROUND = numberArg(3, 1000);
const CONNECTIONS = 1000;
/** Larger than the default open cache (1,000) twenty times over: most lookups miss it. */
const WIDE_CONNECTIONS = 20_000;
const TARGET_OPS = 20_000;
const [mode, file] = process.argv.slice(2);
// The main process and the wide-working-set child each report their own figures (both into BENCH_REPORT).
const report = mode === undefined || mode === '--child-wide' ? new BenchReport('store') : undefined;
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const PG_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
const STATES = ['active', 'inactive'] as const;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Runs `op` for `ms` milliseconds, sequentially; returns ops/s. */
async function timed(ms: number, op: (i: number) => Promise<void> | void): Promise<number> {
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < ms) {
    for (let k = 0; k < 100; k += 1) await op(done++);
  }
  return done / ((performance.now() - started) / 1000);
}

async function seed(store: KyselyConnectionStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const clientId = randomUUID();
    await store.saveConnect({
      moduleCode: 'bench',
      accountUrl: `https://shop-${i}.retailcrm.test`,
      apiKey: `key-${randomUUID()}`,
      settings: { n: i },
      apiVersion: '5',
      scopes: ['integration_read'],
      newClientId: clientId,
    });
    ids.push(clientId);
  }
  return ids;
}

function storeOp(store: KyselyConnectionStore, clientIds: readonly string[]) {
  return async (i: number) => {
    const found = await store.findByClientId(clientIds[(i * 7919) % clientIds.length] as string);
    if (!found) throw new Error('lookup missed');
    await store.update(found.id, found.version, { state: STATES[i % 2] as 'active' | 'inactive' });
  };
}

/** The same op on a connection picked at random (xorshift32, seeded): no pattern the cache could ride on. */
function randomStoreOp(store: KyselyConnectionStore, clientIds: readonly string[]) {
  let x = 0x9e3779b9;
  return async (i: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const found = await store.findByClientId(clientIds[(x >>> 0) % clientIds.length] as string);
    if (!found) throw new Error('lookup missed');
    await store.update(found.id, found.version, { state: STATES[i % 2] as 'active' | 'inactive' });
  };
}

/**
 * The wide check runs in a process of its own: run after the phase above in the same process, the same loop was a
 * third slower (heap, GC and the kernel writing back the previous phase's pages), which measures the bench.
 */
function wideInChild(): void {
  try {
    execFileSync(process.execPath, tsNodeArgs(fileURLToPath(import.meta.url), '--child-wide'), { stdio: 'inherit' });
  } catch {
    // The child printed its figure and exited 1; the miss counts here too.
    report?.check('wide working set (child process)', false, 'missed, see above');
  }
}

async function throughput(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-'));
  const file = join(dir, 'store.sqlite');
  const keyring = generateKeyEntry('bench');
  try {
    const store = await openConnectionStore({ databaseUrl: `sqlite:${file}`, keyring });
    const clientIds = await seed(store, CONNECTIONS);
    const hashes = clientIds.map((id) => store.sealer.lookupHash(id));

    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    const select = raw.prepare('select * from rcmk_connections where client_id_hash = ?');
    const update = raw.prepare('update rcmk_connections set state = ?, updated_at = ?, version = version + 1 where id = ? and version = ? returning *');
    const baselineOp = (i: number) => {
      const row = select.get(hashes[(i * 7919) % hashes.length]) as { id: string; version: number };
      update.get(STATES[i % 2], new Date().toISOString(), row.id, row.version);
    };

    // The same store with the opt-in cache of opened secrets and lookup hashes on (it spares the HMAC per lookup).
    const cold = await openConnectionStore({ databaseUrl: `sqlite:${file}`, keyring, migrate: false, openCacheSize: 1000 });

    await timed(300, storeOp(store, clientIds)); // warm-up (JIT, statement cache, seal cache)
    await timed(300, storeOp(cold, clientIds));
    await timed(300, baselineOp);
    const storeRounds: number[] = [];
    const coldRounds: number[] = [];
    const baseRounds: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      storeRounds.push(await timed(MS_PER_ROUND, storeOp(store, clientIds)));
      coldRounds.push(await timed(MS_PER_ROUND, storeOp(cold, clientIds)));
      baseRounds.push(await timed(MS_PER_ROUND, baselineOp));
    }
    raw.close();
    await cold.close();
    await store.close();
    const s = median(storeRounds);
    const b = median(baseRounds);
    console.log(`find-by-clientId + state update, sequential, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${MS_PER_ROUND} ms`);
    console.log(`  SQLite store (defaults: no cache, an HMAC per lookup, secrets opened only when read): ${fmt(s)} ops/s median (rounds: ${storeRounds.map(fmt).join(', ')})`);
    console.log(`  SQLite store with the opt-in cache (openCacheSize: 1000, all connections fit): ${fmt(median(coldRounds))} ops/s median (rounds: ${coldRounds.map(fmt).join(', ')})`);
    console.log(`  raw better-sqlite3 baseline (no Kysely, no sealing): ${fmt(b)} ops/s median (rounds: ${baseRounds.map(fmt).join(', ')})`);
    console.log(`  store / baseline: ${(s / b).toFixed(2)}`);
    report?.figure('SQLite store, find + update, sequential (defaults)', storeRounds, { unit: 'ops/s', target: { op: '>=', value: TARGET_OPS } });
    report?.figure('SQLite store with the opt-in open cache', coldRounds, { unit: 'ops/s' });
    report?.figure('raw better-sqlite3 baseline', baseRounds, { unit: 'ops/s' });
    report?.figure('store / raw baseline', ratios(storeRounds, baseRounds));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `rcmk_bench_${process.pid}`;
  let pgStore: KyselyConnectionStore | undefined;
  try {
    pgStore = await openConnectionStore({ databaseUrl: PG_URL, postgresSchema: schema, keyring });
    const clientIds = await seed(pgStore, CONNECTIONS);
    await timed(300, storeOp(pgStore, clientIds));
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) rounds.push(await timed(MS_PER_ROUND, storeOp(pgStore, clientIds)));
    console.log(`  PostgreSQL store: ${fmt(median(rounds))} ops/s median (rounds: ${rounds.map(fmt).join(', ')}), pool of 10, same machine`);
    report?.figure('PostgreSQL store, find + update, sequential', rounds, { unit: 'ops/s' });
  } catch (error) {
    console.log(`  PostgreSQL store: skipped (${(error as Error).message})`);
  } finally {
    if (pgStore) {
      await pgStore.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await pgStore.close();
    }
  }
}

/** The target again on a wide working set: 20,000 connections picked at random (no locality to ride on). */
async function wideWorkingSet(keyring: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-wide-'));
  try {
    const store = await openConnectionStore({ databaseUrl: `sqlite:${join(dir, 'store.sqlite')}`, keyring });
    const clientIds = await seed(store, WIDE_CONNECTIONS);
    const op = randomStoreOp(store, clientIds);
    await timed(300, op);
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) rounds.push(await timed(MS_PER_ROUND, op));
    await store.close();
    const m = median(rounds);
    console.log(
      `  SQLite store (defaults, ${fmt(WIDE_CONNECTIONS)} connections picked at random): ` +
        `${fmt(m)} ops/s median (rounds: ${rounds.map(fmt).join(', ')})`,
    );
    report?.figure(`SQLite store, ${fmt(WIDE_CONNECTIONS)} connections at random`, rounds, { unit: 'ops/s', target: { op: '>=', value: TARGET_OPS } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child: seed `ROWS` connections into `file` quickly (sealed exactly as the store does, in batched transactions). */
async function childSeed(file: string): Promise<void> {
  const store = await openConnectionStore({ databaseUrl: `sqlite:${file}`, keyring: process.env.MODULE_SECRET_KEYS ?? '' });
  const now = new Date().toISOString();
  const batch = 1000;
  for (let start = 0; start < ROWS; start += batch) {
    const rows = Array.from({ length: Math.min(batch, ROWS - start) }, (_, k) => {
      const i = start + k;
      const id = randomUUID();
      const clientId = `client-${i}`;
      return {
        id,
        module_code: 'bench',
        account_url: `https://shop-${i}.retailcrm.test`,
        client_id_hash: store.sealer.lookupHash(clientId),
        client_id_sealed: store.sealer.seal(clientId, id, 'clientId'),
        api_key_sealed: store.sealer.seal(`key-${randomUUID()}`, id, 'apiKey'),
        key_id: store.sealer.sealingKeyId,
        settings: JSON.stringify({ n: i, note: 'some module settings of a typical size' }),
        state: 'active',
        active: 1,
        freeze: 0,
        api_version: '5',
        scopes: JSON.stringify(['integration_read', 'integration_write']),
        created_at: now,
        updated_at: now,
        version: 1,
      };
    });
    await store.db.transaction().execute((trx) => trx.insertInto('rcmk_connections').values(rows).execute());
  }
  await store.close();
}

/** Child: open the seeded store and serve random lookups + updates for a few seconds; print peak RSS. */
async function childServe(file: string): Promise<void> {
  const baseline = process.memoryUsage().rss;
  const cache = process.env.BENCH_OPEN_CACHE;
  const store = await openConnectionStore({
    databaseUrl: `sqlite:${file}`,
    keyring: process.env.MODULE_SECRET_KEYS ?? '',
    ...(cache === undefined ? {} : { openCacheSize: Number(cache) }),
  });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const count = Number((await store.db.selectFrom('rcmk_connections').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const ops = await timed(4000, async (i) => {
    const found = await store.findByClientId(`client-${(i * 7919) % ROWS}`);
    if (!found) throw new Error('lookup missed');
    if (i % 4 === 0) await store.update(found.id, found.version, { state: STATES[i % 2] as 'active' | 'inactive' });
  });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const usage = process.memoryUsage();
  await store.close();
  console.log(JSON.stringify({ count, ops, peak, baseline, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external }));
}

/**
 * How to start a child running this file. A loader thread alone adds tens of MB of RSS, so the child runs this
 * file bundled by esbuild (a devDependency; the benches' loader uses it too) under plain node.
 */
async function childArgs(self: string): Promise<{ args: string[]; how: string }> {
  const { build } = await import('esbuild');
  // Inside the repository, so the external packages resolve from its node_modules.
  const outfile = fileURLToPath(new URL('../.data/bench/store-child.mjs', import.meta.url));
  await build({
    entryPoints: [self],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: ['better-sqlite3', 'pg', 'esbuild'],
    logLevel: 'silent',
  });
  return { args: [outfile], how: 'plain node, this file bundled by esbuild' };
}

async function memory(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-rss-'));
  const file = join(dir, 'store.sqlite');
  const self = fileURLToPath(import.meta.url);
  const env = { ...process.env, MODULE_SECRET_KEYS: generateKeyEntry('bench') };
  const child = await childArgs(self);
  try {
    const started = performance.now();
    execFileSync(process.execPath, [...child.args, '--child-seed', file], { env, stdio: 'inherit' });
    const seeded = (performance.now() - started) / 1000;
    const out = execFileSync(process.execPath, [...child.args, '--child-serve', file], { env, encoding: 'utf8' });
    const { count, ops, peak, baseline } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(`RSS with ${fmt(count ?? 0)} stored connections (seeded in ${seeded.toFixed(1)} s), fresh process serving random lookups (+ an update every 4th) for 4 s:`);
    console.log(`  peak RSS ${mb(peak ?? 0)} MB (process at start ${mb(baseline ?? 0)} MB; ${child.how}), ${fmt(ops ?? 0)} ops/s`);
    report?.figure(`peak RSS with ${fmt(count ?? 0)} connections`, [(peak ?? Infinity) / 1024 / 1024], { unit: 'MB', target: { op: '<=', value: 150 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (mode === '--child-wide') {
  await wideWorkingSet(generateKeyEntry('bench'));
  report?.finish();
} else if (mode === '--child-seed' && file) await childSeed(file);
else if (mode === '--child-serve' && file) await childServe(file);
else {
  wideInChild(); // first, on a quiet disk
  await throughput();
  await memory();
  report?.finish();
}
