/**
 * The conformance battery for `ConnectionStore`: one set of cases every implementation must pass, the kit's own
 * (SQLite, PostgreSQL) and yours (MySQL, Redis…). Runs on node:test.
 *
 * @example
 * // my-store.test.ts
 * import { describeConnectionStore } from 'retailcrm-module-kit/testing';
 * describeConnectionStore('MyStore', async () => MyStore.open({ url: freshDatabase() }));
 * @see docs/store.md ("Writing your own adapter")
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { ConnectionNotFoundError, StoreConflictError } from '../errors.js';
import type { ConnectInput, ConnectionStore } from '../store/types.js';

/** What a backend can promise. Each `false` skips the cases that need it, with the reason shown in the report. */
export interface ConnectionStoreCapabilities {
  /** Several writes may run at once (default true). A single-writer backend sets false and explains why. */
  readonly concurrentWriters?: boolean;
  /**
   * Everything the backend holds for `store`, as stored (file bytes, raw rows as text). When given, the battery
   * checks that no API key and no clientId appears in it in plaintext. Without it that case is skipped.
   */
  readonly rawDump?: (store: ConnectionStore) => Promise<string | Uint8Array>;
}

let counter = 0;

/** A connect input with unique, recognizable values; `overrides` replaces any of them. */
export function sampleConnectInput(overrides: Partial<ConnectInput> = {}): ConnectInput {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  return {
    moduleCode: 'demo-module',
    accountUrl: `https://shop-${tag}.retailcrm.test`,
    apiKey: `APIKEY${randomUUID().replace(/-/g, '')}`,
    settings: { greeting: 'Привет', nested: { list: [1, 2, 3], on: true } },
    apiVersion: '5',
    scopes: ['integration_read', 'integration_write'],
    newClientId: `CLIENTID${randomUUID().replace(/-/g, '')}`,
    ...overrides,
  };
}

/**
 * Registers the battery under `describe(name)`. `open` must return a new, empty store on every call; each case
 * closes the store it opened.
 */
export function describeConnectionStore(
  name: string,
  open: () => Promise<ConnectionStore>,
  caps: ConnectionStoreCapabilities = {},
): void {
  const concurrent = caps.concurrentWriters ?? true;
  const withStore = (body: (store: ConnectionStore, t: TestContext) => Promise<void>) => async (t: TestContext) => {
    const store = await open();
    try {
      await body(store, t);
    } finally {
      await store.close();
    }
  };

  describe(`${name} satisfies ConnectionStore`, () => {
    it('answers undefined, never throws, for unknown ids, clientIds and accounts', withStore(async (store) => {
      assert.equal(await store.findById(randomUUID()), undefined);
      assert.equal(await store.findByClientId('no-such-client'), undefined);
      assert.equal(await store.findByClientId(''), undefined);
      assert.equal(await store.findByAccount('https://nobody.retailcrm.test', 'demo-module'), undefined);
      assert.deepEqual(await store.listEvents(randomUUID()), []);
    }));

    it('saveConnect creates a pending connection with every field, and logs "connected"', withStore(async (store) => {
      const input = sampleConnectInput();
      const before = Date.now();
      const { connection, created } = await store.saveConnect(input);
      assert.equal(created, true);
      assert.equal(typeof connection.id, 'string');
      assert.ok(connection.id.length > 0);
      assert.equal(connection.moduleCode, input.moduleCode);
      assert.equal(connection.accountUrl, input.accountUrl);
      assert.equal(connection.clientId, input.newClientId);
      assert.equal(connection.apiKey, input.apiKey);
      assert.deepEqual(connection.settings, input.settings);
      assert.equal(connection.state, 'pending');
      assert.equal(connection.active, false);
      assert.equal(connection.freeze, false);
      assert.equal(connection.apiVersion, '5');
      assert.deepEqual(connection.scopes, input.scopes);
      assert.ok(connection.createdAt instanceof Date && connection.updatedAt instanceof Date);
      assert.ok(connection.createdAt.getTime() >= before - 1000 && connection.createdAt.getTime() <= Date.now() + 1000);
      assert.equal(typeof connection.version, 'number');
      const events = await store.listEvents(connection.id);
      assert.deepEqual(events.map((e) => e.type), ['connected']);
      assert.equal(events[0]?.connectionId, connection.id);
      assert.ok(events[0]?.at instanceof Date);
    }));

    it('finds a connection by id, by clientId and by account, all equal to what saveConnect returned', withStore(async (store) => {
      const input = sampleConnectInput();
      const { connection } = await store.saveConnect(input);
      assert.deepEqual(await store.findById(connection.id), connection);
      assert.deepEqual(await store.findByClientId(input.newClientId), connection);
      assert.deepEqual(await store.findByAccount(input.accountUrl, input.moduleCode), connection);
    }));

    it('matches a clientId exactly: no prefix, suffix or case-folded match', withStore(async (store) => {
      const input = sampleConnectInput({ newClientId: 'Client-ABC-123' });
      await store.saveConnect(input);
      for (const near of ['client-abc-123', 'Client-ABC-12', 'Client-ABC-1234', ' Client-ABC-123']) {
        assert.equal(await store.findByClientId(near), undefined, near);
      }
      assert.ok(await store.findByClientId('Client-ABC-123'));
    }));

    it('saveConnect on a connected account updates it in place, keeps id and clientId, logs "reconnected"', withStore(async (store) => {
      const first = await store.saveConnect(sampleConnectInput());
      const input = sampleConnectInput({
        accountUrl: first.connection.accountUrl,
        settings: { greeting: 'Hola' },
        apiVersion: '6',
        scopes: ['order_read'],
      });
      const second = await store.saveConnect(input);
      assert.equal(second.created, false);
      assert.equal(second.connection.id, first.connection.id);
      assert.equal(second.connection.clientId, first.connection.clientId, 'an existing connection keeps its clientId');
      assert.equal(second.connection.apiKey, input.apiKey);
      assert.deepEqual(second.connection.settings, { greeting: 'Hola' });
      assert.equal(second.connection.apiVersion, '6');
      assert.deepEqual(second.connection.scopes, ['order_read']);
      assert.ok(second.connection.version > first.connection.version);
      assert.equal(second.connection.createdAt.getTime(), first.connection.createdAt.getTime());
      assert.equal(await store.findByClientId(input.newClientId), undefined, 'the unused newClientId finds nothing');
      assert.deepEqual(await store.findByClientId(first.connection.clientId), second.connection);
      assert.deepEqual((await store.listEvents(first.connection.id)).map((e) => e.type), ['reconnected', 'connected']);
    }));

    it('stageConnect on a new account: a pending connection whose live values and stage are the input; no event', withStore(async (store) => {
      const input = sampleConnectInput();
      const stageId = randomUUID();
      const { connection, created } = await store.stageConnect(input, stageId);
      assert.equal(created, true);
      assert.equal(connection.state, 'pending');
      assert.equal(connection.clientId, input.newClientId);
      assert.equal(connection.apiKey, input.apiKey);
      assert.deepEqual(connection.settings, input.settings);
      assert.equal(connection.connectedAt, null);
      assert.equal(connection.sessionsEndedAt, null);
      assert.equal(connection.staged?.id, stageId);
      assert.ok(connection.staged?.at instanceof Date);
      assert.equal(connection.staged?.apiKey, input.apiKey);
      assert.deepEqual(connection.staged?.settings, input.settings);
      assert.equal(connection.staged?.apiVersion, input.apiVersion);
      assert.deepEqual(connection.staged?.scopes, input.scopes);
      assert.deepEqual(await store.findById(connection.id), connection);
      assert.deepEqual(await store.findByClientId(input.newClientId), connection);
      assert.deepEqual(await store.listEvents(connection.id), [], 'the outcome logs, not the attempt');
    }));

    it('stageConnect on an existing connection stages the input and leaves the live key, settings, version and scopes', withStore(async (store) => {
      const first = (await store.saveConnect(sampleConnectInput())).connection;
      const live = await store.update(first.id, first.version, { state: 'active', active: true, connectedAt: new Date() });
      const input = sampleConnectInput({ accountUrl: first.accountUrl, settings: { other: true }, apiVersion: '5.1', scopes: ['order_read'] });
      const { connection, created } = await store.stageConnect(input, 'stage-2');
      assert.equal(created, false);
      assert.equal(connection.id, first.id);
      assert.equal(connection.clientId, first.clientId);
      assert.equal(connection.apiKey, first.apiKey, 'the live key stays until the CRM accepts the new one');
      assert.deepEqual(connection.settings, first.settings);
      assert.equal(connection.apiVersion, first.apiVersion);
      assert.deepEqual(connection.scopes, first.scopes);
      assert.equal(connection.state, 'active');
      assert.equal(connection.connectedAt?.getTime(), live.connectedAt?.getTime());
      assert.equal(connection.staged?.id, 'stage-2');
      assert.equal(connection.staged?.apiKey, input.apiKey);
      assert.deepEqual(connection.staged?.settings, { other: true });
      assert.equal(connection.staged?.apiVersion, '5.1');
      assert.deepEqual(connection.staged?.scopes, ['order_read']);
      assert.ok(connection.version > live.version);
      const found = await store.findById(first.id);
      assert.equal(found?.apiKey, first.apiKey);
      assert.equal(found?.staged?.apiKey, input.apiKey);
      assert.deepEqual((await store.listEvents(first.id)).map((e) => e.type), ['connected']);
    }));

    it('update commits a stage (live fields + stage: null) or drops it; a stage without a key keeps the live key', withStore(async (store) => {
      const first = (await store.saveConnect(sampleConnectInput())).connection;
      const input = sampleConnectInput({ accountUrl: first.accountUrl, settings: { next: 1 } });
      const { connection: staged } = await store.stageConnect(input, 'commit-me');
      const stage = staged.staged;
      assert.ok(stage);
      const committed = await store.update(staged.id, staged.version, {
        apiKey: stage.apiKey,
        settings: stage.settings,
        apiVersion: stage.apiVersion,
        scopes: stage.scopes,
        stage: null,
      }, [{ type: 'reconnected' }]);
      assert.equal(committed.apiKey, input.apiKey);
      assert.deepEqual(committed.settings, { next: 1 });
      assert.equal(committed.staged, null);
      assert.equal((await store.findById(first.id))?.staged, null);
      assert.equal((await store.findById(first.id))?.apiKey, input.apiKey);

      const settingsOnly = await store.update(committed.id, committed.version, {
        stage: { id: 'settings-only', settings: { next: 2 }, apiVersion: committed.apiVersion, scopes: committed.scopes },
      });
      assert.equal(settingsOnly.staged?.apiKey, input.apiKey, 'no staged key: the live one');
      assert.deepEqual(settingsOnly.staged?.settings, { next: 2 });
      assert.deepEqual((await store.findByClientId(first.clientId))?.staged?.settings, { next: 2 });
      const withKey = await store.update(settingsOnly.id, settingsOnly.version, {
        stage: { id: 'with-key', apiKey: 'STAGED-KEY-1', settings: { next: 3 }, apiVersion: null, scopes: [] },
      });
      assert.equal(withKey.staged?.apiKey, 'STAGED-KEY-1');
      assert.equal((await store.findById(first.id))?.staged?.apiKey, 'STAGED-KEY-1');
      assert.equal((await store.findById(first.id))?.apiKey, input.apiKey);
      const dropped = await store.update(withKey.id, withKey.version, { stage: null }, [{ type: 'registration_failed' }]);
      assert.equal(dropped.staged, null);
      assert.equal(dropped.apiKey, input.apiKey);
      assert.deepEqual(dropped.settings, { next: 1 });
      const found = await store.findById(first.id);
      assert.equal(found?.staged, null);
      assert.equal(found?.apiKey, input.apiKey);
    }));

    it('connectedAt and sessionsEndedAt start null and are set by update; a key change keeps a staged key', withStore(async (store) => {
      const { connection } = await store.saveConnect(sampleConnectInput());
      assert.equal(connection.connectedAt, null);
      assert.equal(connection.sessionsEndedAt, null);
      assert.equal(connection.staged, null);
      const at = new Date(Date.now() - 5000);
      const ended = new Date(Date.now() - 1000);
      const updated = await store.update(connection.id, connection.version, { connectedAt: at, sessionsEndedAt: ended });
      assert.equal(updated.connectedAt?.getTime(), at.getTime());
      assert.equal(updated.sessionsEndedAt?.getTime(), ended.getTime());
      const found = await store.findById(connection.id);
      assert.equal(found?.connectedAt?.getTime(), at.getTime());
      assert.equal(found?.sessionsEndedAt?.getTime(), ended.getTime());
      const staged = await store.update(updated.id, updated.version, {
        stage: { id: 's', apiKey: 'STAGED-KEY-2', settings: {}, apiVersion: null, scopes: [] },
      });
      const rekeyed = await store.update(staged.id, staged.version, { apiKey: 'LIVE-KEY-2' }, [{ type: 'key_changed' }]);
      assert.equal(rekeyed.apiKey, 'LIVE-KEY-2');
      assert.equal((await store.findById(connection.id))?.staged?.apiKey, 'STAGED-KEY-2');
    }));

    it('listStaged lists connections staged before an instant, oldest first, with a limit', withStore(async (store) => {
      const plain = await store.saveConnect(sampleConnectInput());
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await store.stageConnect(sampleConnectInput(), `stage-${i}`)).connection.id);
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      const listed = await store.listStaged(new Date(Date.now() + 1000));
      assert.deepEqual(listed.map((c) => c.id), ids);
      assert.ok(!listed.some((c) => c.id === plain.connection.id));
      assert.deepEqual((await store.listStaged(new Date(Date.now() + 1000), 2)).map((c) => c.id), ids.slice(0, 2));
      assert.deepEqual(await store.listStaged(new Date(Date.now() - 60_000)), []);
      const first = listed[0];
      assert.ok(first);
      await store.update(first.id, first.version, { stage: null });
      assert.deepEqual((await store.listStaged(new Date(Date.now() + 1000))).map((c) => c.id), ids.slice(1));
    }));

    it('keeps one connection per account and module code; another code in the same account is another connection', withStore(async (store) => {
      const a = await store.saveConnect(sampleConnectInput({ moduleCode: 'demo-1' }));
      const b = await store.saveConnect(sampleConnectInput({ moduleCode: 'demo-2', accountUrl: a.connection.accountUrl }));
      assert.equal(b.created, true);
      assert.notEqual(a.connection.id, b.connection.id);
      assert.notEqual(a.connection.clientId, b.connection.clientId);
      assert.equal((await store.findByAccount(a.connection.accountUrl, 'demo-1'))?.id, a.connection.id);
      assert.equal((await store.findByAccount(a.connection.accountUrl, 'demo-2'))?.id, b.connection.id);
      assert.equal((await store.list()).length, 2);
    }));

    it('update applies a patch at the expected version, bumps the version, leaves the rest alone', withStore(async (store) => {
      const { connection } = await store.saveConnect(sampleConnectInput());
      const updated = await store.update(connection.id, connection.version, { state: 'active', active: true });
      assert.equal(updated.state, 'active');
      assert.equal(updated.active, true);
      assert.equal(updated.freeze, false);
      assert.equal(updated.version, connection.version + 1);
      assert.ok(updated.updatedAt.getTime() >= connection.updatedAt.getTime());
      assert.deepEqual(
        { ...updated, state: connection.state, active: connection.active, version: connection.version, updatedAt: connection.updatedAt },
        connection,
      );
      assert.deepEqual(await store.findById(connection.id), updated);
    }));

    it('update changes every patchable field, and a null apiVersion', withStore(async (store) => {
      const { connection } = await store.saveConnect(sampleConnectInput());
      const target = sampleConnectInput();
      const updated = await store.update(connection.id, connection.version, {
        accountUrl: target.accountUrl,
        apiKey: target.apiKey,
        settings: { changed: 1 },
        state: 'frozen',
        active: true,
        freeze: true,
        apiVersion: null,
        scopes: [],
        crmSettings: { timezone: { value: 'Europe/Madrid' } },
      });
      assert.equal(updated.accountUrl, target.accountUrl);
      assert.deepEqual(updated.crmSettings, { timezone: { value: 'Europe/Madrid' } });
      assert.equal(updated.apiKey, target.apiKey);
      assert.deepEqual(updated.settings, { changed: 1 });
      assert.equal(updated.state, 'frozen');
      assert.equal(updated.freeze, true);
      assert.equal(updated.apiVersion, null);
      assert.deepEqual(updated.scopes, []);
      assert.equal(updated.clientId, connection.clientId);
      assert.deepEqual(await store.findByClientId(connection.clientId), updated, 'still found by clientId after a key change');
      assert.deepEqual(await store.findByAccount(target.accountUrl, connection.moduleCode), updated);
      assert.equal(await store.findByAccount(connection.accountUrl, connection.moduleCode), undefined);
    }));

    it('update at a stale version throws StoreConflictError and changes nothing', withStore(async (store) => {
      const { connection } = await store.saveConnect(sampleConnectInput());
      await store.update(connection.id, connection.version, { state: 'active' });
      await assert.rejects(
        store.update(connection.id, connection.version, { state: 'disconnected' }, [{ type: 'disconnected' }]),
        (error: unknown) => error instanceof StoreConflictError && error.code === 'RCMK_STORE_CONFLICT',
      );
      const stored = await store.findById(connection.id);
      assert.equal(stored?.state, 'active');
      assert.deepEqual((await store.listEvents(connection.id)).map((e) => e.type), ['connected'], 'no event from a lost update');
    }));

    it('update of an unknown id throws ConnectionNotFoundError', withStore(async (store) => {
      await assert.rejects(store.update(randomUUID(), 1, { state: 'active' }), ConnectionNotFoundError);
      await assert.rejects(store.update(randomUUID(), 1, { apiKey: 'x' }, [{ type: 'key_changed' }]), ConnectionNotFoundError);
    }));

    it('moving a connection onto an account URL already taken by the same module code throws StoreConflictError', withStore(async (store) => {
      const a = await store.saveConnect(sampleConnectInput());
      const b = await store.saveConnect(sampleConnectInput());
      await assert.rejects(store.update(b.connection.id, b.connection.version, { accountUrl: a.connection.accountUrl }), StoreConflictError);
      assert.equal((await store.findById(b.connection.id))?.accountUrl, b.connection.accountUrl);
    }));

    it('update appends its events in the same step; appendEvent adds one; listEvents is newest first with a limit', withStore(async (store) => {
      const { connection } = await store.saveConnect(sampleConnectInput());
      await store.update(connection.id, connection.version, { settings: { a: 1 } }, [
        { type: 'settings_changed', details: { fields: ['a'] } },
        { type: 'activity_changed', details: { active: true, freeze: false } },
      ]);
      await store.appendEvent(connection.id, { type: 'registration_failed', details: { code: 'RCMK_CRM_UNAVAILABLE', attempt: 2 } });
      const events = await store.listEvents(connection.id);
      assert.deepEqual(events.map((e) => e.type), ['registration_failed', 'activity_changed', 'settings_changed', 'connected']);
      assert.deepEqual(events[0]?.details, { code: 'RCMK_CRM_UNAVAILABLE', attempt: 2 });
      assert.deepEqual(events[2]?.details, { fields: ['a'] });
      assert.ok(events.every((e, i) => i === 0 || (events[i - 1] as { id: number }).id > e.id), 'ids grow with time');
      assert.deepEqual((await store.listEvents(connection.id, 2)).map((e) => e.type), ['registration_failed', 'activity_changed']);
      const other = await store.saveConnect(sampleConnectInput());
      assert.deepEqual((await store.listEvents(other.connection.id)).map((e) => e.type), ['connected'], 'events are per connection');
    }));

    it('appendEvent for an unknown connection throws ConnectionNotFoundError', withStore(async (store) => {
      await assert.rejects(store.appendEvent(randomUUID(), { type: 'key_changed' }), ConnectionNotFoundError);
    }));

    it('list returns connections oldest first, with limit and offset', withStore(async (store) => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await store.saveConnect(sampleConnectInput())).connection.id);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      assert.deepEqual((await store.list()).map((c) => c.id), ids);
      assert.deepEqual((await store.list({ limit: 2 })).map((c) => c.id), ids.slice(0, 2));
      assert.deepEqual((await store.list({ limit: 2, offset: 2 })).map((c) => c.id), ids.slice(2, 4));
      assert.deepEqual((await store.list({ offset: 3 })).map((c) => c.id), ids.slice(3));
    }));

    it('round-trips settings JSON (unicode, nesting, numbers) and secrets with any characters', withStore(async (store) => {
      const settings = { text: 'Ñandú — 日本 🙂 "quoted" \\ back', deep: { a: [1, 2.5, -3, { b: null }] }, flag: false };
      const input = sampleConnectInput({ settings, apiKey: 'key with spaces/+=:.,;\'"', newClientId: 'id.with.dots:and:colons' });
      const { connection } = await store.saveConnect(input);
      const found = await store.findByClientId('id.with.dots:and:colons');
      assert.deepEqual(found?.settings, settings);
      assert.equal(found?.apiKey, input.apiKey);
      assert.equal(found?.id, connection.id);
    }));

    it('keeps the CRM\'s system settings: {} at first, replaced by update, untouched by a re-connect or other patches', withStore(async (store) => {
      const input = sampleConnectInput();
      const { connection } = await store.saveConnect(input);
      assert.deepEqual(connection.crmSettings, {});
      const crmSettings = { system_language: { value: 'ES', updated_at: '2026-05-01 10:00:00' }, work_times: [{ day_type: 'Monday', start_time: '09:00' }] };
      const updated = await store.update(connection.id, connection.version, { crmSettings });
      assert.deepEqual(updated.crmSettings, crmSettings);
      assert.deepEqual((await store.findByClientId(connection.clientId))?.crmSettings, crmSettings);
      const patched = await store.update(updated.id, updated.version, { state: 'active' });
      assert.deepEqual(patched.crmSettings, crmSettings, 'a patch without crmSettings keeps them');
      const { connection: again } = await store.saveConnect({ ...input, settings: { other: true } });
      assert.deepEqual(again.crmSettings, crmSettings, 'a re-connect keeps them');
      assert.deepEqual((await store.list())[0]?.crmSettings, crmSettings);
    }));

    it('ping resolves while the store is open', withStore(async (store) => {
      await store.ping();
    }));

    it('50 concurrent connects of one account leave one connection and 1 connected + 49 reconnected events',
      { skip: !concurrent && 'single-writer backend (capability concurrentWriters: false)' },
      withStore(async (store) => {
        const base = sampleConnectInput();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.saveConnect({ ...base, apiKey: `${base.apiKey}-${i}`, newClientId: `${base.newClientId}-${i}` })),
        );
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(new Set(results.map((r) => r.connection.id)).size, 1);
        assert.equal(new Set(results.map((r) => r.connection.clientId)).size, 1);
        assert.equal((await store.list()).length, 1);
        const events = await store.listEvents(results[0]?.connection.id ?? '', 100);
        assert.equal(events.filter((e) => e.type === 'connected').length, 1);
        assert.equal(events.filter((e) => e.type === 'reconnected').length, 49);
        assert.equal(events.at(-1)?.type, 'connected', 'connected comes first');
        const versions = results.map((r) => r.connection.version).sort((a, b) => a - b);
        assert.equal(new Set(versions).size, 50, 'every connect saw its own version');
        const stored = await store.findById(results[0]?.connection.id ?? '');
        assert.equal(stored?.version, versions.at(-1));
        const last = results.find((r) => r.connection.version === stored?.version);
        assert.equal(stored?.apiKey, last?.connection.apiKey, 'the stored key is the last writer\'s');
      }));

    it('50 concurrent stageConnect of one account leave one connection, created once, staged by one of them',
      { skip: !concurrent && 'single-writer backend (capability concurrentWriters: false)' },
      withStore(async (store) => {
        const base = sampleConnectInput();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.stageConnect({ ...base, apiKey: `${base.apiKey}-${i}`, newClientId: `${base.newClientId}-${i}` }, `stage-${i}`),
          ),
        );
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(new Set(results.map((r) => r.connection.id)).size, 1);
        assert.equal(new Set(results.map((r) => r.connection.clientId)).size, 1);
        assert.equal((await store.list()).length, 1);
        const stored = await store.findById(results[0]?.connection.id ?? '');
        const last = results.find((r) => r.connection.version === stored?.version);
        assert.equal(stored?.staged?.id, last?.connection.staged?.id, 'the stage is the last writer\'s');
        assert.equal(stored?.staged?.apiKey, last?.connection.staged?.apiKey);
      }));

    it('of concurrent updates at one version, exactly one wins; the others get StoreConflictError',
      { skip: !concurrent && 'single-writer backend (capability concurrentWriters: false)' },
      withStore(async (store) => {
        const { connection } = await store.saveConnect(sampleConnectInput());
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.update(connection.id, connection.version, { settings: { writer: i } }, i % 2 === 0 ? [{ type: 'settings_changed' }] : []),
          ),
        );
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        assert.equal(won.length, 1);
        for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof StoreConflictError, String(o.reason));
        const stored = await store.findById(connection.id);
        assert.equal(stored?.version, connection.version + 1);
        assert.deepEqual(stored?.settings, (won[0] as PromiseFulfilledResult<{ settings: unknown }>).value.settings);
      }));

    it('claimOnce: true once, false for every later or concurrent claim of the same value', withStore(async (store, t) => {
      // Optional method (a store without it cannot host the simple connection): reported as skipped, not passed.
      if (!store.claimOnce) {
        t.skip('the store has no claimOnce (optional; needed for the simple connection)');
        return;
      }
      const claim = `claim-${randomUUID()}`;
      assert.equal(await store.claimOnce(claim), true);
      assert.equal(await store.claimOnce(claim), false, 'a second claim of the same value is refused');
      const other = `claim-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: concurrent ? 10 : 1 }, () => store.claimOnce?.(other)));
      assert.equal(results.filter((r) => r === true).length, 1, 'exactly one concurrent claim wins');
      // An expired claim may be removed, but a live one with an expiry still blocks.
      const live = `claim-${randomUUID()}`;
      assert.equal(await store.claimOnce(live, new Date(Date.now() + 60_000)), true);
      assert.equal(await store.claimOnce(live, new Date(Date.now() + 60_000)), false);
    }));

    it('drafts: saved once, taken once (concurrently too), only by their session, never after expiry', withStore(async (store, t) => {
      if (!store.saveDraft || !store.takeDraft) return t.skip('the store keeps no connect drafts (optional)');
      const later = new Date(Date.now() + 15 * 60_000);
      const input = sampleConnectInput();
      const id = await store.saveDraft({ accountUrl: input.accountUrl, apiKey: input.apiKey, bindingHash: 'session-a', expiresAt: later });
      assert.match(id, /^[\w-]{20,}$/, 'an unguessable id');
      assert.ok(!id.includes(input.apiKey));
      const takes = await Promise.all(Array.from({ length: 5 }, () => store.takeDraft?.(id, 'session-a')));
      assert.deepEqual(takes.filter(Boolean), [{ accountUrl: input.accountUrl, apiKey: input.apiKey, secrets: {} }], 'exactly one take gets it');
      const withSecrets = await store.saveDraft({ accountUrl: input.accountUrl, apiKey: input.apiKey, secrets: { token: 'Ω-secret' }, bindingHash: 'session-a', expiresAt: later });
      assert.deepEqual((await store.takeDraft(withSecrets, 'session-a'))?.secrets, { token: 'Ω-secret' }, 'secret settings ride along');
      assert.equal(await store.takeDraft(id, 'session-a'), undefined, 'single use');
      const other = await store.saveDraft({ accountUrl: input.accountUrl, apiKey: input.apiKey, bindingHash: 'session-a', expiresAt: later });
      assert.equal(await store.takeDraft(other, 'session-b'), undefined, 'another session gets nothing');
      assert.equal(await store.takeDraft(other, 'session-a'), undefined, 'and the draft is burnt');
      const expired = await store.saveDraft({ accountUrl: input.accountUrl, apiKey: input.apiKey, bindingHash: 'session-a', expiresAt: new Date(Date.now() - 1000) });
      assert.equal(await store.takeDraft(expired, 'session-a'), undefined, 'an expired draft is refused');
      assert.equal(await store.takeDraft('no-such-draft', 'session-a'), undefined);
    }));

    it('stores no API key, no clientId and no setting (a module’s own secret) in plaintext', { skip: !caps.rawDump && 'no rawDump capability given' }, withStore(async (store) => {
      const token = () => `SETTINGSECRET${randomUUID().replace(/-/g, '')}`;
      const inputs = Array.from({ length: 5 }, () => sampleConnectInput({ settings: { carrierToken: token() } }));
      for (const input of inputs) await store.saveConnect(input);
      const changed = await store.findByClientId(inputs[0]?.newClientId ?? '');
      const newKey = sampleConnectInput().apiKey;
      const newToken = token();
      assert.ok(changed);
      const keyed = await store.update(changed.id, changed.version, { apiKey: newKey }, [{ type: 'key_changed' }]);
      await store.update(keyed.id, keyed.version, { settings: { carrierToken: newToken } });
      assert.deepEqual((await store.findById(changed.id))?.settings, { carrierToken: newToken });
      // A staged re-connect carries its own key and settings: both sealed like the live ones.
      const stagedInput = sampleConnectInput({ accountUrl: inputs[1]?.accountUrl ?? '', settings: { carrierToken: token() } });
      await store.stageConnect(stagedInput, 'dump-stage');
      // A first connection staged (an insert), and a stage written by update.
      const firstStaged = sampleConnectInput({ settings: { carrierToken: token() } });
      const inserted = (await store.stageConnect(firstStaged, 'dump-first')).connection;
      const updateSecret = token();
      await store.update(inserted.id, inserted.version, { stage: { id: 'dump-update', settings: { carrierToken: updateSecret }, apiVersion: null, scopes: [] } });
      const draftKey = sampleConnectInput().apiKey;
      const draftSecret = token();
      await store.saveDraft?.({ accountUrl: inputs[0]?.accountUrl ?? '', apiKey: draftKey, secrets: { carrierToken: draftSecret }, bindingHash: 'session', expiresAt: new Date(Date.now() + 60_000) });
      const dump = await (caps.rawDump as NonNullable<typeof caps.rawDump>)(store);
      const haystack = Buffer.from(typeof dump === 'string' ? Buffer.from(dump, 'utf8') : dump);
      const settingSecrets = [...inputs, stagedInput, firstStaged].map((i) => String(i.settings.carrierToken));
      settingSecrets.push(updateSecret);
      assert.ok(settingSecrets.every((secret) => secret.length > 10), 'every setting secret is a real token');
      for (const secret of [...inputs.flatMap((i) => [i.apiKey, i.newClientId]), ...settingSecrets, newKey, newToken, stagedInput.apiKey, firstStaged.apiKey, draftKey, draftSecret]) {
        for (const form of [secret, Buffer.from(secret, 'utf8').toString('base64'), Buffer.from(secret, 'utf8').toString('hex')]) {
          assert.equal(haystack.indexOf(form), -1, 'a secret appears in the raw storage');
          assert.equal(haystack.indexOf(Buffer.from(form, 'utf16le')), -1, 'a secret appears in the raw storage (UTF-16)');
        }
      }
      assert.ok(haystack.indexOf(inputs[1]?.accountUrl ?? '\u0000') >= 0, 'the dump holds the stored rows (sanity check of rawDump)');
    }));
  });
}
