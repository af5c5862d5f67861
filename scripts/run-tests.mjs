#!/usr/bin/env node
// Runs every test file with node's test runner. Node 20 cannot expand globs itself, and given a folder it
// reports "tests 0" and exits 0, so we list the files here and refuse to pass on an empty list.
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
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files.sort()],
  { stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'test' } },
);
// Pass the report through, and read its summary: files that define no test must not make a green run.
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString('utf8')).slice(-4096);
});
child.on('exit', (code, signal) => {
  const ran = Number(/^# tests (\d+)$/m.exec(tail)?.[1] ?? 0);
  if (code === 0 && ran === 0) {
    console.error('no test ran');
    process.exit(1);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
