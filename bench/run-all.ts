/**
 * Runs every benchmark one after another (never in parallel: they would measure each other), each in its own
 * process, then prints one table of their figures (min / median / max over the rounds, the target, the verdict on
 * the median) with the machine's load. Exits 1 when any target is missed: the regression guard.
 *
 *   npm run bench [-- --only client,activity] [-- --record]
 *
 * `--record` also writes the table into docs/performance.md (its "Recorded runs" section keeps the last five).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGenerator } from './lib/load.js';
import { fmtAuto, MAX_STEAL, type FigureLine } from './lib/report.js';
import { tsNodeArgs } from './lib/runner.js';

const ALL = ['emulator', 'client', 'store', 'activity', 'connect', 'callbacks', 'delivery', 'fleet'];
// Run only when named: instruction counts under callgrind take half an hour (bench/instructions.ts).
const OPTIONAL = ['instructions'];
const { values } = parseArgs({ options: { only: { type: 'string' }, record: { type: 'boolean', default: false } } });
const benches = values.only ? values.only.split(',').map((name) => name.trim()) : ALL;
const unknown = benches.filter((name) => !ALL.includes(name) && !OPTIONAL.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; choose from ${[...ALL, ...OPTIONAL].join(', ')}`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-report-'));
const reportFile = join(dir, 'figures.jsonl');
writeFileSync(reportFile, '');
const startedAt = new Date();
const loadBefore = loadavg()[0]!;
const crashed: string[] = [];
for (const name of benches) {
  console.log(`\n=== bench/${name}.ts`);
  const result = spawnSync(process.execPath, tsNodeArgs(`bench/${name}.ts`), { stdio: 'inherit', env: { ...process.env, BENCH_REPORT: reportFile } });
  // A bench that misses a target exits 1 after reporting it; one that reported nothing at all crashed.
  if (result.status !== 0 && !readFileSync(reportFile, 'utf8').includes(`"bench":"${name}"`)) crashed.push(name);
}
const loadAfter = loadavg()[0]!;
const lines = readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as FigureLine & { loadBefore: number; loadAfter: number; steal?: number });
const worstSteal = Math.max(0, ...lines.map((line) => line.steal ?? 0));
rmSync(dir, { recursive: true, force: true });

const header = `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores, load ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, CPU stolen by the host up to ${(worstSteal * 100).toFixed(1)}% in one bench (rounds above ${fmtAuto(MAX_STEAL * 100)}% dropped), load generator ${loadGenerator}`;
const cell = (line: FigureLine, n: number | null) => n === null || !Number.isFinite(n) ? '—' : `${fmtAuto(n)}${line.unit && !line.unit.includes('/') && line.unit.length < 4 ? ` ${line.unit}` : ''}`;
const rows = lines.map((line) => [
  line.bench,
  line.unit && line.rounds !== 1 ? `${line.figure} (${line.unit})` : line.figure,
  line.rounds > 1 ? cell(line, line.min) : '',
  line.target?.value === 1 && line.rounds === 1 ? '' : cell(line, line.median),
  line.rounds > 1 ? cell(line, line.max) : '',
  line.target ? (line.rounds === 1 && line.target.value === 1 ? 'holds' : `${line.target.op} ${fmtAuto(line.target.value)}`) : '',
  line.rounds === 0 ? '**no round kept**' : line.met === undefined ? '' : line.met ? 'OK' : '**MISSED**',
]);
const table = [
  '| bench | figure | min | median | max | target | |',
  '|---|---|--:|--:|--:|---|---|',
  ...rows.map((row) => `| ${row.join(' | ')} |`),
].join('\n');
const missed = lines.filter((line) => line.met === false).length;
console.log(`\n${header}\n\n${table}\n`);
if (crashed.length > 0) console.log(`crashed (no figures): ${crashed.join(', ')}`);
console.log(missed === 0 && crashed.length === 0 ? 'every target met' : `${missed} target(s) missed`);

if (values.record) {
  const file = 'docs/performance.md';
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:runs -->';
  const end = '<!-- /bench:runs -->';
  const [before, rest] = text.split(start);
  const [inside, after] = (rest ?? '').split(end);
  if (before === undefined || inside === undefined || after === undefined) throw new Error(`${file} lacks the ${start} … ${end} markers`);
  const runs = inside.split('\n### ').filter((run) => run.trim() !== '').map((run) => (run.startsWith('### ') ? run : `### ${run}`).trim());
  const scope = benches.length === ALL.length ? '' : ` (only ${benches.join(', ')})`;
  const kept = [`### ${header}${scope}\n\n${table}`, ...runs].slice(0, 5);
  writeFileSync(file, `${before}${start}\n${kept.join('\n\n')}\n${end}${after}`);
  console.log(`recorded in ${file}`);
}
process.exitCode = missed > 0 || crashed.length > 0 ? 1 : 0;
