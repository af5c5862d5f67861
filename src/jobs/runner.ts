/**
 * Runs a module's declared jobs for every enabled connection (not pending, not frozen, switched on): one
 * instance claims each tick (B7), queues one item per connection on the engine, and every instance runs items
 * with bounded concurrency. The kit keeps each connection's job state itself (B8), so the settings page and
 * `jobs status` read the same thing on both engines.
 * @module
 */
import type { Kysely } from 'kysely';
import type { ConnectKit } from '../connect/kit.js';
import type { AccountUrl } from '../crm/types.js';
import { ConfigError, KitError } from '../errors.js';
import type { Connection } from '../store/types.js';
import type { ItemRun, JobBackend } from './backend.js';
import { parseDuration, type JobDefinition } from './define.js';
import { createInProcessBackend } from './in-process-backend.js';
import { createPgBossBackend } from './pg-boss-backend.js';
import { JobStateStore, type JobState } from './state.js';

/** What a metrics collector (or a test) hears about each run. */
export interface JobRunEvent {
  readonly job: string;
  readonly connectionId: string;
  readonly outcome: 'ok' | 'failed' | 'dead' | 'skipped';
  readonly attempt: number;
  readonly durationMs: number;
}

export interface JobRunnerOptions {
  readonly kit: Pick<ConnectKit, 'module' | 'store' | 'openCrm' | 'logger'>;
  readonly jobs: readonly JobDefinition[];
  /** The store's database (a `KyselyConnectionStore`'s `db` and `dialect`). */
  readonly db: Kysely<any>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Default: pg-boss on PostgreSQL, in process on SQLite. */
  readonly engine?: 'pg-boss' | 'in-process' | JobBackend;
  /** Runs at once per instance (per job on pg-boss). Default 4. */
  readonly concurrency?: number;
  /** How often each instance checks whether a tick is due. Default 5 s. */
  readonly checkEveryMs?: number;
  /** pg-boss: how often an idle worker polls, in seconds. Default 2. */
  readonly pollSeconds?: number;
  /** pg-boss: its schema. Default `pgboss`. */
  readonly pgBossSchema?: string;
  /** pg-boss: how soon a killed instance's items are taken again (see `createPgBossBackend`). */
  readonly pgBossRecovery?: { readonly maintenanceIntervalSeconds?: number; readonly expireSlackSeconds?: number };
  readonly onRun?: (event: JobRunEvent) => void;
  readonly now?: () => Date;
}

export interface JobRunner {
  readonly engine: 'pg-boss' | 'in-process';
  readonly state: JobStateStore;
  start(): Promise<void>;
  /** Checks every job's tick now; returns how many connections were queued by this instance. */
  tick(): Promise<number>;
  /** Makes `job`'s tick due and checks it (the "run now" of tests and the CLI). */
  runNow(job: string): Promise<number>;
  status(filter?: { connectionId?: string; job?: string }): Promise<JobState[]>;
  /** A dead job of a connection runs again at the next tick. */
  revive(connectionId: string, job: string): Promise<boolean>;
  /** Stops ticking, aborts runs in progress, waits for them up to `timeoutMs` (default 10 s). */
  stop(timeoutMs?: number): Promise<void>;
}

/** The connection's interval for `job`: its own (`everyFor`) when given and parseable, never below `every`. */
export function intervalOf(job: JobDefinition, connection: Connection): number {
  let own: number | undefined;
  try {
    const value = job.everyFor?.(connection);
    own = value === undefined ? undefined : parseDuration(value);
  } catch {
    own = undefined;
  }
  return Math.max(job.everyMs, own ?? job.everyMs);
}

export function isEnabled(connection: Connection): boolean {
  return connection.state === 'active' && connection.active && !connection.freeze;
}

/** A short, secret-free line for `last_error`: the code and message, with the connection's secrets cut out. */
export function describeFailure(error: unknown, secrets: readonly string[]): string {
  const code = error instanceof KitError ? error.code : error instanceof Error ? error.name : 'Error';
  let message = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) if (secret.length >= 8) message = message.split(secret).join('[redacted]');
  return `${code}: ${message}`.slice(0, 500);
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { kit, jobs } = options;
  const now = options.now ?? (() => new Date());
  const state = new JobStateStore(options.db, now);
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(['jobs: concurrency must be a positive whole number']);
  const engine = options.engine ?? (options.dialect === 'postgres' ? 'pg-boss' : 'in-process');
  const backend: JobBackend =
    typeof engine === 'object'
      ? engine
      : engine === 'pg-boss'
        ? createPgBossBackend({
            db: options.db,
            moduleCode: kit.module.code,
            concurrency,
            ...(options.pollSeconds ? { pollSeconds: options.pollSeconds } : {}),
            ...(options.pgBossSchema ? { schema: options.pgBossSchema } : {}),
            ...options.pgBossRecovery,
            onError: (error) => kit.logger.warn({ err: { message: error.message } }, 'job engine error'),
          })
        : createInProcessBackend({ db: options.db, concurrency, now });
  if (engine === 'pg-boss' && options.dialect !== 'postgres') throw new ConfigError(['jobs: the pg-boss engine needs a PostgreSQL store']);
  const shutdown = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<number> | undefined;

  async function runItem(item: ItemRun): Promise<void> {
    const job = byName.get(item.job);
    if (!job) return;
    const started = performance.now();
    const report = (outcome: JobRunEvent['outcome']) =>
      options.onRun?.({ job: item.job, connectionId: item.connectionId, outcome, attempt: item.attempt, durationMs: performance.now() - started });
    const connection = await kit.store.findById(item.connectionId);
    if (!connection || connection.moduleCode !== kit.module.code || !isEnabled(connection)) {
      await state.skipped(item.connectionId, item.job).catch(() => undefined);
      report('skipped');
      return;
    }
    await state.started(connection.id, job.name);
    const stored = await state.cursor(connection.id, job.name);
    const parsed = job.cursor ? job.cursor.safeParse(stored) : { success: true as const, data: stored };
    const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(job.timeoutMs)]);
    try {
      await job.run({
        connection,
        crm: kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey),
        cursor: (parsed.success ? parsed.data : null) as never,
        saveCursor: async (cursor: unknown) => {
          const checked = job.cursor ? job.cursor.parse(cursor) : cursor;
          await state.saveCursor(connection.id, job.name, checked);
        },
        signal,
        attempt: item.attempt,
      });
      await state.succeeded(connection.id, job.name);
      report('ok');
    } catch (error) {
      const line = describeFailure(error, [connection.apiKey, connection.clientId]);
      await state.failed(connection.id, job.name, line, item.final);
      kit.logger.warn({ connectionId: connection.id, job: job.name, attempt: item.attempt, final: item.final, error: line }, 'job run failed');
      report(item.final ? 'dead' : 'failed');
      throw error;
    }
  }

  async function tickOnce(): Promise<number> {
    let queued = 0;
    for (const job of jobs) {
      if (shutdown.signal.aborted) break;
      if (!(await state.claimTick(job.name, job.everyMs))) continue;
      const at = now();
      const dead = await state.deadConnections(job.name);
      // A connection with a longer interval of its own waits for it; the slack absorbs the tick's own jitter.
      const next = job.everyFor ? await state.nextRuns(job.name) : new Map<string, Date>();
      const slack = Math.min(job.everyMs / 2, 60_000);
      const due = (await kit.store.list())
        .filter((c) => c.moduleCode === kit.module.code && isEnabled(c) && !dead.has(c.id))
        .filter((c) => (next.get(c.id)?.getTime() ?? 0) <= at.getTime() + slack);
      const entries = due.map((c) => ({ connectionId: c.id, nextRunAt: new Date(at.getTime() + intervalOf(job, c)) }));
      const ids = entries.map((e) => e.connectionId);
      await state.markQueued(job.name, entries);
      await backend.enqueue(job.name, ids.map((connectionId) => ({ job: job.name, connectionId, slot: at.toISOString() })));
      queued += ids.length;
    }
    return queued;
  }

  const tick = (): Promise<number> => {
    // One check at a time per instance; a caller during a check gets that check's result.
    ticking ??= tickOnce().finally(() => {
      ticking = undefined;
    });
    return ticking;
  };

  return {
    engine: backend.kind,
    state,
    async start() {
      if (jobs.length === 0) return;
      await backend.start(jobs, runItem);
      const every = options.checkEveryMs ?? 5000;
      timer = setInterval(() => {
        tick().catch((error: unknown) => kit.logger.warn({ err: { message: (error as Error).message } }, 'job tick failed'));
      }, every);
      timer.unref();
    },
    tick,
    async runNow(job) {
      if (!byName.has(job)) throw new ConfigError([`jobs: no job named "${job}"`]);
      await ticking?.catch(() => undefined);
      await state.resetTick(job);
      return tick();
    },
    status: (filter) => state.list(filter),
    revive: (connectionId, job) => state.revive(connectionId, job),
    async stop(timeoutMs = 10_000) {
      clearInterval(timer);
      shutdown.abort(new Error('the module is shutting down'));
      await ticking?.catch(() => undefined);
      if (jobs.length > 0) await backend.stop(timeoutMs);
    },
  };
}
