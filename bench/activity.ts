/**
 * The activity callback (the hot path the CRM calls), three figures, each in alternating rounds, decided on the
 * median of the rounds' ratios (bench/lib/report.ts):
 * 1. repeated for one connection (a lookup, no write) against the same server's `/health`. Target ≥ 0.6.
 * 2. with a state change (every request flips a connection) against a bare Fastify route doing the same store work.
 *    Target ≥ 0.85.
 * 3. the cost of metrics: the same callback with observability on (Prometheus metrics and the recent-activity
 *    recorder) against it off. Target ≥ 0.95 (< 5% cost). The added work per callback is also measured directly,
 *    without HTTP.
 *
 *   node --import ./bench/lib/compiled.mjs bench/activity.ts [--seconds 1] [--connections 2000] [--rounds 15]
 */
import { parseArgs } from 'node:util';
import { createObservability, observeCallback, type Observed } from '../src/observability/index.js';
import { flips, resetStates, startActivityModule, startActivitySides } from './lib/activity-sides.js';
import { seedActiveConnections } from './lib/bench-store.js';
import { fmt, measure, type LoadRequest } from './lib/load.js';
import { alternate, BenchReport, median, ratios } from './lib/report.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '1' }, connections: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '15' } },
});
const seconds = Number(values.seconds);
const count = Number(values.connections);
const rounds = Number(values.rounds);
const CONCURRENCY = 16;
const report = new BenchReport('activity');

const sides = await startActivitySides(count);
const { store, module, bareUrl } = sides;
// A second set of connections for the module with metrics on, so neither run repeats the other's last flips.
const observedModule = await startActivityModule(store, createObservability({ metrics: true }));
const requests = sides.flips;
const observedRequests = flips(await seedActiveConnections(store, count, count));

const rate = (url: string, list: readonly LoadRequest[], flipping = false) => async () => {
  if (flipping) await resetStates(store);
  const result = await measure({ url, requests: list, seconds, connections: CONCURRENCY, warmupSeconds: 0 });
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return result.rps;
};

// 1. No write: the CRM repeating what the connection already holds, against the cheapest route of the same server.
const { repeat, health } = sides;
console.log(`activity callback repeated for one connection (no write) vs the same server's /health, ${CONCURRENCY} connections, ${seconds}s × ${rounds} rounds`);
const noWrite = await alternate(rounds, { activity: rate(module.url, repeat), health: rate(module.url, health), bare: rate(bareUrl, sides.bareRepeat) });
report.figure('activity, no write', noWrite.activity, { unit: 'req/s' });
report.figure('/health', noWrite.health, { unit: 'req/s' });
report.figure('bare route, same parsing and lookup, no write', noWrite.bare, { unit: 'req/s' });
report.figure('activity no write / health', ratios(noWrite.activity, noWrite.health), { target: { op: '>=', value: 0.6 } });
// Without a target: what the kit adds to the lookup itself, and how close to /health the lookup alone comes.
report.figure('activity no write / bare lookup route', ratios(noWrite.activity, noWrite.bare));
report.figure('bare lookup route / health (the most the target can reach)', ratios(noWrite.bare, noWrite.health));

// 2. A state change on every request, against the bare route.
console.log(`\nactivity callback with a state change vs bare route, ${count} connections, SQLite, ${CONCURRENCY} connections, ${seconds}s × ${rounds} rounds`);
const flipping = await alternate(rounds, { kit: rate(module.url, requests, true), bare: rate(bareUrl, requests, true) });
report.figure('kit /activity, state change', flipping.kit, { unit: 'req/s' });
report.figure('bare route, same store work', flipping.bare, { unit: 'req/s' });
report.figure('activity state change / bare route', ratios(flipping.kit, flipping.bare), { target: { op: '>=', value: 0.85 } });

// 3. The cost of metrics.
console.log(`\nactivity callback with metrics on vs off, ${seconds}s × ${rounds} rounds each, alternating`);
const metrics = await alternate(rounds, { off: rate(module.url, requests, true), on: rate(observedModule.url, observedRequests, true) });
report.figure('activity, metrics off', metrics.off, { unit: 'req/s' });
report.figure('activity, metrics on', metrics.on, { unit: 'req/s' });
const pairRatios = ratios(metrics.on, metrics.off);
const scraped = await (await fetch(`${observedModule.url}/metrics`)).text();
const served = /rcmk_callbacks_total\{action="activity",status="200"\} (\d+)/.exec(scraped)?.[1];
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
const shareOfCallback = (addedMicros * median(metrics.off)) / 1e6;
const share = metrics.off.length > 0 ? ` = ${fmt(shareOfCallback * 100, 2)}% of one callback at ${fmt(median(metrics.off))} req/s` : ' (no throughput round kept to compare it with)';
console.log(`  added per callback: ${fmt(addedMicros, 2)} µs (observer off ${fmt(median(perCall.off), 2)} µs, on ${fmt(median(perCall.on), 2)} µs, median of ${rounds})${share}`);
report.figure('metrics on / off', pairRatios, { target: { op: '>=', value: 0.95 } });
report.figure('metrics: added work per callback', perCall.on.map((on, i) => ((on - perCall.off[i]!) * median(metrics.off)) / 1e4), { unit: '% of a callback', target: { op: '<=', value: 5 } });
report.check('metrics were really on', served !== undefined && Number(served) > 0, `rcmk_callbacks_total{action="activity",status="200"} = ${served ?? 'missing'}`);

await observedModule.close();
await sides.close();
report.finish();
