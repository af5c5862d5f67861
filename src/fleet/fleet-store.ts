/**
 * Fleet bookkeeping in the store's database (migration 011): per connection, the hash of the payload it was last
 * registered with and its health; per `fleet reregister` run, its progress (for resuming and reporting).
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import { registrationPayload } from '../connect/registration.js';
import type { Connection } from '../store/types.js';

export type FleetHealth = 'ok' | 'removed' | 'key_revoked' | 'degraded';

interface FleetConnectionRow {
  connection_id: string;
  payload_hash: string | null;
  registered_at: string | null;
  reregister_error: string | null;
  health: string;
  health_detail: string | null;
  auth_failures: number;
  recent_checks: string;
  checked_at: string | null;
  notified_at: string | null;
}

interface FleetRunRow {
  id: string;
  kind: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  started_at: string;
  heartbeat_at: string;
  finished_at: string | null;
}

interface FleetDatabase {
  rcmk_fleet_connection: FleetConnectionRow;
  rcmk_fleet_run: FleetRunRow;
}

export type FleetConnection = Selectable<FleetConnectionRow>;
export type FleetRun = Selectable<FleetRunRow>;

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The hash of what the connection would be registered with now, leaving out what legitimately differs without
 * a re-registration: the clientId (secret, per connection), the display name (follows the language of whoever
 * saved last) and `active` (the CRM's and the person's switch).
 */
export function payloadHash(module: AnyModuleDefinition, connection: Pick<Connection, 'clientId' | 'settings'>): string {
  const { clientId: _c, name: _n, active: _a, ...rest } = registrationPayload(module, connection, { locale: 'en' });
  return createHash('sha256').update(canonical(rest)).digest('base64url');
}

/**
 * {@link payloadHash} for many connections of one module: when the module's integrations do not depend on the
 * settings, every connection's hash is the same and is computed once (a fleet run hashes thousands).
 */
export function payloadHasher(module: AnyModuleDefinition): (connection: Pick<Connection, 'clientId' | 'settings'>) => string {
  if (typeof module.integrations === 'function') return (connection) => payloadHash(module, connection);
  let shared: string | undefined;
  return (connection) => (shared ??= payloadHash(module, connection));
}

export class FleetStore {
  readonly #db: Kysely<FleetDatabase>;
  readonly #now: () => Date;

  constructor(db: Kysely<any>, now: () => Date = () => new Date()) {
    this.#db = db as Kysely<FleetDatabase>;
    this.#now = now;
  }

  async all(): Promise<Map<string, FleetConnection>> {
    const rows = await this.#db.selectFrom('rcmk_fleet_connection').selectAll().execute();
    return new Map(rows.map((row) => [row.connection_id, row]));
  }

  async get(connectionId: string): Promise<FleetConnection | undefined> {
    return this.#db.selectFrom('rcmk_fleet_connection').selectAll().where('connection_id', '=', connectionId).executeTakeFirst();
  }

  async registered(connectionId: string, hash: string): Promise<void> {
    await this.#upsert(connectionId, { payload_hash: hash, registered_at: this.#now().toISOString(), reregister_error: null });
  }

  /** Many `registered` in one statement (a batch's successes). */
  async registeredMany(entries: readonly { readonly connectionId: string; readonly hash: string }[]): Promise<void> {
    const at = this.#now().toISOString();
    for (let i = 0; i < entries.length; i += 500) {
      const chunk = entries.slice(i, i + 500);
      await this.#db
        .insertInto('rcmk_fleet_connection')
        .values(chunk.map((e) => ({ connection_id: e.connectionId, payload_hash: e.hash, registered_at: at, reregister_error: null, health: 'ok', auth_failures: 0, recent_checks: '' })))
        .onConflict((oc) =>
          oc.column('connection_id').doUpdateSet((eb) => ({ payload_hash: eb.ref('excluded.payload_hash'), registered_at: eb.ref('excluded.registered_at'), reregister_error: null })),
        )
        .execute();
    }
  }

  async reregisterFailed(connectionId: string, error: string): Promise<void> {
    await this.#upsert(connectionId, { reregister_error: error });
  }

  async setHealth(connectionId: string, set: Partial<Omit<FleetConnectionRow, 'connection_id'>>): Promise<void> {
    await this.#upsert(connectionId, { ...set, checked_at: this.#now().toISOString() });
  }

  /** Claims the right to notify for this episode: true once, until `endEpisode`. */
  async claimNotification(connectionId: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('rcmk_fleet_connection')
      .set({ notified_at: this.#now().toISOString() })
      .where('connection_id', '=', connectionId)
      .where('notified_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** A run that was interrupted (its process died: no heartbeat for `staleMs`), or undefined. */
  async resumableRun(kind: string, staleMs: number): Promise<FleetRun | undefined> {
    const stale = new Date(this.#now().getTime() - staleMs).toISOString();
    return this.#db
      .selectFrom('rcmk_fleet_run')
      .selectAll()
      .where('kind', '=', kind)
      .where((eb) => eb.or([eb('status', '=', 'interrupted'), eb.and([eb('status', '=', 'running'), eb('heartbeat_at', '<=', stale)])]))
      .orderBy('started_at', 'desc')
      .executeTakeFirst();
  }

  /** A run still alive in another process (heartbeat within `staleMs`), or undefined. */
  async liveRun(kind: string, staleMs: number): Promise<FleetRun | undefined> {
    const fresh = new Date(this.#now().getTime() - staleMs).toISOString();
    return this.#db.selectFrom('rcmk_fleet_run').selectAll().where('kind', '=', kind).where('status', '=', 'running').where('heartbeat_at', '>', fresh).executeTakeFirst();
  }

  async startRun(kind: string, total: number, resume?: FleetRun): Promise<FleetRun> {
    const now = this.#now().toISOString();
    if (resume) {
      await this.#db.updateTable('rcmk_fleet_run').set({ status: 'running', heartbeat_at: now, total: resume.done + resume.failed + total }).where('id', '=', resume.id).execute();
      return (await this.#db.selectFrom('rcmk_fleet_run').selectAll().where('id', '=', resume.id).executeTakeFirst())!;
    }
    const row: FleetRunRow = { id: randomUUID(), kind, status: 'running', total, done: 0, failed: 0, started_at: now, heartbeat_at: now, finished_at: null };
    await this.#db.insertInto('rcmk_fleet_run').values(row).execute();
    return row;
  }

  async progress(runId: string, done: number, failed: number): Promise<void> {
    await this.#db.updateTable('rcmk_fleet_run').set({ done, failed, heartbeat_at: this.#now().toISOString() }).where('id', '=', runId).execute();
  }

  async finishRun(runId: string, status: 'done' | 'halted' | 'interrupted'): Promise<void> {
    const now = this.#now().toISOString();
    await this.#db.updateTable('rcmk_fleet_run').set({ status, heartbeat_at: now, finished_at: status === 'interrupted' ? null : now }).where('id', '=', runId).execute();
  }

  async #upsert(connectionId: string, set: Partial<Omit<FleetConnectionRow, 'connection_id'>>): Promise<void> {
    await this.#db
      .insertInto('rcmk_fleet_connection')
      .values({ connection_id: connectionId, health: 'ok', auth_failures: 0, recent_checks: '', ...set })
      .onConflict((oc) => oc.column('connection_id').doUpdateSet(set))
      .execute();
  }
}
