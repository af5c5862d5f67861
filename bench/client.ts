/**
 * Overhead of the CRM client over a bare undici request: `credentials()` (rate limiter off, policy check,
 * guarded connect, classification, zod validation) vs `undici.request` + `JSON.parse` to the same emulator
 * endpoint, in one process and one run, in rounds whose calls alternate between the sides in small chunks.
 * Targets, on the median of the rounds' ratios: wall ≤ 1.10 and CPU ≤ 1.10 (process CPU: client and emulator alike,
 * so the ratio understates the client's own share). Bounded: ROUNDS × CALLS calls per side (defaults 20 × 400).
 *
 * Run: node --import ./bench/lib/compiled.mjs bench/client.ts [rounds] [callsPerRound]
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { createCrmClient, createCrmTransport, noRetries } from '../src/crm/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { BenchReport, ratios } from './lib/report.js';

const ROUNDS = Number(process.argv[2] ?? 30);
const CALLS = Number(process.argv[3] ?? 400);
const CONCURRENCY = 4;
const TARGET = 1.1;
const report = new BenchReport('client');

const emulator = await startEmulator({ port: 0, rateLimit: false });
const { apiKey, url } = emulator.createAccount({ name: 'bench' });
const transport = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: false });
const crm = createCrmClient({ accountUrl: url, apiKey, transport, retry: noRetries });

// The bare side: the same pool settings, connecting to 127.0.0.1 with the account's Host header, as any Node
// client must for `*.localhost` (STACK pitfall 13).
const agent = new Agent({ connections: 10, keepAliveTimeout: 10_000 });
const bareUrl = `http://127.0.0.1:${emulator.port}/api/credentials`;
const host = new URL(url).host;
async function bare(): Promise<void> {
  const response = await request(bareUrl, { dispatcher: agent, headers: { 'x-api-key': apiKey, host, accept: 'application/json' } });
  const body = (await response.body.json()) as { success?: boolean };
  if (response.statusCode !== 200 || body.success !== true) throw new Error(`bare request failed: ${response.statusCode}`);
}
async function client(): Promise<void> {
  await crm.credentials();
}

/** Wall and CPU time (this process: client and emulator alike) of `calls` calls of `fn`, in ms. */
async function chunk(fn: () => Promise<void>, calls: number): Promise<{ wall: number; cpu: number }> {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) {
        next += 1;
        await fn();
      }
    }),
  );
  const used = process.cpuUsage(cpuStart);
  return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
}

/**
 * One round: `CALLS` calls of each side, in chunks of `CHUNK` that alternate between the sides. This machine's
 * speed changes within a second (a CPU quota throttles it); sides that take turns every few milliseconds see the
 * same speed, sides that take turns every round do not. Returns µs per call.
 */
const CHUNK = 10;
async function round(order: readonly ('bare' | 'client')[]): Promise<Record<'bare' | 'client', { wall: number; cpu: number }>> {
  const sum = { bare: { wall: 0, cpu: 0 }, client: { wall: 0, cpu: 0 } };
  for (let done = 0; done < CALLS; done += CHUNK) {
    for (const side of order) {
      const took = await chunk(side === 'bare' ? bare : client, CHUNK);
      sum[side].wall += took.wall;
      sum[side].cpu += took.cpu;
    }
    order = [...order].reverse();
  }
  const perCall = (ms: number) => (ms / CALLS) * 1000;
  return { bare: { wall: perCall(sum.bare.wall), cpu: perCall(sum.bare.cpu) }, client: { wall: perCall(sum.client.wall), cpu: perCall(sum.client.cpu) } };
}

// Warm-up: connections, JIT.
await round(['bare', 'client']);

console.log(`bench/client: ${ROUNDS} rounds × ${CALLS} calls a side in alternating chunks of ${CHUNK}, concurrency ${CONCURRENCY}, emulator rate limit off, client limiter off`);
const results = [];
for (let i = 0; i < ROUNDS; i++) results.push(await round(i % 2 === 0 ? ['bare', 'client'] : ['client', 'bare']));
const rounds = { bare: results.map((r) => r.bare), client: results.map((r) => r.client) };
const of = (side: 'bare' | 'client', key: 'wall' | 'cpu') => rounds[side].map((r) => r[key]);
report.figure('bare undici.request + JSON.parse, wall', of('bare', 'wall'), { unit: 'µs/call' });
report.figure('crm.credentials(), wall', of('client', 'wall'), { unit: 'µs/call' });
report.figure('client / bare, wall', ratios(of('client', 'wall'), of('bare', 'wall')), { target: { op: '<=', value: TARGET } });
report.figure('bare, CPU', of('bare', 'cpu'), { unit: 'µs/call' });
report.figure('crm.credentials(), CPU', of('client', 'cpu'), { unit: 'µs/call' });
report.figure('client / bare, CPU', ratios(of('client', 'cpu'), of('bare', 'cpu')), { target: { op: '<=', value: TARGET } });

await transport.close();
await agent.close();
await emulator.close();
report.finish();
