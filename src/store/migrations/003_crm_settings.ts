/**
 * 003: the account's system settings as the CRM last reported them (the `settings` callback,
 * PROTOCOL-INTEGRATIONS §19): JSON text, `{}` until the first report. Not secret (locale, timezone, working hours).
 * @module
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('rcmk_connections').addColumn('crm_settings', 'text', (c) => c.notNull().defaultTo('{}')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('rcmk_connections').dropColumn('crm_settings').execute();
}
