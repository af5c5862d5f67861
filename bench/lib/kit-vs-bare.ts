/**
 * One comparison a bench makes: the kit's route against a bare Fastify route doing the same work, in alternating
 * rounds after a discarded warm-up round each. Prints every round, then throughput, p99 and the per-round ratio as
 * min / median / max; the target is decided on the median ratio.
 */
import { measure, type LoadRequest, type LoadResult } from './load.js';
import { alternate, type BenchReport, fmt, ratios } from './report.js';

export interface KitVsBare {
  readonly title: string;
  readonly kit: { readonly name: string; readonly url: string; readonly requests?: readonly LoadRequest[] };
  readonly bare: { readonly name: string; readonly url: string; readonly requests?: readonly LoadRequest[] };
  readonly requests: readonly LoadRequest[];
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** The least median kit / bare throughput ratio that passes. */
  readonly target: number;
  /** Name of the ratio in the table; default `${kit} / ${bare}`. */
  readonly figure?: string;
}

/** Runs the rounds and prints them into `report`; true when the median ratio meets the target and nothing failed. */
export async function compareKitWithBare(report: BenchReport, job: KitVsBare): Promise<boolean> {
  const { seconds, connections } = job;
  // Short rounds back to back, no warm-up of their own (one discarded round each warms up): this machine's speed
  // drifts by tens of percent over seconds, and a pair of adjacent rounds is the likeliest to see the same speed.
  const run = (side: KitVsBare['kit']) => () =>
    measure({ url: side.url, requests: side.requests ?? job.requests, seconds, connections, warmupSeconds: 0 });
  const runs = await alternate(job.rounds, { kit: run(job.kit), bare: run(job.bare) });
  console.log(`${job.title}, ${connections} concurrent connections, ${seconds}s × ${runs.kit.length} rounds each (of ${job.rounds} asked), alternating`);
  const show = (name: string, r: LoadResult) =>
    `${name.padEnd(24)} ${fmt(r.rps).padStart(8)} req/s   p99 ${fmt(r.p99, 1)} ms   errors ${r.errors}, non-2xx ${r.non2xx}`;
  // Rounds the host disturbed were dropped (alternate()): print the ones kept.
  for (let round = 0; round < runs.kit.length; round++) console.log(`  round ${round + 1}: ${show(job.kit.name, runs.kit[round]!)} | ${show(job.bare.name, runs.bare[round]!)}`);
  const rps = (side: 'kit' | 'bare') => runs[side].map((r) => r.rps);
  report.figure(`${job.kit.name} throughput`, rps('kit'), { unit: 'req/s' });
  report.figure(`${job.bare.name} throughput`, rps('bare'), { unit: 'req/s' });
  report.figure(`${job.kit.name} p99`, runs.kit.map((r) => r.p99), { unit: 'ms' });
  report.figure(`${job.bare.name} p99`, runs.bare.map((r) => r.p99), { unit: 'ms' });
  const met = report.figure(job.figure ?? `${job.kit.name} / ${job.bare.name}`, ratios(rps('kit'), rps('bare')), { target: { op: '>=', value: job.target } });
  // The same comparison by CPU per request (bare / kit: as a throughput ratio), printed beside: it moves less
  // with the machine's scheduling than throughput does.
  const cpu = (side: 'kit' | 'bare') => runs[side].map((r) => r.cpuMicros);
  report.figure(`${job.kit.name} CPU per request`, cpu('kit'), { unit: 'µs' });
  report.figure(`${job.bare.name} CPU per request`, cpu('bare'), { unit: 'µs' });
  report.figure(`${job.figure ?? `${job.kit.name} / ${job.bare.name}`}, by CPU per request`, ratios(cpu('bare'), cpu('kit')));
  const failures = [...runs.kit, ...runs.bare].reduce((sum, r) => sum + r.errors + r.non2xx, 0);
  const clean = report.check(`${job.title}: failed requests`, failures === 0, `${failures} failed or non-2xx`);
  return met && clean;
}
