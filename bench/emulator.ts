/**
 * Benchmark of the emulator's hot path: `GET /api/credentials` (key lookup, rights, journal) with the rate limit
 * off, against a baseline in the same run: a bare Fastify route answering static JSON. The load comes from a
 * separate child process (bench/lib/load.ts), an undici Pool with pipelining, for a bounded time.
 *
 *   npx tsx bench/emulator.ts [--seconds 4] [--connections 16] [--pipelining 8]
 *
 * Prints req/s and p99 for both, and the ratio. Target: ≥ 10,000 req/s on a 2-core machine.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { startEmulator } from '../src/emulator/index.js';
import { fmt, measure, type LoadResult } from './lib/load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '16' },
    pipelining: { type: 'string', default: '8' },
  },
});

const baseline = Fastify({ logger: false });
const body = { success: true, credentials: [], scopes: ['integration_read'], siteAccess: 'access_full' };
baseline.get('/api/credentials', async () => body);
await baseline.listen({ port: 0, host: '127.0.0.1' });
const basePort = (baseline.server.address() as AddressInfo).port;

const crm = await startEmulator({ port: 0, rateLimit: false });
const { apiKey } = crm.createAccount({ name: 'bench' });

const load = (url: string, headers: Record<string, string>) =>
  measure({
    url,
    requests: [{ method: 'GET', path: '/api/credentials', headers }],
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
    connections: Number(values.connections),
    pipelining: Number(values.pipelining),
  });
const line = (r: LoadResult) =>
  `${fmt(r.rps).padStart(8)} req/s   p50 ${fmt(r.p50, 2)} ms   p99 ${fmt(r.p99, 2)} ms   (${r.requests} requests, ${r.errors} errors, ${r.non2xx} non-2xx)`;

console.log(`load: ${values.connections} connections × pipelining ${values.pipelining}, ${values.seconds} s after ${values.warmup} s warm-up, separate process`);
const base = await load(`http://127.0.0.1:${basePort}`, { host: `127.0.0.1:${basePort}` });
console.log(`baseline (bare Fastify, static JSON): ${line(base)}`);
const emu = await load(`http://127.0.0.1:${crm.port}`, { host: `bench.localhost:${crm.port}`, 'x-api-key': apiKey });
console.log(`emulator GET /api/credentials:       ${line(emu)}`);
const met = emu.rps >= 10_000 && emu.errors === 0 && emu.non2xx === 0;
console.log(`ratio emulator/baseline: ${fmt(emu.rps / base.rps, 2)}   target ≥ 10,000 req/s: ${met ? 'met' : 'NOT met'}`);
// A missed target fails the run (npm run bench, CI), not only the printed line.
if (!met) process.exitCode = 1;
await crm.close();
await baseline.close();
