/**
 * Bounded HTTP load in a child process, so the server under test keeps its own core: wrk when it is installed
 * (see {@link loadGenerator}), else this file run directly with a JSON job on stdin (undici). The parent calls
 * {@link measure}. Requests are cycled through in order, keeping `connections` (× `pipelining`, Node only) in
 * flight, for `seconds` after a warm-up. Prints nothing itself; returns requests/s, latency percentiles and the
 * CPU this process spent per request.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { tsNodeArgs } from './runner.js';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface LoadJob {
  readonly url: string;
  readonly requests: readonly LoadRequest[];
  readonly seconds: number;
  readonly warmupSeconds?: number;
  readonly connections?: number;
  readonly pipelining?: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /**
   * CPU (user + system, all threads) this process spent per request during the measured run, in µs: the cost of a
   * request when the server under test runs in this process (the benches' servers do), which the machine's
   * scheduling moves less than throughput. (With the Node generator its warm-up is counted in too: pass
   * `warmupSeconds: 0` where this matters.)
   */
  readonly cpuMicros: number;
}

/**
 * Which load generator {@link measure} uses: wrk (Debian's package, C: it leaves the server more of a shared core)
 * when it is on PATH, else the Node one below. `BENCH_LOADGEN=node` forces the Node one. Ratios compare sides
 * measured by the same generator in the same run, so either gives a fair ratio; absolute rates differ.
 */
export const loadGenerator: 'wrk' | 'node' =
  process.env.BENCH_LOADGEN !== 'node' && spawnSync('wrk', ['--version']).error === undefined ? 'wrk' : 'node';

/** Whether the load generator runs pinned to a core of its own (`taskset`, util-linux), see {@link pinBench}. */
let pinned = false;
let pinAttempted = false;

/**
 * Pins this process (the servers under test) to the first core and, from then on, the load generator to the last,
 * so that the two never compete for one core. A no-op on one core, without `taskset`, or with `BENCH_PIN=0`.
 */
export function pinBench(): void {
  pinAttempted = true;
  if (cpus().length < 2 || loadGenerator !== 'wrk' || process.env.BENCH_PIN === '0') return;
  const result = spawnSync('taskset', ['-a', '-cp', `0-${Math.max(0, cpus().length - 2)}`, String(process.pid)]);
  pinned = result.status === 0;
}

export async function measure(job: LoadJob): Promise<LoadResult> {
  if (!pinAttempted) pinBench();
  if (loadGenerator === 'wrk') return measureWithWrk(job);
  return withCpu(() => measureWithNode(job));
}

async function withCpu(run: () => Promise<Omit<LoadResult, 'cpuMicros'>>): Promise<LoadResult> {
  const started = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(started);
  return { ...result, cpuMicros: (used.user + used.system) / Math.max(1, result.requests) };
}

async function measureWithNode(job: LoadJob): Promise<Omit<LoadResult, 'cpuMicros'>> {
  const child = spawn(process.execPath, tsNodeArgs(fileURLToPath(import.meta.url)), { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(job));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(output) as Omit<LoadResult, 'cpuMicros'>;
}

async function run(job: LoadJob): Promise<Omit<LoadResult, 'cpuMicros'>> {
  const connections = job.connections ?? 8;
  const pipelining = job.pipelining ?? 1;
  const pool = new Pool(job.url, { connections, pipelining });
  let next = 0;
  const phase = async (seconds: number, latencies: number[] | null) => {
    const end = performance.now() + seconds * 1000;
    let requests = 0;
    let errors = 0;
    let non2xx = 0;
    const worker = async () => {
      while (performance.now() < end) {
        const request = job.requests[next++ % job.requests.length]!;
        const started = performance.now();
        try {
          const response = await pool.request({ ...request, headers: request.headers ?? {} });
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
  await phase(job.warmupSeconds ?? 1, null);
  const latencies: number[] = [];
  const started = performance.now();
  const counts = await phase(job.seconds, latencies);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
  return { ...counts, rps: counts.requests / elapsed, p50: pct(0.5), p99: pct(0.99) };
}

/** A Lua long string that no request can end early: its level is above any `]=…=]` in the text. */
function luaString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

const WRK_SCRIPT = `
local index = 0
request = function()
  index = index % #requests + 1
  return requests[index]
end
done = function(summary, latency)
  local e = summary.errors
  io.write(string.format('\\n@@{"requests":%d,"errors":%d,"non2xx":%d,"micros":%d,"p50":%f,"p99":%f}\\n',
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
`;

/** The same job through wrk: one thread, `connections` connections (wrk does not pipeline), a warm-up run first. */
async function measureWithWrk(job: LoadJob): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-wrk-'));
  try {
    const formatted = job.requests.map((r) => {
      // wrk.format adds no Host header of its own when given headers.
      const headers = Object.entries({ host: new URL(job.url).host, ...r.headers }).map(([name, value]) => `[ ${luaString(name)} ]=${luaString(value)}`).join(',');
      return `requests[#requests+1] = wrk.format(${luaString(r.method)}, ${luaString(r.path)}, {${headers}}, ${r.body === undefined ? 'nil' : luaString(r.body)})`;
    });
    const script = join(dir, 'job.lua');
    writeFileSync(script, `requests = {}\n${formatted.join('\n')}\n${WRK_SCRIPT}`);
    const run = async (seconds: number): Promise<Omit<LoadResult, 'cpuMicros'>> => {
      const args = ['-t1', `-c${job.connections ?? 8}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '10s', '-s', script, job.url];
      // On a machine with cores to spare, wrk gets its own core (the last), away from the server's.
      const child = pinned ? spawn('taskset', ['-c', String(cpus().length - 1), 'wrk', ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const line = /@@(\{.*\})/.exec(output)?.[1];
      if (code !== 0 || !line) throw new Error(`wrk exited with ${code}: ${output.slice(-500)}`);
      const r = JSON.parse(line) as { requests: number; errors: number; non2xx: number; micros: number; p50: number; p99: number };
      return { requests: r.requests, errors: r.errors, non2xx: r.non2xx, rps: r.requests / (r.micros / 1e6), p50: r.p50, p99: r.p99 };
    };
    if ((job.warmupSeconds ?? 1) > 0) await run(job.warmupSeconds ?? 1);
    return await withCpu(() => run(job.seconds));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = '';
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => (input += chunk));
  process.stdin.on('end', async () => {
    process.stdout.write(JSON.stringify(await run(JSON.parse(input) as LoadJob)));
  });
}

/** `12,345` */
export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
