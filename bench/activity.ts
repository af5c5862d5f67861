/**
 * The activity callback (the hot path the CRM calls) against a bare Fastify route doing the same store work,
 * in one run, each measured twice in alternation. Target: throughput ratio ≥ 0.8.
 *
 *   npx tsx bench/activity.ts [--seconds 3] [--connections 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { defineModule } from '../src/connect/module-definition.js';
import { stateFromActivity } from '../src/connect/state.js';
import { startModule } from '../src/host/start-module.js';
import { Activity } from '../src/protocol/index.js';
import { generateKeyEntry } from '../src/store/keyring.js';
import { openConnectionStore } from '../src/store/open-connection-store.js';
import { fmt, measure, type LoadRequest } from './lib/load.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, connections: { type: 'string', default: '2000' } } });
const seconds = Number(values.seconds);
const count = Number(values.connections);

const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-activity-'));
const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
const clientIds: string[] = [];
for (let i = 0; i < count; i++) {
  const { connection } = await store.saveConnect({
    moduleCode: 'bench',
    accountUrl: `https://shop${i}.retailcrm.ru`,
    apiKey: `key-${i}-${'x'.repeat(24)}`,
    settings: {},
    apiVersion: '5.0',
    scopes: [],
    newClientId: `client-${i}-${'c'.repeat(40)}`,
  });
  await store.update(connection.id, connection.version, { state: 'active', active: true });
  clientIds.push(connection.clientId);
}

const module = await startModule({
  module: defineModule({ integrationCode: 'bench', name: 'Bench', logo: 'https://bench.example/logo.svg', baseUrl: 'http://127.0.0.1' }),
  store,
  cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
  accountUrlPolicy: { allowLocal: true },
  logger: false,
});

// The baseline: the same form parsing and store work, with nothing of the kit around it.
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
await bare.listen({ port: 0, host: '127.0.0.1' });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;

// Every request flips one connection, so both servers really write (an identical repeat is a no-op in the kit).
const requests: LoadRequest[] = [false, true].flatMap((active) =>
  clientIds.map((clientId) => ({
    method: 'POST' as const,
    path: '/activity',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ clientId, activity: JSON.stringify({ active, freeze: false }), systemUrl: '' }).toString(),
  })),
);

const runs: { name: string; rps: number; p99: number; errors: number; non2xx: number }[] = [];
for (let round = 0; round < 2; round++) {
  for (const [name, url] of [['kit /activity', module.url], ['bare Fastify route', bareUrl]] as const) {
    const result = await measure({ url, requests, seconds, connections: 8 });
    runs.push({ name, ...result });
  }
}
const best = (name: string) => Math.max(...runs.filter((r) => r.name === name).map((r) => r.rps));
console.log(`activity callback vs bare route, ${count} connections, SQLite, ${seconds}s × 2 rounds each`);
for (const run of runs)
  console.log(`  ${run.name.padEnd(20)} ${fmt(run.rps).padStart(8)} req/s   p99 ${fmt(run.p99, 1)} ms   errors ${run.errors}, non-2xx ${run.non2xx}`);
const ratio = best('kit /activity') / best('bare Fastify route');
console.log(`ratio (best kit / best bare): ${fmt(ratio, 2)}  target ≥ 0.80  ${ratio >= 0.8 ? 'OK' : 'BELOW TARGET'}`);

await module.close();
await bare.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
