/**
 * The Kysely implementation of `ConnectionStore`, one code path for SQLite and PostgreSQL.
 * Secrets are sealed with `seal.ts` before they reach the database and opened after they leave it.
 * @see docs/store.md
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import { ConnectionNotFoundError, KitError, StoreConflictError, StoreUnavailableError } from '../errors.js';
import type { Keyring } from './keyring.js';
import { claimOnce } from './kysely-claims.js';
import { saveDraft, takeDraft } from './kysely-drafts.js';
import { HotQueries } from './kysely-hot-queries.js';
import { type ConnectionsTable, type StoreDatabase } from './schema.js';
import { createSealer, safeEqual, type Sealer } from './seal.js';
import type {
  Connection,
  ConnectionEvent,
  ConnectionEventType,
  ConnectionPatch,
  ConnectionState,
  ConnectionStore,
  ConnectInput,
  ConnectDraft,
  NewConnectDraft,
  NewEvent,
  StagedRegistration,
} from './types.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface KyselyConnectionStoreOptions {
  /** A Kysely instance over the store's tables (migrated; see `migrateToLatest`). */
  readonly db: Kysely<StoreDatabase>;
  readonly dialect: StoreDialect;
  readonly keyring: Keyring;
  /** Clock for timestamps; default `() => new Date()`. */
  readonly now?: () => Date;
  /** Opened secrets kept in memory for hot rows (see `SealerOptions.openCacheSize`); default 0 = off (opt-in). */
  readonly openCacheSize?: number;
  /**
   * Optional synchronous executor on the same database, used for the hot single-statement queries when it accepts
   * them (returns rows) and skipped when it returns `undefined`. `openConnectionStore` passes one for SQLite.
   */
  readonly directQuery?: (sql: string, parameters: readonly unknown[], single?: boolean) => unknown[] | undefined;
  /** When true (default), `close()` destroys `db`. */
  readonly ownsDb?: boolean;
}

type Db = Kysely<StoreDatabase> | Transaction<StoreDatabase>;
type Row = ConnectionsTable;
/** Secrets already known in plaintext when a row is turned into a `Connection` (so they need not be opened). */
type Known = { readonly clientId?: string; readonly apiKey?: string; readonly stagedApiKey?: string };

/** The stage columns of a row without a stage. */
const NO_STAGE = Object.freeze({
  stage_id: null,
  staged_at: null,
  staged_api_key_sealed: null,
  staged_settings: null,
  staged_api_version: null,
  staged_scopes: null,
});

const T = 'rcmk_connections' as const;
const E = 'rcmk_connection_events' as const;

/** Keys whose values are dropped from event details, whatever the caller passes: events are never secret. */
const SECRET_KEY = /api[-_]?key|client[-_]?id|secret|token|password|authorization/i;

/** `value` with every entry named like a secret replaced by `[redacted]` (also used where settings are printed). */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(item, depth + 1);
  return out;
}

const pgConnectionCode = /^(08|57P0|53)/;
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN']);

/** Maps driver errors onto the catalog: unique violations are conflicts, lost connections are unavailability. */
export function classifyStoreError(error: unknown): unknown {
  if (error instanceof KitError || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StoreConflictError('A connection with this account URL and module code (or this clientId) already exists', { cause: error });
  }
  if (
    (typeof code === 'string' && (pgConnectionCode.test(code) || unavailableCodes.has(code) || /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY)/.test(code))) ||
    /Connection terminated|connection timeout|Cannot use a pool after calling end/i.test(error.message)
  ) {
    return new StoreUnavailableError('The connection store did not answer', { cause: error });
  }
  return error;
}

function iso(date: Date): string {
  return date.toISOString();
}

/**
 * `ConnectionStore` over Kysely. Prefer `openConnectionStore()`, which picks the dialect, migrates and builds this.
 * Also exposes `db`, `dialect` and `sealer` for `rotateKeys` and maintenance commands.
 */
export class KyselyConnectionStore implements ConnectionStore {
  readonly db: Kysely<StoreDatabase>;
  readonly dialect: StoreDialect;
  readonly sealer: Sealer;
  readonly #now: () => Date;
  readonly #ownsDb: boolean;
  readonly #postgres: boolean;
  /** Precompiled lookups and updates, run directly on SQLite outside transactions (see kysely-hot-queries.ts). */
  readonly #hot: HotQueries;

  constructor(options: KyselyConnectionStoreOptions) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.sealer = createSealer(options.keyring, options.openCacheSize === undefined ? {} : { openCacheSize: options.openCacheSize });
    this.#now = options.now ?? (() => new Date());
    this.#ownsDb = options.ownsDb ?? true;
    this.#postgres = options.dialect === 'postgres';
    this.#hot = new HotQueries(this.db, options.directQuery);
  }

  async findByClientId(clientId: string): Promise<Connection | undefined> {
    if (clientId === '') return undefined;
    const hashes = this.sealer.lookupHashes(clientId);
    const rows = await this.#run(
      () =>
        (hashes.length === 1 ? this.#hot.selectByHash(hashes[0] as string) : undefined) ??
        this.db.selectFrom(T).selectAll().where('client_id_hash', 'in', hashes).execute(),
    );
    // The hash is a keyed HMAC-SHA256 with a unique index: a match is this clientId, so it need not be opened.
    const row = rows[0];
    return row && this.#toConnection(row, { clientId });
  }

  async findById(id: string): Promise<Connection | undefined> {
    const row = await this.#run(() => this.#hot.selectById(id) ?? this.db.selectFrom(T).selectAll().where('id', '=', id).executeTakeFirst());
    return row && this.#toConnection(row);
  }

  async findByAccount(accountUrl: string, moduleCode: string): Promise<Connection | undefined> {
    const row = await this.#run(() =>
      this.db.selectFrom(T).selectAll().where('account_url', '=', accountUrl).where('module_code', '=', moduleCode).executeTakeFirst(),
    );
    return row && this.#toConnection(row);
  }

  async saveConnect(input: ConnectInput): Promise<{ connection: Connection; created: boolean }> {
    return this.#transaction(async (trx) => {
      const now = iso(this.#now());
      let existing = await this.#selectByAccount(trx, input.accountUrl, input.moduleCode);
      if (!existing) {
        const id = randomUUID();
        const row = this.#newRow(id, input, now);
        // ON CONFLICT DO NOTHING: a concurrent connect of the same account that committed first wins the insert
        // (PostgreSQL waits for it), and this call falls through to the update below.
        const inserted = await this.#insertUnlessConnected(trx, row);
        if (inserted) {
          await this.#insertEvents(trx, id, now, [
            { type: 'connected', details: { moduleCode: input.moduleCode, accountUrl: input.accountUrl, apiVersion: input.apiVersion, scopes: input.scopes } },
          ]);
          return { connection: this.#toConnection(inserted, { clientId: input.newClientId, apiKey: input.apiKey }), created: true };
        }
        existing = await this.#selectByAccount(trx, input.accountUrl, input.moduleCode);
        if (!existing) throw new StoreConflictError('The connection was removed while connecting; try again');
      }
      const clientId = this.sealer.open(existing.client_id_sealed, existing.id, 'clientId');
      const keyChanged = !safeEqual(this.sealer.open(existing.api_key_sealed, existing.id, 'apiKey'), input.apiKey);
      const updated = await trx
        .updateTable(T)
        .set({
          ...this.#resealRow(existing, { apiKey: input.apiKey }),
          settings: this.#sealSettings(existing.id, input.settings),
          api_version: input.apiVersion,
          scopes: JSON.stringify(input.scopes),
          updated_at: now,
          version: existing.version + 1,
        })
        .where('id', '=', existing.id)
        .where('version', '=', existing.version)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new StoreConflictError('The connection changed while reconnecting; try again');
      await this.#insertEvents(trx, existing.id, now, [
        { type: 'reconnected', details: { keyChanged, apiVersion: input.apiVersion, scopes: input.scopes } },
      ]);
      return { connection: this.#toConnection(updated, { clientId, apiKey: input.apiKey }), created: false };
    });
  }

  async stageConnect(input: ConnectInput, stageId: string): Promise<{ connection: Connection; created: boolean }> {
    return this.#transaction(async (trx) => {
      const now = iso(this.#now());
      // Staged settings are sealed like the live ones (a module's secret settings are among them).
      const stagedFor = (id: string) => ({
        stage_id: stageId,
        staged_at: now,
        staged_settings: this.#sealSettings(id, input.settings, 'stagedSettings'),
        staged_api_version: input.apiVersion,
        staged_scopes: JSON.stringify(input.scopes),
      });
      let existing = await this.#selectByAccount(trx, input.accountUrl, input.moduleCode);
      if (!existing) {
        const id = randomUUID();
        const row: Row = {
          ...this.#newRow(id, input, now),
          staged_api_key_sealed: this.sealer.seal(input.apiKey, id, 'stagedApiKey'),
          ...stagedFor(id),
        };
        const inserted = await this.#insertUnlessConnected(trx, row);
        if (inserted) {
          return { connection: this.#toConnection(inserted, { clientId: input.newClientId, apiKey: input.apiKey, stagedApiKey: input.apiKey }), created: true };
        }
        existing = await this.#selectByAccount(trx, input.accountUrl, input.moduleCode);
        if (!existing) throw new StoreConflictError('The connection was removed while connecting; try again');
      }
      const updated = await trx
        .updateTable(T)
        .set({ ...this.#resealRow(existing, { stagedApiKey: input.apiKey }), ...stagedFor(existing.id), updated_at: now, version: existing.version + 1 })
        .where('id', '=', existing.id)
        .where('version', '=', existing.version)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new StoreConflictError('The connection changed while reconnecting; try again');
      return { connection: this.#toConnection(updated, { stagedApiKey: input.apiKey }), created: false };
    });
  }

  async listStaged(before: Date, limit = 100): Promise<Connection[]> {
    const rows = await this.#run(() =>
      this.db
        .selectFrom(T)
        .selectAll()
        .where('staged_at', 'is not', null)
        .where('staged_at', '<', iso(before))
        .orderBy('staged_at')
        .orderBy('id')
        .limit(Math.max(0, Math.floor(limit)))
        .execute(),
    );
    return rows.map((row) => this.#toConnection(row));
  }

  async update(id: string, expectedVersion: number, patch: ConnectionPatch, events: readonly NewEvent[] = []): Promise<Connection> {
    const now = iso(this.#now());
    const set: Partial<Row> = { updated_at: now, version: expectedVersion + 1 };
    if (patch.accountUrl !== undefined) set.account_url = patch.accountUrl;
    if (patch.settings !== undefined) set.settings = this.#sealSettings(id, patch.settings);
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.active !== undefined) set.active = patch.active ? 1 : 0;
    if (patch.freeze !== undefined) set.freeze = patch.freeze ? 1 : 0;
    if (patch.apiVersion !== undefined) set.api_version = patch.apiVersion;
    if (patch.scopes !== undefined) set.scopes = JSON.stringify(patch.scopes);
    if (patch.crmSettings !== undefined) set.crm_settings = JSON.stringify(patch.crmSettings);
    if (patch.connectedAt !== undefined) set.connected_at = iso(patch.connectedAt);
    if (patch.sessionsEndedAt !== undefined) set.sessions_ended_at = iso(patch.sessionsEndedAt);
    if (patch.stage === null) Object.assign(set, NO_STAGE);
    else if (patch.stage !== undefined) {
      Object.assign(set, {
        stage_id: patch.stage.id,
        staged_at: now,
        staged_settings: this.#sealSettings(id, patch.stage.settings, 'stagedSettings'),
        staged_api_version: patch.stage.apiVersion,
        staged_scopes: JSON.stringify(patch.stage.scopes),
        staged_api_key_sealed: null,
      });
    }
    const stagedKey = patch.stage === null ? null : patch.stage?.apiKey;
    const sealing = patch.apiKey !== undefined || typeof stagedKey === 'string';

    const apply = async (db: Db): Promise<{ row: Row; known?: Known }> => {
      let known: Known | undefined;
      if (sealing) {
        // A new key is sealed with the current key, and the row's other secrets are re-sealed with it too, so a
        // row is always sealed by one key (`key_id`).
        const row = await db.selectFrom(T).selectAll().where('id', '=', id).$if(this.#postgres, (q) => q.forUpdate()).executeTakeFirst();
        if (!row) throw new ConnectionNotFoundError(`No connection with id ${id}`);
        if (row.version !== expectedVersion) throw this.#conflict(id, expectedVersion, row.version);
        const sealed = this.#resealRow(row, {
          ...(patch.apiKey !== undefined ? { apiKey: patch.apiKey } : {}),
          ...(patch.stage !== undefined ? { stagedApiKey: stagedKey ?? null } : {}),
        });
        known = {
          ...(patch.apiKey !== undefined ? { apiKey: patch.apiKey } : {}),
          ...(typeof stagedKey === 'string' ? { stagedApiKey: stagedKey } : {}),
        };
        Object.assign(set, sealed);
      }
      const updated = await db.updateTable(T).set(set).where('id', '=', id).where('version', '=', expectedVersion).returningAll().executeTakeFirst();
      if (!updated) {
        const current = await db.selectFrom(T).select('version').where('id', '=', id).executeTakeFirst();
        if (!current) throw new ConnectionNotFoundError(`No connection with id ${id}`);
        throw this.#conflict(id, expectedVersion, current.version);
      }
      if (events.length > 0) await this.#insertEvents(db, id, now, events);
      return known ? { row: updated, known } : { row: updated };
    };
    if (!sealing && events.length === 0) {
      // Fast path: one precompiled statement, no transaction, when nothing else must commit with it.
      let updating = true;
      const row = await this.#run(() => {
        const done = this.#hot.updateAtVersion(set, id, expectedVersion);
        updating = done !== undefined;
        return done;
      });
      if (updating) {
        if (row) return this.#toConnection(row);
        const current = await this.#run(() => this.db.selectFrom(T).select('version').where('id', '=', id).executeTakeFirst());
        if (!current) throw new ConnectionNotFoundError(`No connection with id ${id}`);
        throw this.#conflict(id, expectedVersion, current.version);
      }
    }
    const result = !sealing && events.length === 0 ? await this.#run(() => apply(this.db)) : await this.#transaction(apply);
    return this.#toConnection(result.row, result.known);
  }

  async appendEvent(connectionId: string, event: NewEvent): Promise<void> {
    await this.#transaction(async (trx) => {
      const exists = await trx.selectFrom(T).select('id').where('id', '=', connectionId).executeTakeFirst();
      if (!exists) throw new ConnectionNotFoundError(`No connection with id ${connectionId}`);
      await this.#insertEvents(trx, connectionId, iso(this.#now()), [event]);
    });
  }

  async listEvents(connectionId: string, limit = 50): Promise<ConnectionEvent[]> {
    const rows = await this.#run(() =>
      this.db.selectFrom(E).selectAll().where('connection_id', '=', connectionId).orderBy('id', 'desc').limit(Math.max(0, Math.floor(limit))).execute(),
    );
    return rows.map((row) =>
      Object.freeze({
        id: Number(row.id),
        connectionId: row.connection_id,
        type: row.type as ConnectionEventType,
        at: new Date(row.at),
        details: Object.freeze(JSON.parse(row.details) as Record<string, unknown>),
      }),
    );
  }

  async list(options: { limit?: number; offset?: number } = {}): Promise<Connection[]> {
    const rows = await this.#run(() => {
      let query = this.db.selectFrom(T).selectAll().orderBy('created_at').orderBy('id');
      if (options.limit !== undefined) query = query.limit(Math.max(0, Math.floor(options.limit)));
      if (options.offset !== undefined) {
        // SQLite accepts OFFSET only after LIMIT; -1 means "no limit" there.
        if (options.limit === undefined && !this.#postgres) query = query.limit(-1);
        query = query.offset(Math.max(0, Math.floor(options.offset)));
      }
      return query.execute();
    });
    return rows.map((row) => this.#toConnection(row));
  }

  async claimOnce(claim: string, expiresAt?: Date): Promise<boolean> {
    return this.#run(() => claimOnce(this.db, claim, this.#now(), expiresAt));
  }

  async saveDraft(draft: NewConnectDraft): Promise<string> {
    return this.#run(() => saveDraft(this.db, this.sealer, draft, this.#now()));
  }

  async takeDraft(id: string, bindingHash: string): Promise<ConnectDraft | undefined> {
    return this.#run(() => takeDraft(this.db, this.sealer, id, bindingHash, this.#now()));
  }

  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (error) {
      throw new StoreUnavailableError('The connection store did not answer', { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.#ownsDb) await this.db.destroy();
  }

  #sealSecrets(id: string, clientId: string, apiKey: string): Pick<Row, 'client_id_hash' | 'client_id_sealed' | 'api_key_sealed' | 'key_id'> {
    return {
      client_id_hash: this.sealer.lookupHash(clientId),
      client_id_sealed: this.sealer.seal(clientId, id, 'clientId'),
      api_key_sealed: this.sealer.seal(apiKey, id, 'apiKey'),
      key_id: this.sealer.sealingKeyId,
    };
  }

  /**
   * Inserts a new connection's row unless the account already has one for this module (ON CONFLICT DO NOTHING: a
   * concurrent connect that committed first wins, PostgreSQL waits for it); the inserted row, or `undefined`.
   */
  #insertUnlessConnected(db: Db, row: Row): Promise<Row | undefined> {
    return db.insertInto(T).values(row).onConflict((oc) => oc.columns(['account_url', 'module_code']).doNothing()).returningAll().executeTakeFirst();
  }

  /** A new connection's row, pending, with every secret sealed under its own id. */
  #newRow(id: string, input: ConnectInput, now: string): Row {
    return {
      id,
      module_code: input.moduleCode,
      account_url: input.accountUrl,
      ...this.#sealSecrets(id, input.newClientId, input.apiKey),
      settings: this.#sealSettings(id, input.settings),
      state: 'pending',
      active: 0,
      freeze: 0,
      api_version: input.apiVersion,
      scopes: JSON.stringify(input.scopes),
      created_at: now,
      updated_at: now,
      version: 1,
      crm_settings: '{}',
      ...NO_STAGE,
      connected_at: null,
      sessions_ended_at: null,
    };
  }

  /**
   * Every sealed column of an existing row, sealed again with the current key: the clientId and the live key as
   * stored unless `apiKey` replaces it, the staged key as stored unless `stagedApiKey` replaces it (`null` drops
   * it). Keeps the rule that one key (`key_id`) seals all of a row.
   */
  #resealRow(row: Row, change: { readonly apiKey?: string; readonly stagedApiKey?: string | null }): Pick<Row, 'client_id_hash' | 'client_id_sealed' | 'api_key_sealed' | 'key_id' | 'staged_api_key_sealed'> {
    const clientId = this.sealer.open(row.client_id_sealed, row.id, 'clientId');
    const apiKey = change.apiKey ?? this.sealer.open(row.api_key_sealed, row.id, 'apiKey');
    const staged =
      change.stagedApiKey !== undefined
        ? change.stagedApiKey
        : row.staged_api_key_sealed === null
          ? null
          : this.sealer.open(row.staged_api_key_sealed, row.id, 'stagedApiKey');
    return {
      ...this.#sealSecrets(row.id, clientId, apiKey),
      staged_api_key_sealed: staged === null ? null : this.sealer.seal(staged, row.id, 'stagedApiKey'),
    };
  }

  /**
   * Settings are sealed too: a module's own secrets (a carrier's token) live there, and the store cannot tell
   * which values are secret. Rows written before this still hold plain JSON and are read as such.
   */
  #sealSettings(id: string, settings: Readonly<Record<string, unknown>>, field: 'settings' | 'stagedSettings' = 'settings'): string {
    return this.sealer.seal(JSON.stringify(settings), id, field);
  }

  #selectByAccount(db: Db, accountUrl: string, moduleCode: string): Promise<Row | undefined> {
    return db
      .selectFrom(T)
      .selectAll()
      .where('account_url', '=', accountUrl)
      .where('module_code', '=', moduleCode)
      .$if(this.#postgres, (q) => q.forUpdate())
      .executeTakeFirst();
  }

  async #insertEvents(db: Db, connectionId: string, at: string, events: readonly NewEvent[]): Promise<void> {
    await db
      .insertInto(E)
      .values(events.map((event) => ({ connection_id: connectionId, type: event.type, at, details: JSON.stringify(redact(event.details ?? {})) })))
      .execute();
  }

  #conflict(id: string, expected: number, actual: number): StoreConflictError {
    return new StoreConflictError(`Connection ${id} is at version ${actual}, not ${expected}; reload it and retry`, {
      params: { expected, actual },
    });
  }

  /**
   * The secrets are opened on first read, not here: the hot path (an activity callback: find by clientId, update
   * the state) never reads the API key and already knows the clientId, so it decrypts nothing.
   */
  #toConnection(row: Row, known: Known = {}): Connection {
    const sealer = this.sealer;
    let clientId = known.clientId;
    let apiKey = known.apiKey;
    let settings: Readonly<Record<string, unknown>> | undefined;
    // Everything a callback's lookup may not read is made on first read (the activity callback reads the flags only).
    let scopes: readonly string[] | undefined;
    let crmSettings: Readonly<Record<string, unknown>> | undefined;
    let createdAt: Date | undefined;
    let updatedAt: Date | undefined;
    const connection: Connection = {
      id: row.id,
      moduleCode: row.module_code,
      accountUrl: row.account_url,
      get clientId(): string {
        return (clientId ??= sealer.open(row.client_id_sealed, row.id, 'clientId'));
      },
      get apiKey(): string {
        return (apiKey ??= sealer.open(row.api_key_sealed, row.id, 'apiKey'));
      },
      get settings(): Readonly<Record<string, unknown>> {
        return (settings ??= Object.freeze(openSettings(sealer, row.id, row.settings)));
      },
      state: row.state as ConnectionState,
      active: Number(row.active) === 1,
      freeze: Number(row.freeze) === 1,
      apiVersion: row.api_version,
      get scopes(): readonly string[] {
        return (scopes ??= Object.freeze(JSON.parse(row.scopes) as string[]));
      },
      get createdAt(): Date {
        return (createdAt ??= new Date(row.created_at));
      },
      get updatedAt(): Date {
        return (updatedAt ??= new Date(row.updated_at));
      },
      version: Number(row.version),
      get crmSettings(): Readonly<Record<string, unknown>> {
        return (crmSettings ??= Object.freeze(JSON.parse(row.crm_settings ?? '{}') as Record<string, unknown>));
      },
      connectedAt: row.connected_at === null || row.connected_at === undefined ? null : new Date(row.connected_at),
      staged: row.stage_id === null || row.stage_id === undefined ? null : this.#toStaged(row, known, () => connection.apiKey),
      sessionsEndedAt: row.sessions_ended_at === null || row.sessions_ended_at === undefined ? null : new Date(row.sessions_ended_at),
    };
    return Object.freeze(connection);
  }

  #toStaged(row: Row, known: Known, liveKey: () => string): StagedRegistration {
    const sealer = this.sealer;
    const sealed = row.staged_api_key_sealed;
    let apiKey = known.stagedApiKey;
    let settings: Readonly<Record<string, unknown>> | undefined;
    // Opened on first read, like the live secrets: finding a connection decrypts nothing.
    return Object.freeze({
      id: row.stage_id as string,
      at: new Date(row.staged_at ?? row.updated_at),
      get apiKey(): string {
        return (apiKey ??= sealed === null ? liveKey() : sealer.open(sealed, row.id, 'stagedApiKey'));
      },
      get settings(): Readonly<Record<string, unknown>> {
        return (settings ??= Object.freeze(
          row.staged_settings === null
            ? openSettings(sealer, row.id, row.settings)
            : openSettings(sealer, row.id, row.staged_settings, 'stagedSettings'),
        ));
      },
      apiVersion: row.staged_settings === null ? row.api_version : row.staged_api_version,
      scopes: Object.freeze(JSON.parse(row.staged_scopes ?? row.scopes) as string[]),
    });
  }

  /** Runs store work, classifying its failure; a result at hand (SQLite's direct path) is passed on as it is. */
  #run<R>(work: () => R | Promise<R>): R | Promise<R> {
    try {
      const result = work();
      return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(classifyStoreError(error))) : result;
    } catch (error) {
      throw classifyStoreError(error);
    }
  }

  #transaction<R>(work: (trx: Transaction<StoreDatabase>) => Promise<R>): Promise<R> {
    return this.#run(() => this.db.transaction().execute(work)) as Promise<R>;
  }
}

/** The settings of a row: sealed (`v1.…`), or plain JSON as rows written before settings were sealed hold them. */
export function openSettings(
  sealer: Sealer,
  rowId: string,
  stored: string,
  field: 'settings' | 'stagedSettings' = 'settings',
): Record<string, unknown> {
  const text = sealer.keyIdOf(stored) === undefined ? stored : sealer.open(stored, rowId, field);
  return JSON.parse(text) as Record<string, unknown>;
}
