/**
 * Benchmark of the emulator's hot path: `GET /api/credentials` (key lookup, rights, journal) with the rate limit
 * off, against a baseline in the same run: a bare Fastify route answering static JSON. The load comes from a
 * separate child process (bench/lib/load.ts: wrk when installed), in alternating rounds.
 *
 *   node --import ./bench/lib/compiled.mjs bench/emulator.ts [--seconds 1] [--rounds 7] [--connections 16] [--pipelining 8]
 *
 * Prints req/s and p99 for both, and the ratio. Target: median ≥ 10,000 req/s on a 2-core machine (an absolute
 * figure: the emulator is a test tool, and this is the rate that keeps a test suite's load off its critical path).
 * @module
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { startEmulator } from '../src/emulator/index.js';
import { measure } from './lib/load.js';
import { alternate, BenchReport, ratios } from './lib/report.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '7' },
    connections: { type: 'string', default: '16' },
    pipelining: { type: 'string', default: '8' },
  },
});

const report = new BenchReport('emulator');
const baseline = Fastify({ logger: false });
const body = { success: true, credentials: [], scopes: ['integration_read'], siteAccess: 'access_full' };
baseline.get('/api/credentials', async () => body);
await baseline.listen({ port: 0, host: '127.0.0.1' });
const basePort = (baseline.server.address() as AddressInfo).port;

const crm = await startEmulator({ port: 0, rateLimit: false });
const { apiKey } = crm.createAccount({ name: 'bench' });

const load = (url: string, headers: Record<string, string>) => () =>
  measure({
    url,
    requests: [{ method: 'GET', path: '/api/credentials', headers }],
    seconds: Number(values.seconds),
    warmupSeconds: 0,
    connections: Number(values.connections),
    pipelining: Number(values.pipelining),
  });

console.log(`load: ${values.connections} connections (pipelining ${values.pipelining} with the Node generator), ${values.seconds} s × ${values.rounds} rounds, separate process`);
const runs = await alternate(Number(values.rounds), {
  base: load(`http://127.0.0.1:${basePort}`, { host: `127.0.0.1:${basePort}` }),
  emu: load(`http://127.0.0.1:${crm.port}`, { host: `bench.localhost:${crm.port}`, 'x-api-key': apiKey }),
});
report.figure('bare Fastify, static JSON', runs.base.map((r) => r.rps), { unit: 'req/s' });
report.figure('emulator GET /api/credentials', runs.emu.map((r) => r.rps), { unit: 'req/s', target: { op: '>=', value: 10_000 } });
report.figure('emulator p99', runs.emu.map((r) => r.p99), { unit: 'ms' });
report.figure('emulator / bare', ratios(runs.emu.map((r) => r.rps), runs.base.map((r) => r.rps)));
const failed = runs.emu.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
report.check('emulator: failed requests', failed === 0, `${failed} failed or non-2xx`);
await crm.close();
await baseline.close();
report.finish();
