/**
 * 004: what the connect flow needs to survive faults (issue 14).
 * - `connected_at`: when the connection was first completed (registered, and `onConnected({ created: true })`
 *   returned). Rows already out of `pending` are taken as completed at their creation.
 * - `stage_*`: a registration sent, or about to be sent, to the CRM whose outcome is not known yet: the key,
 *   settings, API version and scopes it carries, and a token naming the attempt. The live columns keep the values
 *   the CRM last accepted until the CRM accepts the staged ones (a failed re-connect changes nothing).
 * - `sessions_ended_at`: settings-page sessions issued before this instant are refused (disconnect ends them).
 * All nullable, so rows written by older code read back unchanged.
 * @module
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  for (const column of [
    'connected_at',
    'stage_id',
    'staged_at',
    'staged_api_key_sealed',
    'staged_settings',
    'staged_api_version',
    'staged_scopes',
    'sessions_ended_at',
  ]) {
    await db.schema.alterTable('rcmk_connections').addColumn(column, 'text').execute();
  }
  await db.schema.createIndex('rcmk_connections_staged_ix').on('rcmk_connections').column('staged_at').execute();
  await sql`update rcmk_connections set connected_at = created_at where state <> 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('rcmk_connections_staged_ix').execute();
  for (const column of [
    'sessions_ended_at',
    'staged_scopes',
    'staged_api_version',
    'staged_settings',
    'staged_api_key_sealed',
    'staged_at',
    'stage_id',
    'connected_at',
  ]) {
    await db.schema.alterTable('rcmk_connections').dropColumn(column).execute();
  }
}
