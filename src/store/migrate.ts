/**
 * Migrations in code, behind a static provider (STACK pitfall 4: a file-scanning provider breaks under bundlers
 * and test runners that do not transform `import()` from node_modules).
 * @module
 */
import { type Kysely, type MigrationProvider, type MigrationResultSet, Migrator, PostgresAdapter, sql } from 'kysely';
import { StoreUnavailableError } from '../errors.js';
import * as m001 from './migrations/001_init.js';
import * as m002 from './migrations/002_claims.js';
import * as m020 from './migrations/020_connect_drafts.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from './schema.js';

/** Every migration of the store, by name, in order. */
export const storeMigrations: MigrationProvider = {
  getMigrations: async () => ({ '001_init': m001, '002_claims': m002, '020_connect_drafts': m020 }),
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

/**
 * Brings the store's tables to the latest version; idempotent, safe to run from several processes at once
 * (Kysely takes a lock; a collision while creating its own tables is retried). Returns the per-migration results; throws the first failure.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  // Kysely creates its bookkeeping tables before taking its lock, and its SQLite lock is per connection, so two
  // processes starting at once on a fresh database can collide. The loser's retry finds the work done.
  let result: MigrationResultSet = { results: [] };
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    result = await (await migrator(db)).migrateToLatest();
    if (result.error === undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
  const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
  throw new StoreUnavailableError(`Store migration "${failed}" failed`, { cause: result.error });
}
