/**
 * A CPU profile of one part of a bench only (its measured rounds, not its seeding): with `BENCH_CPU_PROFILE=<dir>`,
 * `profiled(label, work)` writes `<dir>/<label>.cpuprofile` covering `work`; without it, runs `work` as it is.
 * Read the file with bench/profile.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export async function profiled<V>(label: string, work: () => Promise<V>): Promise<V> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${label}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
