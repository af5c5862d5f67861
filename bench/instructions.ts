/**
 * The kit against its baselines by instructions executed per request, counted by valgrind's callgrind: a figure
 * that does not depend on the day. Wall-clock and CPU-time ratios move with whatever the host runs beside us (on
 * the VMs we bench on, the same loop takes 0.7–1.1 s from one run to the next); an instruction count of the same
 * code on the same input repeats to a fraction of a percent.
 *
 * Per scenario, one server process runs under callgrind (bench/lib/instructions-server.ts) with every side of the
 * comparison in it. Each side is warmed up, then in alternating rounds: counters zeroed, `--requests` requests sent
 * from this process (plain node, outside valgrind, 16 in flight), counters dumped. Instructions per request =
 * the dump's total / requests; ratios are baseline / kit, read like a throughput ratio, decided on the median.
 * Targets are the wall-clock benches' (callbacks, delivery ≥ 0.90; activity no write / health ≥ 0.6; activity with
 * a state change / bare ≥ 0.85). What a count leaves out: time spent waiting (syscalls cost their instructions in
 * the process only, not in the kernel), cache misses, and the cost of other threads' contention.
 *
 *   node --import ./bench/lib/compiled.mjs bench/instructions.ts [--only callbacks,delivery,activity,activity-write] [--requests 2000] [--rounds 3]
 *
 * Needs valgrind (Debian's package); without it, it says so and exits 0 with no figure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { LoadRequest } from './lib/load.js';
import { BenchReport, ratios } from './lib/report.js';
import { compiledLoader } from './lib/runner.js';

const { values } = parseArgs({
  options: { only: { type: 'string' }, requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' }, warmup: { type: 'string', default: '3000' } },
});
const perRound = Number(values.requests);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const report = new BenchReport('instructions');

type Sides = Record<string, { readonly url: string; readonly requests: readonly LoadRequest[] }>;
interface Comparison {
  readonly figure: string;
  readonly kit: string;
  readonly base: string;
  readonly target: number;
}
const SCENARIOS: Record<string, readonly Comparison[]> = {
  callbacks: [{ figure: 'declared callback / bare route', kit: 'kit', base: 'bare', target: 0.9 }],
  delivery: [{ figure: 'delivery calculate / bare route', kit: 'kit', base: 'bare', target: 0.9 }],
  activity: [{ figure: 'activity no write / health', kit: 'activity, no write', base: '/health', target: 0.6 }],
  'activity-write': [{ figure: 'activity state change / bare route', kit: 'activity, state change', base: 'bare route, same store work', target: 0.85 }],
};
/** The server scenario each comparison runs in (bench/lib/instructions-server.ts). */
const SERVER: Record<string, string> = { callbacks: 'callbacks', delivery: 'delivery', activity: 'activity', 'activity-write': 'activity' };

/** Sends `count` requests cycling through `requests`, 16 in flight; throws on any non-2xx. */
async function send(url: string, requests: readonly LoadRequest[], count: number, offset: number): Promise<void> {
  const pool = new Pool(url, { connections: 16 });
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const r = requests[(offset + next++) % requests.length]!;
          const response = await pool.request({ method: r.method, path: r.path, headers: r.headers ?? {}, body: r.body ?? null });
          await response.body.dump();
          if (response.statusCode >= 300) throw new Error(`${r.method} ${r.path} answered ${response.statusCode}`);
        }
      }),
    );
  } finally {
    await pool.close();
  }
}

const control = (flag: '-z' | '-d', pid: number) => {
  const result = spawnSync('callgrind_control', [flag, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0 || !result.stdout.includes('OK')) throw new Error(`callgrind_control ${flag} failed: ${result.stdout}${result.stderr}`);
};

/** Instructions in the newest dump of `pid` (callgrind numbers its dumps .1, .2, ...). */
function lastDump(dir: string, pid: number): number {
  const dumps = readdirSync(dir).filter((name) => name.startsWith(`cg.${pid}.`)).sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()));
  const text = readFileSync(join(dir, dumps[0]!), 'utf8');
  const total = /^(?:summary|totals): (\d+)/m.exec(text)?.[1];
  if (total === undefined) throw new Error(`no total in ${dumps[0]}`);
  return Number(total);
}

async function scenario(name: string, comparisons: readonly Comparison[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-instructions-'));
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'cg.%p')}`, process.execPath, ...(process.env.BENCH_V8_FLAGS ?? '--predictable').split(' ').filter(Boolean), '--import', compiledLoader, 'bench/lib/instructions-server.ts', SERVER[name]!],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  try {
    const first = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the ${name} server under valgrind exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', resolve);
    });
    const sides = (JSON.parse(first) as { sides: Sides }).sides;
    const names = [...new Set(comparisons.flatMap((c) => [c.kit, c.base]))];
    for (const side of names) await send(sides[side]!.url, sides[side]!.requests, warmup, 0);
    const counts: Record<string, number[]> = Object.fromEntries(names.map((side) => [side, []]));
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? names : [...names].reverse()) {
        control('-z', child.pid!);
        await send(sides[side]!.url, sides[side]!.requests, perRound, warmup + round * perRound);
        control('-d', child.pid!);
        counts[side]!.push(lastDump(dir, child.pid!) / perRound);
      }
    }
    console.log(`${name}: ${perRound} requests a round, ${rounds} rounds, after ${warmup} warm-up requests a side`);
    for (const side of names) report.figure(`${side}, instructions per request`, counts[side]!, { unit: 'instr' });
    for (const c of comparisons) report.figure(`${c.figure}, by instructions`, ratios(counts[c.base]!, counts[c.kit]!), { target: { op: '>=', value: c.target } });
  } finally {
    child.stdin!.end();
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (spawnSync('valgrind', ['--version']).error !== undefined) {
  console.log('valgrind is not installed (apt-get install -y valgrind): no instruction counts');
} else {
  const chosen = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(SCENARIOS);
  for (const name of chosen) {
    const comparisons = SCENARIOS[name];
    if (!comparisons) throw new Error(`unknown scenario "${name}": ${Object.keys(SCENARIOS).join(', ')}`);
    await scenario(name, comparisons);
  }
}
report.finish();
