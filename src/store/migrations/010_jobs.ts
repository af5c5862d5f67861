/**
 * 010 (issue 15): per-connection job state, the tick each job claims, and the in-process queue used on SQLite.
 * Numbered 010 to stay clear of migrations other branches add meanwhile (003…).
 * @module
 */
import { type Kysely, PostgresAdapter } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('rcmk_job_state')
    .addColumn('connection_id', 'text', (c) => c.notNull().references('rcmk_connections.id').onDelete('cascade'))
    .addColumn('job', 'text', (c) => c.notNull())
    // JSON text of the cursor the last run saved; NULL before the first save.
    .addColumn('cursor', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('idle'))
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_run_at', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('next_run_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rcmk_job_state_pk', ['connection_id', 'job'])
    .execute();
  await db.schema.createIndex('rcmk_job_state_job_status_ix').on('rcmk_job_state').columns(['job', 'status']).execute();

  await db.schema
    .createTable('rcmk_job_tick')
    .addColumn('job', 'text', (c) => c.primaryKey())
    .addColumn('ticked_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('rcmk_job_queue')
    .addColumn('id', 'integer', (c) => (postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('locked_at', 'text')
    // One waiting and one running item per connection and job (STYLE B7).
    .addUniqueConstraint('rcmk_job_queue_uq', ['job', 'connection_id', 'state'])
    .execute();
  await db.schema.createIndex('rcmk_job_queue_due_ix').on('rcmk_job_queue').columns(['state', 'run_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rcmk_job_queue').execute();
  await db.schema.dropTable('rcmk_job_tick').execute();
  await db.schema.dropTable('rcmk_job_state').execute();
}
