/**
 * 002: single-use claims (`ConnectionStore.claimOnce`): keyed hashes of things that may be used once, such as a
 * simple-connection register request or a settings-page login ticket. The primary key makes a second claim of the
 * same value fail in every process that shares the database.
 * @module
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rcmk_claims')
    .addColumn('claim', 'text', (c) => c.primaryKey())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    // NULL: kept for good. Otherwise the row may be deleted after this instant (ISO-8601 UTC, written by the app).
    .addColumn('expires_at', 'text')
    .execute();
  await db.schema.createIndex('rcmk_claims_expires_ix').on('rcmk_claims').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rcmk_claims').execute();
}
