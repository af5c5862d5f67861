/**
 * Fleet figures (issue 15).
 *
 * 1. `reregisterFleet` over 10,000 connections in 500 accounts (20 module codes × 500 accounts), the emulator in
 *    its own process adding 50 ms to every registration and enforcing the CRM's 10 requests/s per account, the
 *    client's budget shared through Redis (as a fleet would). Lower bound: max(N × latency / concurrency, the
 *    per-account bound (⌈n/limit⌉ − 1) × (window + latency) + latency with n connections per account).
 *    Target: total ≤ 1.2 × the bound, and no 503 from the emulator's limiter (counted at the transport, before
 *    the client's retries could hide one).
 * 2. The PostgreSQL store under 32 concurrent callers: lookups (`findByClientId`) + updates per second, beside
 *    the same op run sequentially. Target ≥ 8,000/s.
 * Several rounds each, decided on the median (bench/lib/report.ts). Exit code 1 on a missed target.
 * Run: node --import ./bench/lib/compiled.mjs bench/fleet.ts [rounds]. Env: DATABASE_URL_TEST, REDIS_URL.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';
import { createConnectKit } from '../src/connect/create-connect-kit.js';
import { defineModule } from '../src/connect/module-definition.js';
import { createRedisRateLimiter } from '../src/crm/redis-rate-limiter.js';
import { createMemoryRateLimiter } from '../src/crm/rate-limiter.js';
import { createCrmTransport, type CrmTransport } from '../src/crm/transport.js';
import { reregisterFleet } from '../src/fleet/reregister.js';
import { generateKeyEntry, openConnectionStore, type KyselyConnectionStore } from '../src/store/index.js';
import { BenchReport, median, ratios } from './lib/report.js';
import { profiled } from './lib/profile-window.js';
import { tsNodeArgs } from './lib/runner.js';

const ROUNDS = /^\d+$/.test(process.argv[2] ?? '') ? Number(process.argv[2]) : 3;
const PG_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ACCOUNTS = 500;
const CODES = 20;
const LATENCY_MS = 50;
const CONCURRENCY = 200;
const LIMIT = { limit: 10, windowMs: 1000 };
const report = new BenchReport('fleet');
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function startEmulatorProcess() {
  const child = spawn(process.execPath, tsNodeArgs('bench/lib/emulator-process.ts'), { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const { port } = JSON.parse(first) as { port: number };
  const control = async (path: string, body: unknown) => {
    const response = await request(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return response.body.json() as Promise<{ name: string; url: string; apiKey: string }>;
  };
  return { port, control, close: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.stdin!.end())) };
}

async function reregistrationBench(): Promise<void> {
  const emulator = await startEmulatorProcess();
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-fleet-'));
  // As limiterFromEnv makes it (src/cli/limiter-from-env.ts): permits taken in one tick share a socket write.
  const redis = new Redis(REDIS_URL, { enableAutoPipelining: process.env.BENCH_PIPELINING !== '0' });
  try {
    const accounts: { name: string; url: string; apiKey: string }[] = [];
    for (let i = 0; i < ACCOUNTS; i += 1) accounts.push(await emulator.control('/_emulator/accounts', { name: `b${i}` }));
    await emulator.control('/_emulator/faults', { path: '/api/v5/integration-modules/*', method: 'POST', delayMs: LATENCY_MS });
    const modules = Array.from({ length: CODES }, (_, k) =>
      defineModule({ integrationCode: 'bench', code: `bench-m${k}`, name: 'Bench', logo: 'https://b.example/l.svg', baseUrl: `https://b.example` }),
    );
    // One store per module (as 20 deployed modules would have), each with its 500 connections; each module's
    // accounts in a rotated order, so the 20 runs meet different accounts at any moment.
    const stores: KyselyConnectionStore[] = [];
    for (let k = 0; k < CODES; k += 1) {
      const store = await openConnectionStore({ keyring: generateKeyEntry('b'), databaseUrl: `sqlite:${join(dir, `fleet${k}.sqlite`)}` });
      stores.push(store);
      for (let i = 0; i < ACCOUNTS; i += 1) {
        const account = accounts[(i + k * (ACCOUNTS / CODES)) % ACCOUNTS]!;
        const { connection } = await store.saveConnect({
          moduleCode: modules[k]!.code, accountUrl: account.url, apiKey: account.apiKey, settings: {}, apiVersion: 'v5', scopes: [], newClientId: randomUUID(),
        });
        await store.update(connection.id, connection.version, { state: 'active', active: true });
      }
    }
    const n = ACCOUNTS * CODES;
    const perAccount = CODES;
    const latencyBound = (n * LATENCY_MS) / CONCURRENCY / 1000;
    const accountBound = ((Math.ceil(perAccount / LIMIT.limit) - 1) * (LIMIT.windowMs + LATENCY_MS) + LATENCY_MS) / 1000;
    const bound = Math.max(latencyBound, accountBound);
    const times: number[] = [];
    let rateLimited = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const base = createCrmTransport({
        accountUrlPolicy: { allowLocal: true },
        connectionsPerAccount: 4,
        // BENCH_LIMITER=memory|off isolates the shared limiter's share of the time (off may earn 503s).
        rateLimiter:
          process.env.BENCH_LIMITER === 'off'
            ? false
            : process.env.BENCH_LIMITER === 'memory'
              ? createMemoryRateLimiter()
              : createRedisRateLimiter({ redis, prefix: `rmk:bench:${randomUUID()}:` }),
      });
      const transport: CrmTransport = {
        policy: base.policy,
        close: () => base.close(),
        request: async (req) => {
          const response = await base.request(req);
          if (response.status === 503) rateLimited += 1;
          return response;
        },
      };
      const started = performance.now();
      const reports = await profiled(`fleet-reregister-${round + 1}`, () =>
        Promise.all(
          modules.map((module, k) =>
            reregisterFleet({ kit: createConnectKit({ module, store: stores[k]!, transport }), db: stores[k]!.db, force: true, canary: 0, batchSize: 500, concurrency: CONCURRENCY / CODES }),
          ),
        ),
      );
      times.push((performance.now() - started) / 1000);
      await transport.close();
      const failed = reports.reduce((sum, r) => sum + r.failed, 0);
      if (failed > 0) throw new Error(`${failed} registrations failed: ${reports.flatMap((r) => r.failures).slice(0, 3).map((f) => f.error).join('; ')}`);
    }
    // Baseline in the same run: the same 10,000 registrations as bare HTTP requests from a pool of the same
    // concurrency (no limiter, no store, no client): what this machine and the emulator manage at best.
    const { Pool } = await import('undici');
    const raw: number[] = [];
    const body = new URLSearchParams({ integrationModule: JSON.stringify({ code: 'raw', integrationCode: 'raw', active: true, name: 'Raw', clientId: 'raw-client-0001', baseUrl: 'https://b.example' }) }).toString();
    for (let round = 0; round < ROUNDS; round += 1) {
      const pool = new Pool(`http://127.0.0.1:${emulator.port}`, { connections: CONCURRENCY });
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < n) {
            const account = accounts[next++ % ACCOUNTS]!;
            const response = await pool.request({
              method: 'POST',
              path: '/api/v5/integration-modules/raw/edit',
              headers: { host: new URL(account.url).host, 'x-api-key': account.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
              body,
            });
            await response.body.dump();
          }
        }),
      );
      raw.push((performance.now() - started) / 1000);
      await pool.close();
    }
    const baseline = median(raw);
    const total = median(times);
    console.log(`re-register ${fmt(n)} connections over ${ACCOUNTS} accounts, ${LATENCY_MS} ms latency, concurrency ${CONCURRENCY}, ${LIMIT.limit}/s per account`);
    console.log(`  lower bound  ${fmt(bound, 2)} s  (latency × N / concurrency ${fmt(latencyBound, 2)} s; per-account ${fmt(accountBound, 2)} s)`);
    console.log(`  measured     ${fmt(total, 2)} s  median of ${ROUNDS} (${times.map((t) => fmt(t, 2)).join(', ')})  = ${fmt(total / bound, 2)} × bound`);
    console.log(`  baseline     ${fmt(baseline, 2)} s  bare HTTP, same requests and concurrency, no limit (${raw.map((t) => fmt(t, 2)).join(', ')}); measured = ${fmt(total / baseline, 2)} × baseline`);
    console.log(`  503 from the emulator: ${rateLimited}`);
    report.figure('re-registration of 10,000 / lower bound', times.map((t) => t / bound), { target: { op: '<=', value: 1.2 } });
    report.figure('bare HTTP baseline / lower bound', raw.map((t) => t / bound));
    report.figure('re-registration / bare HTTP baseline', ratios(times, raw));
    report.check('no 503 from the emulator', rateLimited === 0, `${rateLimited} answered 503`);
    for (const store of stores) await store.close();
  } finally {
    redis.disconnect();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `op` from `callers` workers for `ms`; returns ops/s. */
async function timed(ms: number, callers: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() - started < ms) await op(next++);
    }),
  );
  return next / ((performance.now() - started) / 1000);
}

async function postgresStoreBench(): Promise<void> {
  const schema = `rcmk_bench_fleet_${process.pid}`;
  const store: KyselyConnectionStore = await openConnectionStore({ keyring: generateKeyEntry('p'), databaseUrl: PG_URL, postgresSchema: schema, poolMax: 32 });
  try {
    const clientIds: string[] = [];
    for (let i = 0; i < 1000; i += 1) {
      const clientId = randomUUID();
      await store.saveConnect({ moduleCode: 'bench', accountUrl: `https://shop-${i}.retailcrm.test`, apiKey: `key-${randomUUID()}`, settings: {}, apiVersion: '5', scopes: [], newClientId: clientId });
      clientIds.push(clientId);
    }
    const op = async (i: number) => {
      const found = await store.findByClientId(clientIds[(i * 7919) % clientIds.length]!);
      if (!found) throw new Error('lookup missed');
      await store.update(found.id, found.version, { state: found.state === 'active' ? 'inactive' : 'active' }).catch((error: { code?: string }) => {
        // Two callers on one row: the loser's optimistic update is refused, which still cost a full round trip.
        if (error.code !== 'RCMK_STORE_CONFLICT') throw error;
      });
    };
    const sequential: number[] = [];
    const concurrent: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      sequential.push(await timed(1500, 1, op));
      concurrent.push(await timed(1500, 32, op));
    }
    const seq = median(sequential);
    const conc = median(concurrent);
    console.log('PostgreSQL store: findByClientId + update (one op), median of rounds');
    console.log(`  sequential      ${fmt(seq)} ops/s`);
    console.log(`  32 concurrent   ${fmt(conc)} ops/s  (${fmt(conc / seq, 1)}× sequential)`);
    report.figure('PostgreSQL store, find + update, sequential', sequential, { unit: 'ops/s' });
    report.figure('PostgreSQL store, find + update, 32 callers', concurrent, { unit: 'ops/s', target: { op: '>=', value: 8000 } });
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
}

/**
 * What one permit costs on each candidate for the shared limit: the Redis limiter's acquire + release (two Lua
 * scripts), against the least PostgreSQL needs for the same rule (one upsert of the key's row to take a permit,
 * one update to give it back) — sequential and from 32 callers, over 500 keys.
 */
async function limiterBench(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const limiter = createRedisRateLimiter({ redis, prefix: `rmk:bench:prim:${randomUUID()}:` });
  const client = new pg.Pool({ connectionString: PG_URL, max: 32 });
  const table = `rcmk_bench_rl_${process.pid}`;
  await client.query(`create unlogged table ${table} (key text primary key, in_flight int not null, returned timestamptz[] not null)`);
  const big = { limit: 1_000_000, windowMs: 1000 };
  const redisOp = async (i: number) => (await limiter.acquire(`k${i % 500}`, big)).release();
  const pgOp = async (i: number) => {
    const key = `k${i % 500}`;
    await client.query(
      `insert into ${table} as t (key, in_flight, returned) values ($1, 1, '{}') on conflict (key) do update
         set in_flight = t.in_flight + 1, returned = array(select r from unnest(t.returned) r where r > now() - interval '1 second')
         where t.in_flight + cardinality(t.returned) < 1000000`,
      [key],
    );
    await client.query(`update ${table} set in_flight = in_flight - 1, returned = returned || now() where key = $1`, [key]);
  };
  const rows: [string, number, number][] = [];
  for (const [name, op] of [['Redis (Lua)', redisOp], ['PostgreSQL', pgOp]] as const) {
    const one: number[] = [];
    const many: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      one.push(await timed(1000, 1, op));
      many.push(await timed(1000, 32, op));
    }
    rows.push([name, median(one), median(many)]);
  }
  console.log('shared limiter, one permit (acquire + release), median of rounds');
  for (const [name, one, many] of rows) console.log(`  ${name.padEnd(12)} sequential ${fmt(one).padStart(7)}/s   32 callers ${fmt(many).padStart(7)}/s`);
  console.log(`  Redis / PostgreSQL: ${fmt(rows[0]![1] / rows[1]![1], 1)}× sequential, ${fmt(rows[0]![2] / rows[1]![2], 1)}× with 32 callers`);
  await client.query(`drop table ${table}`);
  await client.end();
  redis.disconnect();
}

const part = process.env.BENCH_PART;
if (part === undefined || part === 'reregister') await reregistrationBench();
if (part === undefined || part === 'store') await postgresStoreBench();
if (part === undefined || part === 'limiter') await limiterBench();
report.finish();
