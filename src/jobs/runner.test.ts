/**
 * One conformance battery for the job runner on both engines (STYLE B8, R8): pg-boss on PostgreSQL and the
 * in-process engine on SQLite, each with a real store, real connections and a real CRM client (the emulator).
 * Waits are on observable state with a generous deadline, never on elapsed time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { z } from 'zod';
import { createConnectKit } from '../connect/create-connect-kit.js';
import { defineModule } from '../connect/module-definition.js';
import { createCrmTransport } from '../crm/transport.js';
import { createMemoryRateLimiter } from '../crm/rate-limiter.js';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { generateKeyEntry } from '../store/keyring.js';
import type { KyselyConnectionStore } from '../store/kysely-connection-store.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import { defineJobs, parseDuration, type JobInput } from './define.js';
import { createJobRunner, type JobRunEvent, type JobRunner } from './runner.js';

const PG_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEYRING = generateKeyEntry('a');
const temp = mkdtempSync(join(tmpdir(), 'rcmk-jobs-'));
let emulator: EmulatorHandle;
const transport = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: createMemoryRateLimiter() });
const schemas: string[] = [];
let seq = 0;

before(async () => {
  emulator = await startEmulator({ port: 0 });
});
after(async () => {
  await transport.close();
  await emulator.close();
  if (schemas.length > 0) {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
});

const module = defineModule({ integrationCode: 'jobs-test', name: 'Jobs test', logo: 'https://m.example/logo.svg', baseUrl: 'https://m.example' });

interface Fixture {
  store: KyselyConnectionStore;
  /** Connection ids by state. */
  enabled: string[];
  disabled: string[];
  open(): Promise<KyselyConnectionStore>;
  pgBossSchema: string | undefined;
}

const ENGINES = [
  {
    name: 'in-process on SQLite',
    async database() {
      return { databaseUrl: `sqlite:${join(temp, `db${++seq}.sqlite`)}` };
    },
  },
  {
    name: 'pg-boss on PostgreSQL',
    async database() {
      const schema = `rcmk_jobs_${process.pid}_${++seq}`;
      schemas.push(schema, `${schema}_boss`);
      return { databaseUrl: PG_URL, postgresSchema: schema, pgBossSchema: `${schema}_boss` };
    },
  },
] as const;

async function fixture(database: { databaseUrl: string; postgresSchema?: string; pgBossSchema?: string }): Promise<Fixture> {
  const open = () =>
    openConnectionStore({
      keyring: KEYRING,
      databaseUrl: database.databaseUrl,
      ...(database.postgresSchema ? { postgresSchema: database.postgresSchema } : {}),
    });
  const store = await open();
  const enabled: string[] = [];
  const disabled: string[] = [];
  const kinds = ['active', 'active', 'active', 'pending', 'frozen', 'inactive'] as const;
  for (const [i, kind] of kinds.entries()) {
    const account = emulator.createAccount({ name: `jobs${seq}x${i}` });
    const { connection } = await store.saveConnect({
      moduleCode: module.code,
      accountUrl: account.url,
      apiKey: account.apiKey,
      settings: {},
      apiVersion: 'v5',
      scopes: [],
      newClientId: `client-${seq}-${i}-${'x'.repeat(24)}`,
    });
    if (kind !== 'pending') {
      await store.update(connection.id, connection.version, {
        state: kind,
        active: kind !== 'inactive',
        freeze: kind === 'frozen',
      });
    }
    (kind === 'active' ? enabled : disabled).push(connection.id);
  }
  return { store, enabled, disabled, open, pgBossSchema: database.pgBossSchema };
}

function runnerFor(f: Fixture, store: KyselyConnectionStore, jobs: Record<string, JobInput<any>>, extra: { concurrency?: number; onRun?: (e: JobRunEvent) => void; now?: () => Date } = {}): JobRunner {
  const kit = createConnectKit({ module, store, transport });
  return createJobRunner({
    kit,
    jobs: defineJobs(jobs, { minEveryMs: 1000 }),
    db: store.db,
    dialect: store.dialect,
    ...(store.dialect === 'postgres'
      ? { engine: 'pg-boss' as const, pollSeconds: 0.5 }
      : { engine: 'in-process' as const }),
    ...(f.pgBossSchema ? { pgBossSchema: f.pgBossSchema } : {}),
    checkEveryMs: 60_000,
    ...extra,
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('defineJobs', () => {
  it('reports every problem at once, by path', () => {
    assert.throws(
      () => defineJobs({ 'bad name': { every: '5m', run: async () => {} }, tooOften: { every: '10s', run: async () => {} }, noRun: { every: 'soon' } as never }),
      (error: Error & { problems?: string[] }) =>
        error.problems!.some((p) => p.startsWith('jobs.bad name')) &&
        error.problems!.some((p) => p.includes('jobs.tooOften.every must be at least 30')) &&
        error.problems!.some((p) => p.includes('jobs.noRun.every')) &&
        error.problems!.some((p) => p.includes('jobs.noRun.run')),
    );
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('5 minutes'), undefined);
  });
});

for (const engine of ENGINES) {
  describe(`jobs: ${engine.name}`, () => {
    it('runs once per tick for each enabled connection only, keeps the cursor, and reports state', async () => {
      const f = await fixture(await engine.database());
      const seen: string[] = [];
      const runner = runnerFor(f, f.store, {
        sync: {
          every: '1h',
          cursor: z.object({ page: z.number() }),
          run: async ({ connection, crm, cursor, saveCursor }) => {
            await crm.credentials(); // a real client for the connection's account
            seen.push(connection.id);
            await saveCursor({ page: (cursor?.page ?? 0) + 1 });
          },
        },
      });
      try {
        await runner.start();
        assert.equal(runner.engine, f.store.dialect === 'postgres' ? 'pg-boss' : 'in-process');
        assert.equal(await runner.runNow('sync'), 3);
        await until('three runs', async () => ((await runner.status({ job: 'sync' })).filter((s) => s.status === 'ok').length === 3 ? true : undefined));
        assert.deepEqual([...seen].sort(), [...f.enabled].sort());
        // The tick is claimed: a second check within `every` queues nothing.
        assert.equal(await runner.tick(), 0);
        await runner.runNow('sync');
        await until('second runs', async () => ((await runner.status({ job: 'sync' })).every((s) => s.runs === 2) ? true : undefined));
        const states = await runner.status({ job: 'sync' });
        assert.deepEqual(states.map((s) => s.connectionId).sort(), [...f.enabled].sort());
        for (const s of states) {
          assert.equal(s.failures, 0);
          assert.ok(s.lastSuccessAt && s.nextRunAt && s.nextRunAt > s.lastSuccessAt);
          assert.deepEqual(await runner.state.cursor(s.connectionId, 'sync'), { page: 2 });
        }
      } finally {
        await runner.stop();
        await f.store.close();
      }
    });

    it("a connection's own longer interval (everyFor) holds it back while the others run again", async () => {
      const f = await fixture(await engine.database());
      const runs = new Map<string, number>();
      const slow = f.enabled[0]!;
      let offset = 0;
      const runner = runnerFor(
        f,
        f.store,
        {
          sync: {
            every: '1h',
            everyFor: (connection) => (connection.id === slow ? '1d' : undefined),
            run: async ({ connection }) => void runs.set(connection.id, (runs.get(connection.id) ?? 0) + 1),
          },
        },
        { now: () => new Date(Date.now() + offset) },
      );
      try {
        await runner.start();
        assert.equal(await runner.runNow('sync'), 3);
        await until('first runs', async () => ((await runner.status({ job: 'sync' })).filter((s) => s.status === 'ok').length === 3 ? true : undefined));
        const [state] = await runner.status({ connectionId: slow, job: 'sync' });
        assert.ok(state!.nextRunAt!.getTime() - state!.lastRunAt!.getTime() > 23 * 3_600_000, 'next run a day later');
        offset = 3_600_000; // an hour later
        assert.equal(await runner.runNow('sync'), 2, 'the one with a day-long interval is not due');
        await until('second runs', async () => ([...runs.values()].filter((n) => n === 2).length === 2 ? true : undefined));
        assert.equal(runs.get(slow), 1);
      } finally {
        await runner.stop();
        await f.store.close();
      }
    });

    it('two instances on one database: every connection runs exactly once per tick', async () => {
      const f = await fixture(await engine.database());
      const second = await f.open();
      const runs: string[] = [];
      const job = { every: '1h', run: async ({ connection }: { connection: { id: string } }) => void runs.push(connection.id) };
      const a = runnerFor(f, f.store, { sync: job });
      const b = runnerFor(f, second, { sync: job });
      try {
        await a.start();
        await b.start();
        await a.state.resetTick('sync');
        const queued = await Promise.all([a.tick(), b.tick()]);
        assert.deepEqual([...queued].sort(), [0, 3]);
        await until('runs', async () => (runs.length >= 3 ? true : undefined));
        await new Promise((resolve) => setTimeout(resolve, 1200)); // a poll cycle: a duplicate would have run by now
        assert.deepEqual([...runs].sort(), [...f.enabled].sort());
      } finally {
        await a.stop();
        await b.stop();
        await second.close();
        await f.store.close();
      }
    });

    it('retries with backoff, goes dead after the limit, is skipped while dead and runs again when revived', async () => {
      const f = await fixture(await engine.database());
      const events: JobRunEvent[] = [];
      let broken = true;
      const runner = runnerFor(
        f,
        f.store,
        {
          flaky: {
            every: '1h',
            retry: { limit: 1, delay: '1s', backoff: 'fixed' },
            run: async ({ connection }) => {
              if (broken && connection.id === f.enabled[0]) throw new Error(`upstream refused ${connection.apiKey}`);
            },
          },
        },
        { onRun: (e) => events.push(e) },
      );
      try {
        await runner.start();
        await runner.runNow('flaky');
        const dead = await until('dead', async () => (await runner.status({ connectionId: f.enabled[0]!, job: 'flaky' })).find((s) => s.status === 'dead'));
        assert.equal(dead.failures, 2);
        assert.match(dead.lastError ?? '', /^Error: upstream refused \[redacted\]$/);
        const mine = events.filter((e) => e.connectionId === f.enabled[0]);
        assert.deepEqual(mine.map((e) => [e.outcome, e.attempt]), [['failed', 1], ['dead', 2]]);
        // While dead, the tick leaves it out.
        assert.equal(await runner.runNow('flaky'), 2);
        broken = false;
        assert.equal(await runner.revive(f.enabled[0]!, 'flaky'), true);
        assert.equal(await runner.runNow('flaky'), 3);
        await until('revived run', async () => ((await runner.status({ connectionId: f.enabled[0]!, job: 'flaky' }))[0]?.status === 'ok' ? true : undefined));
      } finally {
        await runner.stop();
        await f.store.close();
      }
    });

    it('bounds concurrency, and stop() aborts runs in progress', async () => {
      const f = await fixture(await engine.database());
      let inFlight = 0;
      let most = 0;
      let aborted = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const runner = runnerFor(
        f,
        f.store,
        {
          slow: {
            every: '1h',
            run: async ({ signal }) => {
              inFlight += 1;
              most = Math.max(most, inFlight);
              await Promise.race([gate, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
              if (signal.aborted) aborted += 1;
              inFlight -= 1;
            },
          },
        },
        { concurrency: 2 },
      );
      try {
        await runner.start();
        await runner.runNow('slow');
        await until('two running', async () => (inFlight === 2 ? true : undefined));
        await new Promise((resolve) => setTimeout(resolve, 1200)); // a poll cycle: a third would have started by now
        assert.equal(most, 2);
      } finally {
        await runner.stop();
        release();
        await f.store.close();
      }
      assert.equal(aborted, 2);
    });
  });
}
