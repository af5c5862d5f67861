/**
 * Migrations in code, behind a static provider (STACK pitfall 4: a file-scanning provider breaks under bundlers
 * and test runners that do not transform `import()` from node_modules).
 * @module
 */
import { type Kysely, type MigrationProvider, type MigrationResultSet, Migrator, PostgresAdapter, sql } from 'kysely';
import { StoreUnavailableError } from '../errors.js';
import * as m001 from './migrations/001_init.js';
import * as m002 from './migrations/002_claims.js';
import * as m003 from './migrations/003_crm_settings.js';
import * as m004 from './migrations/004_staging.js';
import * as m010 from './migrations/010_jobs.js';
import * as m011 from './migrations/011_fleet.js';
import * as m020 from './migrations/020_connect_drafts.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from './schema.js';

/** Every migration of the store, by name, in order. */
export const storeMigrations: MigrationProvider = {
  getMigrations: async () => ({
    '001_init': m001,
    '002_claims': m002,
    '003_crm_settings': m003,
    '004_staging': m004,
    '010_jobs': m010,
    '011_fleet': m011,
    '020_connect_drafts': m020,
  }),
};

async function migrator(db: Kysely<any>): Promise<Migrator> {
  // On PostgreSQL, Kysely looks for its migration table in every schema unless told which one; a copy of the store
  // in another schema of the same database would then pass for ours. Pin it to the schema the tables go to.
  const schema =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  return new Migrator({
    db,
    provider: storeMigrations,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/** `pg_advisory_lock(MIGRATION_LOCK_CLASS, hashtext(schema))`: 'rcmk' as an int, one lock per schema. */
export const MIGRATION_LOCK_CLASS = 0x72636d6b;

/**
 * Brings the store's tables to the latest version; idempotent, safe to run from several processes at once.
 * On PostgreSQL the whole run holds a session advisory lock, so instances starting together migrate one after
 * another (the others then find nothing to do) and never race on Kysely's own bookkeeping tables; waiting for it
 * ends after `lockTimeoutMs` with StoreUnavailableError. On SQLite a collision while creating Kysely's tables is
 * retried. Returns the per-migration results; throws the first failure.
 */
export async function migrateToLatest(db: Kysely<any>, options: { readonly lockTimeoutMs?: number } = {}): Promise<MigrationResultSet> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return migrateWithRetry(db);
  const deadline = Date.now() + (options.lockTimeoutMs ?? 60_000);
  // A dedicated connection holds the lock (a session lock belongs to the connection that took it) while the
  // migrator works through the pool.
  return db.connection().execute(async (locked) => {
    for (;;) {
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${MIGRATION_LOCK_CLASS}, hashtext(current_schema())) as ok`.execute(locked);
      if (rows[0]?.ok) break;
      if (Date.now() > deadline) throw new StoreUnavailableError('Another instance has been migrating the store for too long; try again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      return await migrateWithRetry(db);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_CLASS}, hashtext(current_schema()))`.execute(locked).catch(() => undefined);
    }
  });
}

async function migrateWithRetry(db: Kysely<any>): Promise<MigrationResultSet> {
  // Kysely creates its bookkeeping tables before taking its lock, and its SQLite lock is per connection, so two
  // processes starting at once on a fresh database can collide. The loser's retry finds the work done.
  // Under heavy parallel load on PostgreSQL a setup attempt has also been seen to fail once (cause not captured);
  // the work is idempotent, so a few more spaced attempts cost nothing when all is well.
  let result: MigrationResultSet = { results: [] };
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    result = await (await migrator(db)).migrateToLatest();
    if (result.error === undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
  const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
  throw new StoreUnavailableError(`Store migration "${failed}" failed`, { cause: result.error });
}
