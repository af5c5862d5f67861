/**
 * Opens the connection store: picks the dialect from the database URL, loads only that driver (dynamic import, so a
 * PostgreSQL deployment never loads better-sqlite3 and vice versa), migrates, and returns a `KyselyConnectionStore`.
 * @see docs/store.md
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { ConfigError } from '../errors.js';
import { type Keyring, parseKeyring } from './keyring.js';
import { KyselyConnectionStore, classifyStoreError, type StoreDialect } from './kysely-connection-store.js';
import { migrateToLatest } from './migrate.js';
import { watchChanges } from './sqlite-changes.js';
import { createRowCache, type RowCache } from './sqlite-row-cache.js';
import type { StoreDatabase } from './schema.js';

/** Where the store lives, as resolved from a database URL. */
export type StoreTarget =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'postgres'; readonly url: string; readonly schema?: string };

export interface StoreDatabaseOptions {
  /**
   * `postgres://…` or `postgresql://…` → PostgreSQL; `sqlite:<path>`, `sqlite::memory:`, `file:<path>` or a plain
   * file path → SQLite. Default: `<dataDir>/module.sqlite`.
   */
  readonly databaseUrl?: string;
  /** Directory for the default SQLite file; default `.data`. */
  readonly dataDir?: string;
  /** PostgreSQL only: a schema to keep the tables in (created if missing; becomes the `search_path`). */
  readonly postgresSchema?: string;
  /** PostgreSQL only: pool size; default 10. */
  readonly poolMax?: number;
}

export interface OpenConnectionStoreOptions extends StoreDatabaseOptions {
  /** A parsed keyring, or keyring text (`id:base64key,…`). */
  readonly keyring: Keyring | string;
  /** Run migrations on open; default true. Turn off when `retailcrm-module-kit migrate` runs at deploy instead. */
  readonly migrate?: boolean;
  /** Clock for timestamps; default `() => new Date()`. */
  readonly now?: () => Date;
  /** Opened secrets (plaintext API keys, clientIds) kept in memory for up to this many hot rows; default 0 = off (docs/store.md). */
  readonly openCacheSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Resolves a database URL to a dialect and location; throws `ConfigError` listing every problem. */
export function resolveStoreTarget(options: StoreDatabaseOptions = {}): StoreTarget {
  const problems: string[] = [];
  const url = (options.databaseUrl ?? '').trim();
  let target: StoreTarget | undefined;
  if (url === '') target = { dialect: 'sqlite', file: join(options.dataDir ?? '.data', 'module.sqlite') };
  else if (/^postgres(ql)?:\/\//i.test(url)) {
    target = options.postgresSchema === undefined ? { dialect: 'postgres', url } : { dialect: 'postgres', url, schema: options.postgresSchema };
    if (options.postgresSchema !== undefined && !SCHEMA_NAME.test(options.postgresSchema)) {
      problems.push('postgresSchema must be a lower-case identifier (a-z, 0-9, _; up to 63 characters)');
    }
  } else if (/^sqlite:/i.test(url)) target = { dialect: 'sqlite', file: url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') };
  else if (/^file:/i.test(url)) target = { dialect: 'sqlite', file: url.slice('file:'.length) };
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) problems.push(`databaseUrl scheme "${url.split(':')[0]}" is not supported; use postgres://, sqlite: or a file path`);
  else target = { dialect: 'sqlite', file: url };
  if (target?.dialect === 'sqlite' && target.file === '') problems.push('databaseUrl "sqlite:" needs a file path (or :memory:)');
  if (options.poolMax !== undefined && (!Number.isInteger(options.poolMax) || options.poolMax < 1)) problems.push('poolMax must be a positive integer');
  if (problems.length > 0 || !target) throw new ConfigError(problems);
  return Object.freeze(target);
}

/** Prepared statements are reused by SQL text; a bound keeps a pathological caller from growing it forever. */
const STATEMENT_CACHE_LIMIT = 256;

/** The slice of better-sqlite3 Kysely uses (K3: type only what we use). */
interface SqliteDatabaseSlice {
  close(): void;
  prepare(sql: string): unknown;
}

/** The slice of a better-sqlite3 statement Kysely's driver calls. */
interface KyselyStatement {
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

/**
 * Runs a compiled statement synchronously when no transaction is open; `undefined` means "use Kysely".
 * `single`: the statement yields at most one row (a lookup or update by a unique key).
 */
export type DirectQuery = (sql: string, parameters: readonly unknown[], single?: boolean) => unknown[] | undefined;

async function sqliteDialect(file: string): Promise<{ dialect: SqliteDialect; direct: DirectQuery }> {
  const { default: Database } = await import('better-sqlite3');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  // Every write of this process to the file is counted (the row cache trusts the count instead of asking SQLite
  // before each read, sqlite-changes.ts): each statement that writes, and each end of a transaction (SQLite calls
  // `commit` read-only: it writes nothing itself, but makes another connection's writes visible).
  const changes = watchChanges(raw, file);
  const writes = (statement: import('better-sqlite3').Statement, text: string) =>
    !statement.readonly || /^\s*(commit|end|rollback|release)\b/i.test(text);
  const noted = <T>(write: () => T): T => {
    try {
      return write();
    } finally {
      changes.noteWrite();
    }
  };
  const noting = (statement: import('better-sqlite3').Statement): KyselyStatement => ({
    reader: statement.reader,
    all: (parameters) => noted(() => statement.all(parameters)),
    run: (parameters) => noted(() => statement.run(parameters)),
    iterate: (parameters) => noted(() => statement.iterate(parameters)),
  });
  const statements = new Map<string, KyselyStatement>();
  const prepare = (sqlText: string) => {
    let statement = statements.get(sqlText);
    if (statement === undefined) {
      if (statements.size >= STATEMENT_CACHE_LIMIT) statements.clear();
      const prepared = raw.prepare(sqlText);
      statement = writes(prepared, sqlText) ? noting(prepared) : prepared;
      statements.set(sqlText, statement);
    }
    return statement;
  };
  // The direct path's readers run in raw mode (rows as arrays, made into objects here): better-sqlite3 builds a
  // row object property by property, which costs a 25-column lookup half its time (docs/performance.md).
  // Statements of their own, since Kysely's share the ones above and expect objects.
  // A read-only statement of one row by one key also remembers its rows until the database changes (sqlite-row-cache.ts).
  const readers = new Map<string, { statement: import('better-sqlite3').Statement; columns: readonly string[]; cache?: RowCache }>();
  const reader = (sqlText: string) => {
    let found = readers.get(sqlText);
    if (found === undefined) {
      if (readers.size >= STATEMENT_CACHE_LIMIT) readers.clear();
      const statement = raw.prepare(sqlText);
      found = statement.reader
        ? { statement: statement.raw(true), columns: statement.columns().map((column) => column.name), ...(statement.readonly ? { cache: createRowCache(changes) } : {}) }
        : { statement, columns: [] };
      readers.set(sqlText, found);
    }
    return found;
  };
  const toRow = (columns: readonly string[], values: readonly unknown[]) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
    return row;
  };
  const direct: DirectQuery = (sqlText, parameters, single) => {
    // better-sqlite3 runs a statement to completion synchronously, so outside a transaction nothing is half-done
    // on the connection and running here is the same as queueing behind Kysely's mutex, minus its promise hops.
    // Inside a transaction (opened by a Kysely `transaction()` that is awaiting), defer to Kysely, which waits.
    if (raw.inTransaction) return undefined;
    const { statement, columns, cache } = reader(sqlText);
    if (!statement.readonly) {
      if (!statement.reader) return noted(() => (statement.run(...parameters), []));
      return noted(() => (statement.all(...parameters) as unknown[][]).map((values) => toRow(columns, values)));
    }
    if (!single) return (statement.all(...parameters) as unknown[][]).map((values) => toRow(columns, values));
    const readRow = () => {
      const values = statement.get(...parameters) as unknown[] | undefined;
      return values === undefined ? undefined : toRow(columns, values);
    };
    const key = parameters[0];
    const row = cache !== undefined && parameters.length === 1 && typeof key === 'string' ? cache.read(key, readRow) : readRow();
    return row === undefined ? [] : [row];
  };
  const database: SqliteDatabaseSlice = {
    close: () => {
      changes.close();
      raw.close();
    },
    prepare(text: string) {
      // Kysely opens transactions with a plain `begin` (deferred). A deferred transaction that reads and then writes
      // fails with SQLITE_BUSY when another process (the CLI's `keys rotate`) wrote meanwhile; `begin immediate`
      // takes the write lock up front and waits up to busy_timeout instead.
      return prepare(text === 'begin' ? 'begin immediate' : text);
    },
  };
  return { dialect: new SqliteDialect({ database: database as ConstructorParameters<typeof SqliteDialect>[0]['database'] }), direct };
}

async function postgresDialect(url: string, schema: string | undefined, poolMax: number): Promise<PostgresDialect> {
  const { default: pg } = await import('pg');
  if (schema !== undefined) {
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      await setup.query(`create schema if not exists "${schema}"`).catch((error: { code?: string }) => {
        // Two processes creating the schema at once: `if not exists` is not atomic in PostgreSQL, and the loser
        // gets a unique violation (23505) or duplicate_schema (42P06). The schema exists either way.
        if (error.code !== '23505' && error.code !== '42P06') throw error;
      });
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    ...(schema === undefined ? {} : { options: `-c search_path="${schema}"` }),
  });
  // An idle client losing its server emits 'error' on the pool; without a listener that would crash the process.
  // The next query reports it as StoreUnavailableError instead.
  pool.on('error', () => {});
  return new PostgresDialect({ pool });
}

/** Opens a Kysely instance over the store's tables for `options` (no migration, no keyring). */
export async function openStoreDatabase(
  options: StoreDatabaseOptions = {},
): Promise<{ db: Kysely<StoreDatabase>; dialect: StoreDialect; directQuery?: DirectQuery }> {
  const target = resolveStoreTarget(options);
  try {
    if (target.dialect === 'sqlite') {
      const { dialect, direct } = await sqliteDialect(target.file);
      return { db: new Kysely<StoreDatabase>({ dialect }), dialect: 'sqlite', directQuery: direct };
    }
    const dialect = await postgresDialect(target.url, target.schema, options.poolMax ?? 10);
    return { db: new Kysely<StoreDatabase>({ dialect }), dialect: target.dialect };
  } catch (error) {
    throw classifyStoreError(error);
  }
}

/**
 * Opens the connection store, migrating it first unless `migrate: false`.
 * @example
 * const store = await openConnectionStore({
 *   databaseUrl: process.env.DATABASE_URL,
 *   keyring: loadKeyring({ production: process.env.NODE_ENV === 'production' }).keyring,
 * });
 */
export async function openConnectionStore(options: OpenConnectionStoreOptions): Promise<KyselyConnectionStore> {
  const keyring = typeof options.keyring === 'string' ? parseKeyring(options.keyring) : options.keyring;
  const { db, dialect, directQuery } = await openStoreDatabase(options);
  try {
    if (options.migrate ?? true) await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw classifyStoreError(error);
  }
  return new KyselyConnectionStore({
    db,
    dialect,
    keyring,
    ...(directQuery ? { directQuery } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.openCacheSize === undefined ? {} : { openCacheSize: options.openCacheSize }),
  });
}
