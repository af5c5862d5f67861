/**
 * Overhead of the CRM client over a bare undici request: `credentials()` (rate limiter off, policy check,
 * guarded connect, classification, zod validation) vs `undici.request` + `JSON.parse` to the same emulator
 * endpoint, in one process and one run, in interleaved rounds so drift affects both alike.
 * Target: ratio ≤ 1.15. Bounded: ROUNDS × CALLS calls per side (defaults 20 × 400), about 15 s in all.
 *
 * Run: npx tsx bench/client.ts [rounds] [callsPerRound]
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { createCrmClient, createCrmTransport, noRetries } from '../src/crm/index.js';
import { startEmulator } from '../src/emulator/index.js';

const ROUNDS = Number(process.argv[2] ?? 20);
const CALLS = Number(process.argv[3] ?? 400);
const CONCURRENCY = 4;

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

/** Wall time of `calls` calls; their CPU time (this process: client and emulator alike) goes to `cpu`. */
async function run(fn: () => Promise<void>, calls: number, cpu?: number[]): Promise<number> {
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
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpuStart);
  cpu?.push((used.user + used.system) / 1000);
  return wall;
}

// Warm-up: connections, JIT.
await run(bare, 300);
await run(client, 300);

const times = { bare: [] as number[], client: [] as number[] };
const cpu = { bare: [] as number[], client: [] as number[] };
for (let round = 0; round < ROUNDS; round += 1) {
  // Alternate who goes first, so neither side always runs on a warmer or cooler process.
  const order = round % 2 === 0 ? (['bare', 'client'] as const) : (['client', 'bare'] as const);
  for (const side of order) times[side].push(await run(side === 'bare' ? bare : client, CALLS, cpu[side]));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const perCall = (total: number) => (total / CALLS) * 1000; // µs
const bareUs = perCall(median(times.bare));
const clientUs = perCall(median(times.client));
const ratio = clientUs / bareUs;
const bareCpu = perCall(median(cpu.bare));
const clientCpu = perCall(median(cpu.client));
const cpuRatio = clientCpu / bareCpu;
console.log(`bench/client: ${ROUNDS} rounds × ${CALLS} calls, concurrency ${CONCURRENCY}, emulator rate limit off, client limiter off`);
console.log(`  wall  bare undici.request + JSON.parse : ${bareUs.toFixed(1)} µs/call (median round)`);
console.log(`  wall  crm.credentials()                : ${clientUs.toFixed(1)} µs/call (median round)`);
console.log(`  wall  ratio client/bare                : ${ratio.toFixed(3)} (target ≤ 1.15) ${ratio <= 1.15 ? 'OK' : 'OVER'}`);
console.log(`  cpu   bare ${bareCpu.toFixed(1)} µs/call, client ${clientCpu.toFixed(1)} µs/call (process CPU, emulator included)`);
console.log(`  cpu   ratio client/bare                : ${cpuRatio.toFixed(3)}`);
console.log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores (wall figures are noisy when other work shares the cores)`);

await transport.close();
await agent.close();
await emulator.close();
process.exitCode = ratio <= 1.15 ? 0 : 1;
