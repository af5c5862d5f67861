/**
 * Benchmark of the emulator's hot path: `GET /api/credentials` (key lookup, rights, journal) with the rate limit
 * off, against a baseline in the same run: a bare Fastify route answering static JSON. The load comes from a
 * separate child process (this file, run with `--load`), an undici Pool with pipelining, for a bounded time.
 *
 *   npx tsx bench/emulator.ts [--seconds 4] [--connections 16] [--pipelining 8]
 *
 * Prints req/s and p99 for both, and the ratio. Target: ≥ 10,000 req/s on a 2-core machine.
 * @module
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { startEmulator } from '../src/emulator/index.js';

interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
}

const { values } = parseArgs({
  options: {
    load: { type: 'boolean', default: false },
    url: { type: 'string' },
    host: { type: 'string' },
    key: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '16' },
    pipelining: { type: 'string', default: '8' },
  },
});

/** The load generator (child process): keeps connections × pipelining requests in flight until time is up. */
async function runLoad(): Promise<void> {
  const connections = Number(values.connections);
  const pipelining = Number(values.pipelining);
  const pool = new Pool(values.url!, { connections, pipelining });
  const headers: Record<string, string> = { host: values.host! };
  if (values.key) headers['x-api-key'] = values.key;
  const run = async (seconds: number, latencies: number[] | null) => {
    const end = performance.now() + seconds * 1000;
    let requests = 0;
    let errors = 0;
    let non2xx = 0;
    const worker = async () => {
      while (performance.now() < end) {
        const started = performance.now();
        try {
          const response = await pool.request({ path: '/api/credentials', method: 'GET', headers });
          await response.body.dump();
          if (response.statusCode >= 300) non2xx++;
        } catch {
          errors++;
        }
        requests++;
        latencies?.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: connections * pipelining }, worker));
    return { requests, errors, non2xx };
  };
  await run(Number(values.warmup), null);
  const latencies: number[] = [];
  const started = performance.now();
  const { requests, errors, non2xx } = await run(Number(values.seconds), latencies);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  await pool.close();
  const result: LoadResult = { requests, errors, non2xx, seconds, rps: requests / seconds, p50: pct(0.5), p99: pct(0.99) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function loadFrom(url: string, host: string, key?: string): Promise<LoadResult> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--load', '--url', url, '--host', host];
  if (key) args.push('--key', key);
  for (const name of ['seconds', 'warmup', 'connections', 'pipelining'] as const) args.push(`--${name}`, String(values[name]));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const baseline = Fastify({ logger: false });
  const body = { success: true, credentials: [], scopes: ['integration_read'], siteAccess: 'access_full' };
  baseline.get('/api/credentials', async () => body);
  await baseline.listen({ port: 0, host: '127.0.0.1' });
  const basePort = (baseline.server.address() as AddressInfo).port;

  const crm = await startEmulator({ port: 0, rateLimit: false });
  const { apiKey } = crm.createAccount({ name: 'bench' });

  const fmt = (r: LoadResult) =>
    `${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   (${r.requests} requests, ${r.errors} errors, ${r.non2xx} non-2xx)`;
  console.log(`load: ${values.connections} connections × pipelining ${values.pipelining}, ${values.seconds} s after ${values.warmup} s warm-up, separate process`);
  const base = await loadFrom(`http://127.0.0.1:${basePort}`, `127.0.0.1:${basePort}`);
  console.log(`baseline (bare Fastify, static JSON): ${fmt(base)}`);
  const emu = await loadFrom(`http://127.0.0.1:${crm.port}`, `bench.localhost:${crm.port}`, apiKey);
  console.log(`emulator GET /api/credentials:       ${fmt(emu)}`);
  console.log(`ratio emulator/baseline: ${(emu.rps / base.rps).toFixed(2)}   target ≥ 10,000 req/s: ${emu.rps >= 10_000 && emu.errors === 0 && emu.non2xx === 0 ? 'met' : 'NOT met'}`);
  await crm.close();
  await baseline.close();
}

await (values.load ? runLoad() : main());
