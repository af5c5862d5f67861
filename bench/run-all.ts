/**
 * Runs every benchmark one after another (never in parallel: they would measure each other), each in its own
 * process, and prints their figures. `npm run bench`.
 */
import { spawnSync } from 'node:child_process';

const benches = ['emulator', 'client', 'store', 'activity', 'connect', 'callbacks', 'delivery', 'fleet'];
let failed = 0;
for (const name of benches) {
  console.log(`\n=== bench/${name}.ts`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
// A bench exits non-zero when it misses its target; say so once more at the end.
if (failed > 0) console.log(`\n${failed} benchmark(s) reported a missed target or failed; see above.`);
process.exitCode = failed > 0 ? 1 : 0;
