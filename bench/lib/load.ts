/**
 * A bounded HTTP load generator that runs in a child process, so the server under test keeps its own core.
 * The parent calls {@link measure}; the child is this file run directly with a JSON job on stdin.
 * Requests are cycled through in order, keeping `connections × pipelining` in flight, for `seconds` after a
 * warm-up. Prints nothing itself; returns requests/s and latency percentiles.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

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
}

export async function measure(job: LoadJob): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(job));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(output) as LoadResult;
}

async function run(job: LoadJob): Promise<LoadResult> {
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = '';
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => (input += chunk));
  process.stdin.on('end', async () => {
    process.stdout.write(JSON.stringify(await run(JSON.parse(input) as LoadJob)));
  });
}

/** `12,345` */
export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
