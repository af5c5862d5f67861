/**
 * The PostgreSQL engine: pg-boss 10.4 (the last major for Node 20; STYLE §9.4 for why pg-boss over
 * graphile-worker). One `stately` queue per job, `singletonKey = connectionId`, so the database holds at most
 * one waiting and one running item per connection across every instance (P2, B7). Retries, exponential backoff
 * and a dead-letter queue are pg-boss's own, set per queue (P3); the dead-letter queue is for inspection — the
 * kit's job state says `dead` (B8). pg-boss runs its SQL through the store's Kysely pool (P7, K3).
 * @module
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import PgBoss from 'pg-boss';
import type { JobDefinition } from './define.js';
import { parseQueueItem, type ItemHandler, type JobBackend, type QueueItem } from './backend.js';

export interface PgBossBackendOptions {
  /** The store's Kysely instance on PostgreSQL; pg-boss shares its pool. */
  readonly db: Kysely<any>;
  /** The module instance code: queues are per module, so modules may share a database. */
  readonly moduleCode: string;
  /** pg-boss's schema. Default `pgboss`. */
  readonly schema?: string;
  /** Workers (runs at once) per job in this instance. Default 4. */
  readonly concurrency?: number;
  /** How often an idle worker asks for work. Default 2 s (pg-boss's minimum is 0.5 s). */
  readonly pollSeconds?: number;
  readonly onError?: (error: Error) => void;
  /** How often pg-boss fails expired items (a killed instance's) so they are retried. Default 120 s (pg-boss's). */
  readonly maintenanceIntervalSeconds?: number;
  /** An item not finished `timeout` + this many seconds after it started counts as lost. Default 30. */
  readonly expireSlackSeconds?: number;
}

/** pg-boss 10 queue names: letters, digits, `_`, `-`. */
export function queueName(moduleCode: string, job: string): string {
  return `rcmk_${moduleCode}_${job}`.replace(/[^\w-]/g, '_');
}

export function createPgBossBackend(options: PgBossBackendOptions): JobBackend {
  const concurrency = options.concurrency ?? 4;
  const pollSeconds = options.pollSeconds ?? 2;
  const boss = new PgBoss({
    db: { executeSql: (text: string, values: unknown[]) => executeSql(options.db, text, values) },
    schema: options.schema ?? 'pgboss',
    // Cron is not used (the kit claims its own ticks, B7); maintenance keeps the archive bounded.
    schedule: false,
    ...(options.maintenanceIntervalSeconds ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds } : {}),
  });
  // P6: without a listener an 'error' event would end the process.
  boss.on('error', (error) => options.onError?.(error));
  const names = new Map<string, string>();

  const setUpQueue = async (job: JobDefinition) => {
    const name = queueName(options.moduleCode, job.name);
    names.set(job.name, name);
    const dead = `${name}__dead`;
    await racing(async () => {
      if (!(await boss.getQueue(dead))) await boss.createQueue(dead, { name: dead, policy: 'standard' });
    });
    const queue = {
      name,
      policy: 'stately' as const,
      retryLimit: job.retry.limit,
      retryDelay: Math.max(1, Math.round(job.retry.delayMs / 1000)),
      retryBackoff: job.retry.backoff === 'exponential',
      deadLetter: dead,
      // A killed instance's item is taken again after this (v10 has no heartbeat): the run's own limit plus slack.
      expireInSeconds: Math.ceil(job.timeoutMs / 1000) + (options.expireSlackSeconds ?? 30),
    };
    await racing(async () => {
      if (await boss.getQueue(name)) await boss.updateQueue(name, queue);
      else await boss.createQueue(name, queue);
    });
  };

  return {
    kind: 'pg-boss',
    async start(jobs: readonly JobDefinition[], handle: ItemHandler) {
      // Instances starting together would create pg-boss's schema and queues at once, which deadlocks or fails
      // in pg-boss 10 (seen in the deployment test): one at a time, under a session advisory lock.
      await withStartLock(options.db, async () => {
        await boss.start();
        for (const job of jobs) await setUpQueue(job);
      });
      for (const job of jobs) {
        const name = names.get(job.name)!;
        for (let i = 0; i < concurrency; i += 1) {
          await boss.work<unknown>(name, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: pollSeconds }, async ([item]) => {
            if (!item) return;
            const payload = parseQueueItem(item.data);
            if (!payload) return; // not ours to run, and retrying would not make it ours
            await handle({ ...payload, attempt: item.retryCount + 1, final: item.retryCount >= item.retryLimit });
          });
        }
      }
    },
    async enqueue(job, items: readonly QueueItem[]) {
      const name = names.get(job);
      if (name === undefined) return;
      for (let i = 0; i < items.length; i += 500) {
        // The stately unique index refuses a second waiting item of a connection; insert skips it (ON CONFLICT).
        await boss.insert(items.slice(i, i + 500).map((item) => ({ name, data: { ...item }, singletonKey: item.connectionId })));
      }
    },
    async stop(timeoutMs) {
      await boss.stop({ graceful: true, wait: true, close: false, timeout: Math.max(1000, timeoutMs) });
    },
  };
}

/**
 * Instances starting together create the same queues at once; pg-boss 10's `create_queue` then deadlocks or
 * hits a unique index in the loser (seen in the deployment test). The loser retries and finds the queue made.
 */
async function racing(work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 5 || !(code === '40P01' || code === '23505' || code === '42P07')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}

/**
 * pg-boss's SQL on the store's pool. A failed multi-statement text (pg-boss wraps its DDL in BEGIN … COMMIT)
 * leaves its connection inside an aborted transaction; it is rolled back before going back to the pool, or the
 * store's next query on that connection would fail (25P02).
 */
async function executeSql(db: Kysely<any>, text: string, values: unknown[] | undefined): Promise<{ rows: any[] }> {
  return db.connection().execute(async (conn) => {
    try {
      return (await conn.executeQuery(CompiledQuery.raw(text, values ?? []))) as { rows: any[] };
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

/** 'rcmk' + 1: pg-boss's setup, one instance at a time (per schema of the store). */
const START_LOCK_CLASS = 0x72636d6c;

async function withStartLock(db: Kysely<any>, work: () => Promise<void>): Promise<void> {
  await db.connection().execute(async (locked) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${START_LOCK_CLASS}, hashtext(current_schema())) as ok`.execute(locked);
      if (rows[0]?.ok) break;
      if (Date.now() > deadline) throw new Error('another instance has been setting up the job queues for a minute');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      await work();
    } finally {
      await sql`select pg_advisory_unlock(${START_LOCK_CLASS}, hashtext(current_schema()))`.execute(locked).catch(() => undefined);
    }
  });
}
