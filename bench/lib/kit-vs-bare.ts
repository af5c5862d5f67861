/**
 * One comparison a bench makes: the kit's route against a bare Fastify route doing the same work, in alternating
 * rounds after a discarded warm-up round each, decided on the medians. Prints every round and the verdict.
 */
import { fmt, measure, type LoadRequest } from './load.js';

export interface KitVsBare {
  readonly title: string;
  readonly kit: { readonly name: string; readonly url: string };
  readonly bare: { readonly name: string; readonly url: string };
  readonly requests: readonly LoadRequest[];
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** The least median kit / median bare throughput that passes. */
  readonly target: number;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Runs the rounds and prints them; true when the median ratio meets the target and no request failed. */
export async function compareKitWithBare(job: KitVsBare): Promise<boolean> {
  const sides = [job.kit, job.bare];
  const { requests, seconds, connections } = job;
  // One discarded round each: JIT, the store's page cache and the pools warm up before anything counts.
  for (const side of sides) await measure({ url: side.url, requests, seconds: 1, connections });
  const runs: { name: string; rps: number; p99: number; errors: number; non2xx: number }[] = [];
  for (let round = 0; round < job.rounds; round++) {
    // Alternate which goes first, so a drift of the machine during a round hits both alike.
    for (const side of round % 2 === 0 ? sides : [...sides].reverse())
      runs.push({ name: side.name, ...(await measure({ url: side.url, requests, seconds, connections })) });
  }
  const of = (name: string, key: 'rps' | 'p99') => median(runs.filter((r) => r.name === name).map((r) => r[key]));
  console.log(`${job.title}, ${connections} concurrent connections, ${seconds}s × ${job.rounds} rounds each`);
  for (const run of runs)
    console.log(`  ${run.name.padEnd(22)} ${fmt(run.rps).padStart(8)} req/s   p99 ${fmt(run.p99, 1)} ms   errors ${run.errors}, non-2xx ${run.non2xx}`);
  for (const side of sides) console.log(`  median ${side.name.padEnd(22)} ${fmt(of(side.name, 'rps')).padStart(8)} req/s   p99 ${fmt(of(side.name, 'p99'), 1)} ms`);
  const ratio = of(job.kit.name, 'rps') / of(job.bare.name, 'rps');
  const failures = runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
  const met = ratio >= job.target && failures === 0;
  console.log(`ratio (median kit / median bare): ${fmt(ratio, 2)}  target ≥ ${fmt(job.target, 2)}  ${met ? 'OK' : 'NOT MET'}${failures ? ` (${failures} failed requests)` : ''}`);
  return met;
}
