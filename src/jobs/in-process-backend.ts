/**
 * The embedded engine (SQLite, one process): a queue table with a unique index on (job, connection, state), a
 * polling loop that runs up to `concurrency` items at once, retries with the job's backoff, and drops an item
 * after its last failure (the runner has recorded it as dead). Same contract as the pg-boss engine.
 * @module
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { retryDelayMs, type JobDefinition } from './define.js';
import type { ItemHandler, JobBackend, QueueItem } from './backend.js';
import type { JobsDatabase } from './state.js';

export interface InProcessBackendOptions {
  readonly db: Kysely<any>;
  /** Items run at once in this process. Default 4. */
  readonly concurrency?: number;
  /** How often the queue is checked when idle. Default 250 ms. */
  readonly pollMs?: number;
  readonly now?: () => Date;
  readonly random?: () => number;
}

export function createInProcessBackend(options: InProcessBackendOptions): JobBackend {
  const db = options.db as Kysely<JobsDatabase>;
  const concurrency = options.concurrency ?? 4;
  const pollMs = options.pollMs ?? 250;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const jobs = new Map<string, JobDefinition>();
  const running = new Set<Promise<void>>();
  let handler: ItemHandler | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let pumping = false;

  async function claimNext(): Promise<{ id: number; job: string; connection_id: string; slot: string; attempt: number } | undefined> {
    const at = now().toISOString();
    const names = [...jobs.keys()];
    if (names.length === 0) return undefined;
    // Not while the same connection's job is running: the unique index would refuse the second 'active' anyway.
    const candidate = await db
      .selectFrom('rcmk_job_queue as q')
      .select(['q.id', 'q.job', 'q.connection_id', 'q.slot', 'q.attempt'])
      .where('q.state', '=', 'queued')
      .where('q.run_at', '<=', at)
      .where('q.job', 'in', names)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('rcmk_job_queue as a')
              .select(sql<number>`1`.as('one'))
              .whereRef('a.job', '=', 'q.job')
              .whereRef('a.connection_id', '=', 'q.connection_id')
              .where('a.state', '=', 'active'),
          ),
        ),
      )
      .orderBy('q.run_at')
      .orderBy('q.id')
      .limit(1)
      .executeTakeFirst();
    if (!candidate) return undefined;
    try {
      const claimed = await db
        .updateTable('rcmk_job_queue')
        .set({ state: 'active', locked_at: at })
        .where('id', '=', candidate.id)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      return claimed.numUpdatedRows === 1n ? candidate : undefined;
    } catch {
      return undefined;
    }
  }

  async function settle(id: number, job: JobDefinition, attempt: number, ok: boolean): Promise<void> {
    if (ok || attempt > job.retry.limit) {
      await db.deleteFrom('rcmk_job_queue').where('id', '=', id).execute();
      return;
    }
    const runAt = new Date(now().getTime() + retryDelayMs(job.retry, attempt, random)).toISOString();
    try {
      await db.updateTable('rcmk_job_queue').set({ state: 'queued', attempt: attempt + 1, run_at: runAt, locked_at: null }).where('id', '=', id).execute();
    } catch {
      // A newer tick already queued this connection: that item runs instead of the retry.
      await db.deleteFrom('rcmk_job_queue').where('id', '=', id).execute();
    }
  }

  async function pump(): Promise<void> {
    if (pumping || stopped) return;
    pumping = true;
    try {
      while (!stopped && running.size < concurrency) {
        const item = await claimNext();
        if (!item) break;
        const job = jobs.get(item.job)!;
        const final = item.attempt > job.retry.limit;
        const work = (async () => {
          let ok = false;
          try {
            await handler!({ job: item.job, connectionId: item.connection_id, slot: item.slot, attempt: item.attempt, final });
            ok = true;
          } catch {
            ok = false;
          }
          await settle(item.id, job, item.attempt, ok).catch(() => undefined);
        })();
        running.add(work);
        void work.finally(() => {
          running.delete(work);
          void pump();
        });
      }
    } finally {
      pumping = false;
    }
  }

  return {
    kind: 'in-process',
    async start(definitions, handle) {
      for (const job of definitions) jobs.set(job.name, job);
      handler = handle;
      stopped = false;
      // Items a previous process left running (it crashed or was killed) go back to the queue.
      const longest = Math.max(0, ...definitions.map((j) => j.timeoutMs));
      const stale = new Date(now().getTime() - longest).toISOString();
      const orphans = await db.selectFrom('rcmk_job_queue').select(['id', 'job', 'connection_id']).where('state', '=', 'active').where('locked_at', '<=', stale).execute();
      for (const orphan of orphans) {
        await db.updateTable('rcmk_job_queue').set({ state: 'queued', locked_at: null }).where('id', '=', orphan.id).execute()
          .catch(() => db.deleteFrom('rcmk_job_queue').where('id', '=', orphan.id).execute());
      }
      timer = setInterval(() => void pump().catch(() => undefined), pollMs);
      timer.unref();
      void pump();
    },
    async enqueue(job, items: readonly QueueItem[]) {
      const at = now().toISOString();
      for (let i = 0; i < items.length; i += 200) {
        const chunk = items.slice(i, i + 200);
        await db
          .insertInto('rcmk_job_queue')
          .values(chunk.map((item) => ({ job, connection_id: item.connectionId, slot: item.slot, attempt: 1, state: 'queued', run_at: at })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      void pump();
    },
    async stop(timeoutMs) {
      stopped = true;
      clearInterval(timer);
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...running]), new Promise((resolve) => (wait = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(wait);
    },
  };
}
