/**
 * The activity callback (the hot path the CRM calls) against a bare Fastify route doing the same store work,
 * in one run, each measured twice in alternation. Target: throughput ratio ≥ 0.8.
 * Then the cost of metrics: the same callback with observability on (Prometheus metrics and the recent-activity
 * recorder) against it off, `--rounds` one-second rounds in alternating order (short rounds, so a round pair
 * sees the same machine); the median of the rounds' ratios. Target: ≥ 0.95 (< 5% cost). The added work per
 * callback is also measured directly, without HTTP.
 *
 *   npx tsx bench/activity.ts [--seconds 3] [--connections 2000] [--rounds 15]
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
import { createObservability, observeCallback, type Observed } from '../src/observability/index.js';
import { fmt, measure, type LoadRequest } from './lib/load.js';
import { seedActiveConnections } from './lib/bench-store.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, connections: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '15' } },
});
const seconds = Number(values.seconds);
const count = Number(values.connections);
const rounds = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-activity-'));
const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
const clientIds = await seedActiveConnections(store, count);
// A second set of connections for the module with metrics on, so neither run repeats the other's last flips.
const observedClientIds = await seedActiveConnections(store, count, count);

const startBenchModule = (observed: boolean) =>
  startModule({
    module: defineModule({ integrationCode: 'bench', name: 'Bench', logo: 'https://bench.example/logo.svg', baseUrl: 'http://127.0.0.1' }),
    store,
    cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
    accountUrlPolicy: { allowLocal: true },
    logger: false,
    ...(observed ? { observability: createObservability({ metrics: true }) } : {}),
  });
const module = await startBenchModule(false);
const observedModule = await startBenchModule(true);

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
const flips = (ids: readonly string[]): LoadRequest[] =>
  [false, true].flatMap((active) =>
    ids.map((clientId) => ({
      method: 'POST' as const,
      path: '/activity',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ clientId, activity: JSON.stringify({ active, freeze: false }), systemUrl: '' }).toString(),
    })),
  );
const requests = flips(clientIds);
const observedRequests = flips(observedClientIds);

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

// The cost of metrics, in alternating order so a drift of the machine hits both alike.
const variants = { off: { url: module.url, requests }, on: { url: observedModule.url, requests: observedRequests } };
const measured: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let round = 0; round < rounds; round++) {
  const order: readonly ('off' | 'on')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const variant of order) {
    const result = await measure({ url: variants[variant].url, requests: variants[variant].requests, seconds: 1, connections: 8 });
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`metrics ${variant}: ${result.errors} errors, ${result.non2xx} non-2xx`);
    measured[variant].push(result.rps);
  }
}
const median = (list: readonly number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
console.log(`\nactivity callback with metrics on vs off, 1s × ${rounds} rounds each, alternating`);
for (const variant of ['off', 'on'] as const)
  console.log(`  metrics ${variant.padEnd(3)}  median ${fmt(median(measured[variant])).padStart(8)} req/s   rounds ${measured[variant].map((r) => fmt(r)).join(', ')}`);
// Each round measured both back to back: the median of the rounds' own ratios cancels the machine's drift
// between rounds better than a ratio of medians does.
const pairRatios = measured.on.map((on, i) => on / measured.off[i]!);
const metricsRatio = median(pairRatios);
console.log(`  per-round ratios on/off: ${pairRatios.map((r) => fmt(r, 3)).join(', ')}`);
const spread = `${fmt(Math.min(...pairRatios), 2)}–${fmt(Math.max(...pairRatios), 2)}`;
console.log(`ratio (median of the rounds' on/off): ${fmt(metricsRatio, 3)}  cost ${fmt((1 - metricsRatio) * 100, 1)}%  target ≥ 0.95  ${metricsRatio >= 0.95 ? 'OK' : 'BELOW TARGET'}  (rounds ranged ${spread})`);
const scraped = await (await fetch(`${observedModule.url}/metrics`)).text();
const served = /rcmk_callbacks_total\{action="activity",status="200"\} (\d+)/.exec(scraped)?.[1];
console.log(`  (the metrics were really on: rcmk_callbacks_total{action="activity",status="200"} = ${served ?? 'missing'})`);
// The added work per callback, measured directly: the throughput above moves with whatever else the machine runs.
const outcome = { status: 200 as const, body: { success: true as const }, connectionId: 'bench-connection' };
const handler = async () => outcome;
const microsPerCallback = async (owner: Observed): Promise<number> => {
  const n = 200_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) await observeCallback(owner, 'activity', handler);
  return ((performance.now() - started) * 1000) / n;
};
const perCall: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let round = 0; round < rounds; round++) {
  perCall.off.push(await microsPerCallback(module.kit));
  perCall.on.push(await microsPerCallback(observedModule.kit));
}
const addedMicros = median(perCall.on) - median(perCall.off);
const shareOfCallback = (addedMicros * median(measured.off)) / 1e6;
console.log(`  added per callback: ${fmt(addedMicros, 2)} µs (observer off ${fmt(median(perCall.off), 2)} µs, on ${fmt(median(perCall.on), 2)} µs, median of ${rounds}) = ${fmt(shareOfCallback * 100, 2)}% of one callback at ${fmt(median(measured.off))} req/s  target < 5%  ${shareOfCallback < 0.05 ? 'OK' : 'BELOW TARGET'}`);
// The verdict: the throughput ratio when the rounds agree; on a machine so busy that they do not (a spread wider
// than the 5% being measured), the direct measurement of the added work decides, and the line above says so.
const noisy = Math.max(...pairRatios) - Math.min(...pairRatios) > 0.1;
const metricsOk = noisy ? shareOfCallback < 0.05 : metricsRatio >= 0.95;
if (noisy) console.log(`  the rounds disagree by more than 10% (${spread}): judged by the added work per callback`);

await observedModule.close();
await module.close();
await bare.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
if (ratio < 0.8 || !metricsOk) process.exitCode = 1;
