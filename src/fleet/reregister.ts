/**
 * `fleet reregister`: after the registration payload changed (a new action, a new scope, another baseUrl),
 * send every registered connection its new payload — a canary first, then batches, with bounded concurrency,
 * accounts interleaved so the per-account rate limit never idles the fleet. Each connection's hash is stored as
 * after each batch, so an interrupted run resumes with what is left, and nothing is sent twice except the last
 * batch's when the process died (an idempotent upsert, PROTOCOL §7).
 * @module
 */
import type { ConnectKit } from '../connect/kit.js';
import { registrationPayload } from '../connect/registration.js';
import type { AccountUrl } from '../crm/types.js';
import type { Locale } from '../i18n/index.js';
import { describeFailure } from '../jobs/runner.js';
import type { Connection } from '../store/types.js';
import type { Kysely } from 'kysely';
import { FleetStore, payloadHasher } from './fleet-store.js';

/** States whose connection holds a registration in its CRM (pending ones never completed it; disconnected ended it). */
const REGISTERED: ReadonlySet<string> = new Set(['active', 'inactive', 'frozen']);

export interface FleetProgress {
  readonly phase: 'canary' | 'batches';
  readonly done: number;
  readonly failed: number;
  readonly total: number;
}

export interface ReregisterOptions {
  readonly kit: Pick<ConnectKit, 'module' | 'store' | 'openCrm' | 'logger'>;
  readonly db: Kysely<any>;
  /** Connections re-registered alone first; the run stops if any fails. Default 1. */
  readonly canary?: number;
  /** Progress is saved and the failure rate checked after each batch. Default 100. */
  readonly batchSize?: number;
  /** Registrations in flight at once. Default 32. */
  readonly concurrency?: number;
  /** A batch with a larger share of failures halts the run. Default 0.5. */
  readonly haltAbove?: number;
  /** Language of the module name sent (the CRM shows it in the integration list). Default `en`. */
  readonly locale?: Locale;
  /** Re-register connections already registered with the current payload too. */
  readonly force?: boolean;
  /** A run whose process sent no heartbeat for this long counts as interrupted. Default 60 s. */
  readonly staleMs?: number;
  readonly onProgress?: (progress: FleetProgress) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

export interface ReregisterFailure {
  readonly connectionId: string;
  readonly accountUrl: string;
  readonly error: string;
}

export interface ReregisterReport {
  readonly runId: string;
  /** True when this run continued an interrupted one. */
  readonly resumed: boolean;
  /** Connections this run had to re-register. */
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** Already registered with the current payload. */
  readonly upToDate: number;
  readonly status: 'done' | 'halted' | 'interrupted';
  readonly reason?: string;
  readonly failures: readonly ReregisterFailure[];
}

/** Why a run refuses to start: another process is running one (its heartbeat is fresh). */
export class FleetRunBusyError extends Error {
  constructor(readonly runId: string) {
    super(`another fleet re-registration (${runId}) is running; wait for it or let it finish`);
    this.name = 'FleetRunBusyError';
  }
}

/** Which connections need the current payload: registered ones whose stored hash differs (or is unknown). */
export async function planReregistration(
  kit: Pick<ConnectKit, 'module' | 'store'>,
  fleet: FleetStore,
  force = false,
): Promise<{ pending: Connection[]; upToDate: number }> {
  const known = await fleet.all();
  const hashOf = payloadHasher(kit.module);
  const pending: Connection[] = [];
  let upToDate = 0;
  for (const connection of await kit.store.list()) {
    if (connection.moduleCode !== kit.module.code || !REGISTERED.has(connection.state)) continue;
    if (!force && known.get(connection.id)?.payload_hash === hashOf(connection)) upToDate += 1;
    else pending.push(connection);
  }
  return { pending: interleaveByAccount(pending), upToDate };
}

/** Round-robin over accounts, so consecutive registrations go to different accounts' budgets. */
export function interleaveByAccount<T extends { accountUrl: string }>(items: readonly T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.accountUrl) ?? [];
    group.push(item);
    groups.set(item.accountUrl, group);
  }
  const lists = [...groups.values()];
  const out: T[] = [];
  for (let i = 0; out.length < items.length; i += 1) for (const list of lists) if (i < list.length) out.push(list[i]!);
  return out;
}

export async function reregisterFleet(options: ReregisterOptions): Promise<ReregisterReport> {
  const { kit } = options;
  const fleet = new FleetStore(options.db, options.now);
  const staleMs = options.staleMs ?? 60_000;
  const concurrency = Math.max(1, options.concurrency ?? 32);
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const canarySize = Math.max(0, options.canary ?? 1);
  const haltAbove = options.haltAbove ?? 0.5;
  const locale = options.locale ?? 'en';

  const live = await fleet.liveRun('reregister', staleMs);
  if (live) throw new FleetRunBusyError(live.id);
  const resume = await fleet.resumableRun('reregister', staleMs);
  const { pending, upToDate } = await planReregistration(kit, fleet, options.force);
  const run = await fleet.startRun('reregister', pending.length, resume);
  let done = resume?.done ?? 0;
  let failed = resume?.failed ?? 0;
  const total = done + failed + pending.length;
  const failures: ReregisterFailure[] = [];
  const heartbeat = setInterval(() => void fleet.progress(run.id, done, failed).catch(() => undefined), Math.max(1000, staleMs / 4));
  heartbeat.unref();

  // Hashes of accepted registrations, written once per batch (one statement instead of one per connection). A
  // crash loses at most one batch's records: those connections are sent again on resume, an idempotent upsert.
  let accepted: { connectionId: string; hash: string }[] = [];
  const flush = async () => {
    const entries = accepted;
    accepted = [];
    await fleet.registeredMany(entries);
  };

  const hashOf = payloadHasher(kit.module);
  const registerOne = async (connection: Connection): Promise<boolean> => {
    try {
      const crm = kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey);
      await crm.editIntegrationModule(registrationPayload(kit.module, connection, { locale, active: connection.active }));
      accepted.push({ connectionId: connection.id, hash: hashOf(connection) });
      done += 1;
      return true;
    } catch (error) {
      const line = describeFailure(error, [connection.apiKey, connection.clientId]);
      failures.push({ connectionId: connection.id, accountUrl: connection.accountUrl, error: line });
      await fleet.reregisterFailed(connection.id, line).catch(() => undefined);
      failed += 1;
      return false;
    }
  };

  /** Runs `items` with at most `concurrency` in flight; resolves with how many failed. */
  const pool = async (items: readonly Connection[], phase: FleetProgress['phase']): Promise<number> => {
    let next = 0;
    let bad = 0;
    const worker = async () => {
      while (next < items.length && !options.signal?.aborted) {
        const item = items[next++]!;
        if (!(await registerOne(item))) bad += 1;
        options.onProgress?.({ phase, done, failed, total });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    return bad;
  };

  const finish = async (status: ReregisterReport['status'], reason?: string): Promise<ReregisterReport> => {
    clearInterval(heartbeat);
    await flush();
    await fleet.progress(run.id, done, failed);
    await fleet.finishRun(run.id, status);
    kit.logger.info({ runId: run.id, status, done, failed, total }, 'fleet re-registration ended');
    return { runId: run.id, resumed: resume !== undefined, total, done, failed, upToDate, status, ...(reason ? { reason } : {}), failures };
  };

  try {
    const canary = pending.slice(0, canarySize);
    for (const connection of canary) {
      if (options.signal?.aborted) return await finish('interrupted', 'stopped');
      const ok = await registerOne(connection);
      await flush();
      options.onProgress?.({ phase: 'canary', done, failed, total });
      if (!ok) return await finish('halted', 'the canary failed: the CRM refused the new payload');
    }
    for (let start = canary.length; start < pending.length; start += batchSize) {
      if (options.signal?.aborted) return await finish('interrupted', 'stopped');
      const batch = pending.slice(start, start + batchSize);
      const bad = await pool(batch, 'batches');
      await flush();
      await fleet.progress(run.id, done, failed);
      if (batch.length >= 4 && bad / batch.length > haltAbove) {
        return await finish('halted', `${bad} of ${batch.length} in the last batch failed`);
      }
    }
    return await finish(options.signal?.aborted ? 'interrupted' : 'done');
  } catch (error) {
    await finish('interrupted', (error as Error).message).catch(() => undefined);
    throw error;
  }
}
