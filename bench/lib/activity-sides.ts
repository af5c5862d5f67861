/**
 * The servers of the activity-callback comparisons (bench/activity.ts, bench/instructions.ts): a module on a SQLite
 * store of active connections, the bare Fastify route doing the same store work, and the requests of each figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { defineModule } from '../../src/connect/module-definition.js';
import { stateFromActivity } from '../../src/connect/state.js';
import { startModule } from '../../src/host/start-module.js';
import type { Observability } from '../../src/observability/index.js';
import { Activity } from '../../src/protocol/index.js';
import { generateKeyEntry } from '../../src/store/keyring.js';
import { openConnectionStore } from '../../src/store/open-connection-store.js';
import type { KyselyConnectionStore } from '../../src/store/kysely-connection-store.js';
import type { ConnectionStore } from '../../src/store/types.js';
import { seedActiveConnections } from './bench-store.js';
import type { LoadRequest } from './load.js';

export const startActivityModule = (store: ConnectionStore, observability?: Observability) =>
  startModule({
    module: defineModule({ integrationCode: 'bench', name: 'Bench', logo: 'https://bench.example/logo.svg', baseUrl: 'http://127.0.0.1' }),
    store,
    cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
    accountUrlPolicy: { allowLocal: true },
    logger: false,
    ...(observability ? { observability } : {}),
  });

/** The baseline: the same form parsing and store work, with nothing of the kit around it. */
async function startBareActivity(store: ConnectionStore): Promise<{ url: string; close(): Promise<void> }> {
  const bare = Fastify({ logger: false });
  await bare.register(formbody);
  bare.post('/activity', async (request, reply) => {
    const form = request.body as { clientId: string; activity: string };
    const activity = Activity.parse(JSON.parse(form.activity));
    const connection = await store.findByClientId(form.clientId);
    if (!connection) return reply.code(404).send({ success: false });
    const state = stateFromActivity(activity);
    await store.update(connection.id, connection.version, { ...activity, state }, [
      { type: 'activity_changed', details: { ...activity, from: connection.state, to: state } },
    ]);
    return { success: true };
  });
  // The same parsing and lookup with no write and nothing else: the floor of the no-write figure (a store lookup by
  // clientId is a keyed hash and a read, and the POST's body is parsed; /health does neither).
  bare.post('/activity-lookup', async (request, reply) => {
    const form = request.body as { clientId: string; activity: string };
    Activity.parse(JSON.parse(form.activity));
    const connection = await store.findByClientId(form.clientId);
    if (!connection) return reply.code(404).send({ success: false });
    return { success: true };
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`, close: () => bare.close() };
}

const activityRequest = (clientId: string, active: boolean): LoadRequest => ({
  method: 'POST',
  path: '/activity',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ clientId, activity: JSON.stringify({ active, freeze: false }), systemUrl: '' }).toString(),
});

/**
 * Every request flips one connection, so both servers really write (an identical repeat is a no-op in the kit):
 * all to inactive, then all back. A load generator starts each round at the first request, so before each round
 * {@link resetStates} puts them all back to active; else a round would meet connections left inactive by the last
 * one, which the kit answers without a write and the bare route writes anyway.
 */
export const flips = (ids: readonly string[]): LoadRequest[] => [false, true].flatMap((active) => ids.map((clientId) => activityRequest(clientId, active)));

/** Every connection of `store` active again, its version bumped (as a write by another process would). */
export async function resetStates(store: KyselyConnectionStore): Promise<void> {
  await store.db.updateTable('rcmk_connections').set({ state: 'active', active: 1, freeze: 0, version: sql<number>`version + 1` }).execute();
}

export async function startActivitySides(count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-activity-'));
  const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
  const clientIds = await seedActiveConnections(store, count);
  const module = await startActivityModule(store);
  const bare = await startBareActivity(store);
  return {
    store,
    module,
    bareUrl: bare.url,
    /** The CRM repeating what the connection already holds (a lookup, no write). */
    repeat: [activityRequest(clientIds[0]!, true)],
    /** {@link repeat} for the bare server's lookup-only route. */
    bareRepeat: [{ ...activityRequest(clientIds[0]!, true), path: '/activity-lookup' }],
    health: [{ method: 'GET', path: '/health' }] as LoadRequest[],
    flips: flips(clientIds),
    async close() {
      await module.close();
      await bare.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
