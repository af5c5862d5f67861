// The hot queries' synchronous SQLite path must not run inside a Kysely transaction that is open on the connection:
// it defers to Kysely, which queues the statement until that transaction ends (the `raw.inTransaction` guard of
// `directQuery` in open-connection-store.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { sampleConnectInput } from '../testing/index.js';
import { generateKeyEntry } from './keyring.js';
import { openConnectionStore } from './open-connection-store.js';

describe('KyselyConnectionStore hot queries (SQLite)', () => {
  it('a hot read or update issued while a transaction is open waits for it, and is not rolled back with it', async () => {
    const store = await openConnectionStore({ databaseUrl: 'sqlite::memory:', keyring: generateKeyEntry('a') });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    try {
      const { connection } = await store.saveConnect(sampleConnectInput());
      const seen: string[] = [];
      let inside!: () => void;
      const opened = new Promise<void>((resolve) => (inside = resolve));

      const transaction = store.db.transaction().execute(async (trx) => {
        await trx.updateTable('rcmk_connections').set({ state: 'frozen' }).where('id', '=', connection.id).execute();
        inside();
        await released;
        seen.push('rollback');
        throw new Error('roll back');
      });
      const rolledBack = assert.rejects(transaction, /roll back/);
      await opened;

      // findById and update (no apiKey, no events) take the precompiled, direct path when no transaction is open.
      const read = store.findById(connection.id).then((found) => seen.push(`read ${found?.state}`));
      const write = store.update(connection.id, connection.version, { state: 'active' }).then((updated) => seen.push(`update v${updated.version}`));
      for (let i = 0; i < 5; i += 1) await tick();
      assert.deepEqual(seen, [], 'neither ran while the transaction was open');

      release();
      await rolledBack;
      await Promise.all([read, write]);
      assert.deepEqual(seen, ['rollback', 'read pending', `update v${connection.version + 1}`]);
      const after = await store.findById(connection.id);
      assert.equal(after?.state, 'active', 'the update committed on its own, after the rollback');
      assert.equal(after?.version, connection.version + 1);
    } finally {
      release();
      await store.close();
    }
  });
});
