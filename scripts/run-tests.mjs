#!/usr/bin/env node
// Runs every test file with node's test runner. Node 20 cannot expand globs itself, and given a folder it
// reports "tests 0" and exits 0, so we list the files here and refuse to pass on an empty list.
// Two passes: the suite (each file within 2 minutes, two files at a time), then the slow files of test/package/
// (they pack and install the package, minutes each) with a longer limit. The last line adds both up.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromium);
const onlyArgs = process.argv.slice(2);
let files = onlyArgs.length > 0 ? onlyArgs : [...find('src'), ...find('test'), ...find('e2e')];
if (!haveChromium) {
  if (process.env.CI) {
    console.error(`CI requires Chromium at ${chromium} for the e2e tests; .ci/run installs it.`);
    process.exit(1);
  }
  const before = files.length;
  files = files.filter((f) => !f.startsWith('e2e'));
  if (before !== files.length) console.error(`note: ${chromium} not found, e2e tests skipped (apt-get install -y chromium)`);
}
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const isSlow = (file) => file.split(/[\\/]/).slice(0, 2).join('/') === 'test/package';
const passes = [
  { files: files.filter((f) => !isSlow(f)).sort(), timeoutMs: 120_000, concurrency: 2 },
  { files: files.filter(isSlow).sort(), timeoutMs: 25 * 60_000, concurrency: 1 },
].filter((pass) => pass.files.length > 0);

/** Runs one pass, passing its report through, and reads the counts of its summary. */
function runPass({ files: passFiles, timeoutMs, concurrency }) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...passFiles],
      // English CLI messages whatever the machine's locale: the tests assert today's wording.
      { stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'test', RETAILCRM_MODULE_KIT_LANG: 'en' } },
    );
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4096);
    });
    child.on('exit', (code, signal) => {
      const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tail)?.[1] ?? 0);
      resolve({ code: code ?? (signal ? 1 : 0), tests: count('tests'), pass: count('pass'), fail: count('fail'), skipped: count('skipped'), cancelled: count('cancelled') });
    });
  });
}

const results = [];
for (const pass of passes) results.push(await runPass(pass));
const sum = (key) => results.reduce((total, r) => total + r[key], 0);
const failed = sum('fail') + sum('cancelled');
console.log(`tests: ${sum('pass')} passed, ${failed} failed, ${sum('skipped')} skipped`);
if (results.some((r) => r.code !== 0)) process.exit(1);
if (sum('tests') === 0) {
  console.error('no test ran');
  process.exit(1);
}
