/**
 * 001: the connections table and its event log.
 * Uniqueness rule: one connection per module instance code per account, UNIQUE(account_url, module_code).
 * @module
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('rcmk_connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('module_code', 'text', (c) => c.notNull())
    .addColumn('account_url', 'text', (c) => c.notNull())
    .addColumn('client_id_hash', 'text', (c) => c.notNull())
    .addColumn('client_id_sealed', 'text', (c) => c.notNull())
    .addColumn('api_key_sealed', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('pending', 'active', 'inactive', 'frozen', 'disconnected')`),
    )
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('freeze', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('api_version', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addUniqueConstraint('rcmk_connections_account_module_uq', ['account_url', 'module_code'])
    .execute();
  await db.schema
    .createIndex('rcmk_connections_client_id_hash_uq')
    .on('rcmk_connections')
    .column('client_id_hash')
    .unique()
    .execute();
  await db.schema.createIndex('rcmk_connections_key_id_ix').on('rcmk_connections').column('key_id').execute();
  await db.schema.createIndex('rcmk_connections_created_ix').on('rcmk_connections').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('rcmk_connection_events')
    .addColumn('id', 'integer', (c) => (postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
    .addColumn('connection_id', 'text', (c) => c.notNull().references('rcmk_connections.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema
    .createIndex('rcmk_connection_events_connection_ix')
    .on('rcmk_connection_events')
    .columns(['connection_id', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rcmk_connection_events').execute();
  await db.schema.dropTable('rcmk_connections').execute();
}
