/**
 * 020: connect drafts. Once the account and the key pass their checks on the connect form, the key is held here,
 * sealed, for a short while, so the person never types it again while fixing the rest of the form (issue 11).
 * A row is bound to one browser session (a keyed hash of its cookie) and used once.
 * @module
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rcmk_connect_drafts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('binding_hash', 'text', (c) => c.notNull())
    .addColumn('account_url', 'text', (c) => c.notNull())
    .addColumn('api_key_sealed', 'text', (c) => c.notNull())
    // The secret settings typed with the key (sealed JSON), so they need not be typed again either; NULL: none.
    .addColumn('secrets_sealed', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    // ISO-8601 UTC, written by the app; an expired row is refused and may be deleted.
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rcmk_connect_drafts_expires_ix').on('rcmk_connect_drafts').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rcmk_connect_drafts').execute();
}
