/**
 * What the kit keeps about each connection's jobs, in the store's own database (migration 010), the same on
 * SQLite and PostgreSQL whichever queue engine runs the jobs (STYLE B8): cursor, status, last/next run, last
 * error, failures in a row. The settings page and `jobs status` both read it here.
 * @module
 */
import type { Kysely } from 'kysely';

export type JobStatus = 'idle' | 'queued' | 'running' | 'ok' | 'retrying' | 'dead';

export interface JobStateRow {
  connection_id: string;
  job: string;
  cursor: string | null;
  status: string;
  runs: import('kysely').Generated<number>;
  failures: import('kysely').Generated<number>;
  last_run_at: string | null;
  last_success_at: string | null;
  next_run_at: string | null;
  last_error: string | null;
  updated_at: string;
}

export interface JobsDatabase {
  rcmk_job_state: JobStateRow;
  rcmk_job_tick: { job: string; ticked_at: string };
  rcmk_job_queue: {
    id: import('kysely').Generated<number>;
    job: string;
    connection_id: string;
    slot: string;
    attempt: number;
    state: string;
    run_at: string;
    locked_at: string | null;
  };
}

/** One connection's view of one job. */
export interface JobState {
  readonly connectionId: string;
  readonly job: string;
  readonly status: JobStatus;
  readonly runs: number;
  /** Failures in a row (0 after a success). */
  readonly failures: number;
  readonly lastRunAt: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly nextRunAt: Date | null;
  /** A short, secret-free description: the error's code and message. */
  readonly lastError: string | null;
}

const iso = (date: Date) => date.toISOString();
const dateOf = (text: string | null) => (text === null ? null : new Date(text));

function toState(row: import('kysely').Selectable<JobStateRow>): JobState {
  return {
    connectionId: row.connection_id,
    job: row.job,
    status: row.status as JobStatus,
    runs: row.runs,
    failures: row.failures,
    lastRunAt: dateOf(row.last_run_at),
    lastSuccessAt: dateOf(row.last_success_at),
    nextRunAt: dateOf(row.next_run_at),
    lastError: row.last_error,
  };
}

export class JobStateStore {
  readonly #db: Kysely<JobsDatabase>;
  readonly #now: () => Date;

  constructor(db: Kysely<any>, now: () => Date = () => new Date()) {
    this.#db = db as Kysely<JobsDatabase>;
    this.#now = now;
  }

  /**
   * Claims the job's tick (STYLE B7): true for exactly one caller per `everyMs`, across every instance sharing
   * the database — a conditional update, after making sure the row exists.
   */
  async claimTick(job: string, everyMs: number): Promise<boolean> {
    const now = this.#now();
    await this.#db
      .insertInto('rcmk_job_tick')
      .values({ job, ticked_at: new Date(0).toISOString() })
      .onConflict((oc) => oc.column('job').doNothing())
      .execute();
    const result = await this.#db
      .updateTable('rcmk_job_tick')
      .set({ ticked_at: iso(now) })
      .where('job', '=', job)
      .where('ticked_at', '<=', iso(new Date(now.getTime() - everyMs)))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Makes the tick due at once (tests, "run now"). */
  async resetTick(job: string): Promise<void> {
    await this.#db.deleteFrom('rcmk_job_tick').where('job', '=', job).execute();
  }

  /** Connections whose job is dead: the fan-out skips them until revived. */
  async deadConnections(job: string): Promise<Set<string>> {
    const rows = await this.#db.selectFrom('rcmk_job_state').select('connection_id').where('job', '=', job).where('status', '=', 'dead').execute();
    return new Set(rows.map((r) => r.connection_id));
  }

  /** When each connection's job is next due, by connection id (only rows that have one). */
  async nextRuns(job: string): Promise<Map<string, Date>> {
    const rows = await this.#db.selectFrom('rcmk_job_state').select(['connection_id', 'next_run_at']).where('job', '=', job).where('next_run_at', 'is not', null).execute();
    return new Map(rows.map((r) => [r.connection_id, new Date(r.next_run_at!)]));
  }

  /** Marks these connections queued with their next run, creating rows as needed. */
  async markQueued(job: string, entries: readonly { readonly connectionId: string; readonly nextRunAt: Date }[]): Promise<void> {
    const now = iso(this.#now());
    for (let i = 0; i < entries.length; i += 500) {
      const chunk = entries.slice(i, i + 500);
      await this.#db
        .insertInto('rcmk_job_state')
        .values(chunk.map((e) => ({ connection_id: e.connectionId, job, status: 'queued', next_run_at: iso(e.nextRunAt), updated_at: now })))
        .onConflict((oc) =>
          oc.columns(['connection_id', 'job']).doUpdateSet((eb) => ({
            next_run_at: eb.ref('excluded.next_run_at'),
            updated_at: eb.ref('excluded.updated_at'),
            // A run in progress keeps saying so; everything else waits for its turn.
            status: eb.case().when('rcmk_job_state.status', 'in', ['running', 'retrying']).then(eb.ref('rcmk_job_state.status')).else('queued').end(),
          })),
        )
        .execute();
    }
  }

  async cursor(connectionId: string, job: string): Promise<unknown> {
    const row = await this.#db.selectFrom('rcmk_job_state').select('cursor').where('connection_id', '=', connectionId).where('job', '=', job).executeTakeFirst();
    if (row?.cursor == null) return null;
    try {
      return JSON.parse(row.cursor) as unknown;
    } catch {
      return null;
    }
  }

  async saveCursor(connectionId: string, job: string, cursor: unknown): Promise<void> {
    await this.#upsert(connectionId, job, { cursor: JSON.stringify(cursor) });
  }

  async started(connectionId: string, job: string): Promise<void> {
    await this.#upsert(connectionId, job, { status: 'running', last_run_at: iso(this.#now()) });
  }

  async succeeded(connectionId: string, job: string): Promise<void> {
    const now = iso(this.#now());
    await this.#db
      .updateTable('rcmk_job_state')
      .set((eb) => ({ status: 'ok', runs: eb('runs', '+', 1), failures: 0, last_success_at: now, last_error: null, updated_at: now }))
      .where('connection_id', '=', connectionId)
      .where('job', '=', job)
      .execute();
  }

  /** Records a failed try; `final` (no retry left) makes the connection's job `dead`. */
  async failed(connectionId: string, job: string, error: string, final: boolean): Promise<void> {
    const now = iso(this.#now());
    await this.#db
      .updateTable('rcmk_job_state')
      .set((eb) => ({ status: final ? 'dead' : 'retrying', runs: eb('runs', '+', 1), failures: eb('failures', '+', 1), last_error: error, updated_at: now }))
      .where('connection_id', '=', connectionId)
      .where('job', '=', job)
      .execute();
  }

  /** The connection is no longer enabled: its queued run was dropped. */
  async skipped(connectionId: string, job: string): Promise<void> {
    await this.#upsert(connectionId, job, { status: 'idle', next_run_at: null });
  }

  /** A dead job runs again at the next tick. */
  async revive(connectionId: string, job: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('rcmk_job_state')
      .set({ status: 'idle', failures: 0, updated_at: iso(this.#now()) })
      .where('connection_id', '=', connectionId)
      .where('job', '=', job)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async list(options: { connectionId?: string; job?: string } = {}): Promise<JobState[]> {
    let query = this.#db.selectFrom('rcmk_job_state').selectAll();
    if (options.connectionId !== undefined) query = query.where('connection_id', '=', options.connectionId);
    if (options.job !== undefined) query = query.where('job', '=', options.job);
    return (await query.orderBy('connection_id').orderBy('job').execute()).map(toState);
  }

  async #upsert(
    connectionId: string,
    job: string,
    set: { cursor?: string; status?: string; last_run_at?: string; next_run_at?: string | null },
  ): Promise<void> {
    const now = iso(this.#now());
    await this.#db
      .insertInto('rcmk_job_state')
      .values({ connection_id: connectionId, job, status: 'idle', ...set, updated_at: now })
      .onConflict((oc) => oc.columns(['connection_id', 'job']).doUpdateSet({ ...set, updated_at: now }))
      .execute();
  }
}
