/**
 * 011 (issue 15): what fleet operations keep per connection (the hash of the registration payload it was last
 * registered with, its health) and per run of `fleet reregister` (so an interrupted run can be resumed).
 * @module
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rcmk_fleet_connection')
    .addColumn('connection_id', 'text', (c) => c.primaryKey().references('rcmk_connections.id').onDelete('cascade'))
    // sha256 of the payload without clientId and name; NULL: not known (registered before fleet tracking).
    .addColumn('payload_hash', 'text')
    .addColumn('registered_at', 'text')
    .addColumn('reregister_error', 'text')
    .addColumn('health', 'text', (c) => c.notNull().defaultTo('ok'))
    .addColumn('health_detail', 'text')
    .addColumn('auth_failures', 'integer', (c) => c.notNull().defaultTo(0))
    // The outcomes of the last checks, newest last: '1' failed, '0' answered.
    .addColumn('recent_checks', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('checked_at', 'text')
    // Set when the administrators were told about the current degraded episode; cleared when it ends.
    .addColumn('notified_at', 'text')
    .execute();
  await db.schema
    .createTable('rcmk_fleet_run')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rcmk_fleet_run').execute();
  await db.schema.dropTable('rcmk_fleet_connection').execute();
}
