/**
 * How every bench measures and decides (issue 17): each side runs in alternation for several rounds after a
 * discarded warm-up, each figure is printed as min / median / max, the machine's load average is printed before and
 * after, and a target is decided on the median. A missed target sets the exit code (the regression guard: a bench
 * run, never a timed unit test). With `BENCH_REPORT=<file>` the figures are also appended to that file as JSON
 * lines, which `bench/run-all.ts` turns into one table.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

/** One line of the table: a figure over the rounds, and its target when it has one. */
export interface FigureLine extends Spread {
  readonly bench: string;
  readonly figure: string;
  readonly unit: string;
  readonly rounds: number;
  readonly target?: Target;
  readonly met?: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/** `12,345`, or `1.23` with digits. */
export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Enough digits that a ratio near 1 and a rate of thousands both read well. */
export const fmtAuto = (n: number): string => fmt(n, Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 3);

const load = () => loadavg()[0]!.toFixed(2);

/**
 * CPU time the hypervisor took from this VM (`steal` in /proc/stat) and all CPU time, in ticks, since boot. This
 * machine's vCPUs are throttled by their host in bursts: a round during which it stole a share of the CPU measured
 * the host, not our code. `undefined` where /proc/stat does not exist.
 */
function cpuTicks(): { steal: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { steal: fields[7] ?? 0, total: fields.reduce((sum, n) => sum + n, 0) };
  } catch {
    return undefined;
  }
}

/** Runs `work` and tells which share of the machine's CPU time the host stole meanwhile (0 when unknown). */
export async function withSteal<V>(work: () => Promise<V>): Promise<{ value: V; steal: number }> {
  const before = cpuTicks();
  const value = await work();
  const after = cpuTicks();
  const total = before && after ? after.total - before.total : 0;
  return { value, steal: before && after && total > 0 ? (after.steal - before.steal) / total : 0 };
}

/**
 * Rounds of a pair whose two runs each saw at most this share of stolen CPU count; the others are dropped.
 * `BENCH_MAX_STEAL` (a fraction) raises it on a host that steals all the time, which the report then shows.
 */
export const MAX_STEAL = Number.isFinite(Number(process.env.BENCH_MAX_STEAL)) && process.env.BENCH_MAX_STEAL ? Number(process.env.BENCH_MAX_STEAL) : 0.02;

/**
 * Runs `sides` in alternation for `rounds` rounds (the order flips every round, so a drift of the machine hits all
 * alike) after one discarded warm-up run each. Returns every side's values in round order; rounds in which the
 * host stole more than {@link MAX_STEAL} of the CPU from any side are dropped for all sides (and counted in
 * `dropped`), and more rounds are run in their place, up to twice as many in all.
 */
export async function alternate<K extends string, V>(
  rounds: number,
  sides: Readonly<Record<K, () => Promise<V>>>,
  options: { readonly warmup?: boolean } = {},
): Promise<Record<K, V[]> & { readonly dropped: number }> {
  const names = Object.keys(sides) as K[];
  if (options.warmup !== false) for (const name of names) await sides[name]();
  const values = Object.fromEntries(names.map((name) => [name, [] as V[]])) as Record<K, V[]>;
  let dropped = 0;
  for (let round = 0; values[names[0]!].length < rounds && round < rounds * 2; round++) {
    const taken = {} as Record<K, V>;
    let stolen = 0;
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const { value, steal } = await withSteal(sides[name]);
      taken[name] = value;
      stolen = Math.max(stolen, steal);
    }
    if (stolen > MAX_STEAL) {
      dropped++;
      continue;
    }
    for (const name of names) values[name].push(taken[name]);
  }
  if (dropped > 0) console.log(`  (${dropped} round(s) dropped: the host stole more than ${MAX_STEAL * 100}% of the CPU during them)`);
  return Object.assign(values, { dropped });
}

/** Pairs two sides' values round by round: the ratio of each round's pair (a drift between rounds cancels). */
export const ratios = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => x / b[i]!);

/** The figures of one bench, printed as they come and summed up by {@link BenchReport.finish}. */
export class BenchReport {
  readonly #bench: string;
  readonly #lines: FigureLine[] = [];
  readonly #loadBefore = load();
  readonly #ticksBefore = cpuTicks();

  constructor(bench: string) {
    this.#bench = bench;
    console.log(`load average before: ${this.#loadBefore} (${cpus().length} cores)`);
  }

  /** Prints one figure over its rounds; with a target, decides it on the median. */
  figure(figure: string, measured: readonly number[], options: { readonly unit?: string; readonly target?: Target } = {}): boolean {
    // A figure derived from a side whose rounds were all dropped comes out NaN: it is no round either.
    const values = measured.filter(Number.isFinite);
    // Every round dropped (the host took the CPU throughout): no figure, and a target cannot count as met.
    if (values.length === 0) {
      this.#lines.push({ bench: this.#bench, figure, unit: options.unit ?? '', rounds: 0, min: Number.NaN, median: Number.NaN, max: Number.NaN, ...(options.target ? { target: options.target } : {}), met: false });
      console.log(`  ${figure}: no round kept: the machine was not quiet enough to measure   MISSED`);
      return false;
    }
    const s = spread(values);
    const target = options.target;
    const met = target === undefined ? undefined : target.op === '>=' ? s.median >= target.value : s.median <= target.value;
    const unit = options.unit ?? '';
    const line: FigureLine = { bench: this.#bench, figure, unit, rounds: values.length, ...s, ...(target ? { target, met: met! } : {}) };
    this.#lines.push(line);
    const verdict = target ? `   target ${target.op} ${fmtAuto(target.value)}  ${met ? 'OK' : 'MISSED'}` : '';
    console.log(`  ${figure}: median ${fmtAuto(s.median)}${unit ? ` ${unit}` : ''} (min ${fmtAuto(s.min)}, max ${fmtAuto(s.max)}, ${values.length} rounds)${verdict}`);
    return met ?? true;
  }

  /** A condition that is not a figure (no failed request, no 503): a miss like any other. */
  check(figure: string, ok: boolean, detail: string): boolean {
    this.#lines.push({ bench: this.#bench, figure, unit: '', rounds: 1, min: Number(ok), median: Number(ok), max: Number(ok), target: { op: '>=', value: 1 }, met: ok });
    console.log(`  ${figure}: ${detail}   ${ok ? 'OK' : 'MISSED'}`);
    return ok;
  }

  get missed(): number {
    return this.#lines.filter((line) => line.met === false).length;
  }

  /** Prints the load after and the verdict, writes the JSON lines, sets the exit code. */
  finish(): void {
    const after = load();
    const ticks = cpuTicks();
    const steal = this.#ticksBefore && ticks && ticks.total > this.#ticksBefore.total ? (ticks.steal - this.#ticksBefore.steal) / (ticks.total - this.#ticksBefore.total) : 0;
    console.log(`load average after: ${after}, CPU stolen by the host during the bench: ${(steal * 100).toFixed(1)}%; ${this.missed === 0 ? 'every target met' : `${this.missed} target(s) MISSED`}`);
    const file = process.env.BENCH_REPORT;
    if (file) {
      const lines = this.#lines.map((line) => JSON.stringify({ ...line, loadBefore: Number(this.#loadBefore), loadAfter: Number(after), steal }));
      appendFileSync(file, `${lines.join('\n')}\n`);
    }
    if (this.missed > 0) process.exitCode = 1;
  }
}
