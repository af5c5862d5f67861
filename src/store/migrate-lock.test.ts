/**
 * Migrations under PostgreSQL's advisory lock: instances starting together on a fresh schema migrate one after
 * another (each migration runs exactly once, nobody fails), and a run waits while another session holds the lock.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { MIGRATION_LOCK_CLASS, migrateToLatest } from './migrate.js';
import { openStoreDatabase } from './open-connection-store.js';

const PG_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
after(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

const fresh = () => {
  const schema = `rcmk_lock_${process.pid}_${schemas.length}`;
  schemas.push(schema);
  return schema;
};

describe('migrations under an advisory lock', () => {
  it('four instances starting at once: every migration runs once, all succeed', async () => {
    const schema = fresh();
    const dbs = await Promise.all([0, 1, 2, 3].map(() => openStoreDatabase({ databaseUrl: PG_URL, postgresSchema: schema })));
    try {
      const results = await Promise.all(dbs.map(({ db }) => migrateToLatest(db)));
      const ran = results.flatMap((r) => (r.results ?? []).filter((m) => m.status === 'Success').map((m) => m.migrationName));
      assert.deepEqual([...ran].sort(), [...new Set(ran)].sort(), 'no migration ran twice');
      assert.ok(ran.includes('001_init') && ran.includes('010_jobs') && ran.includes('011_fleet'));
    } finally {
      await Promise.all(dbs.map(({ db }) => db.destroy()));
    }
  });

  it('waits while another session holds the lock, then migrates', async () => {
    const schema = fresh();
    const holder = new pg.Client({ connectionString: PG_URL, options: `-c search_path="${schema}"` });
    await holder.connect();
    const { db } = await openStoreDatabase({ databaseUrl: PG_URL, postgresSchema: schema });
    try {
      await holder.query('select pg_advisory_lock($1, hashtext(current_schema()))', [MIGRATION_LOCK_CLASS]);
      let finished = false;
      const running = migrateToLatest(db).then((r) => ((finished = true), r));
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(finished, false, 'it must not migrate while the lock is held');
      await holder.query('select pg_advisory_unlock($1, hashtext(current_schema()))', [MIGRATION_LOCK_CLASS]);
      const result = await running;
      assert.equal(result.error, undefined);
      // And with the lock held past the timeout it gives up with the store's own error.
      await holder.query('select pg_advisory_lock($1, hashtext(current_schema()))', [MIGRATION_LOCK_CLASS]);
      await assert.rejects(migrateToLatest(db, { lockTimeoutMs: 200 }), { code: 'RCMK_STORE_UNAVAILABLE' });
    } finally {
      await holder.end();
      await db.destroy();
    }
  });
});
