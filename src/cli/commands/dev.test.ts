import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { callEmulator } from '../../emulator/http-client.js';

interface DevRun {
  readonly child: ChildProcess;
  readonly dataDir: string;
  stdout(): string;
}

/** `dev` in a child process on free ports, waited for until it says how to stop it. */
async function runDev(extraArgs: readonly string[] = []): Promise<DevRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rcmk-dev-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'dev', '--port', '0', '--emulator-port', '0', '--data-dir', dataDir, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const deadline = Date.now() + 30_000;
  while (!stdout.includes('Press Ctrl-C') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (child.exitCode !== null) {
    rmSync(dataDir, { recursive: true, force: true });
    assert.fail(`dev exited with ${child.exitCode} before it was ready:\n${stdout}${stderr}`);
  }
  return { child, dataDir, stdout: () => stdout };
}

/** Ctrl-C, then the exit code once it has stopped (called in `finally`, so it must not throw over a failure). */
async function stopDev(run: DevRun): Promise<unknown> {
  const exited = run.child.exitCode === null ? once(run.child, 'exit') : Promise.resolve([run.child.exitCode]);
  run.child.kill('SIGINT');
  const [code] = await exited;
  rmSync(run.dataDir, { recursive: true, force: true });
  return code;
}

/** The `module:   <url>   <code>   data: <dir>/` lines, in order. */
function printedModules(stdout: string): { url: string; code: string }[] {
  return [...stdout.matchAll(/module:\s+(http:\/\/127\.0\.0\.1:\d+)\s+(\S+)\s+data: /g)].map((m) => ({ url: m[1]!, code: m[2]! }));
}

async function marketplacePage(stdout: string): Promise<{ port: number; text: string }> {
  const marketplace = /Open the Marketplace:\s+(http:\/\/demo\.localhost:(\d+)\/admin\/marketplace)/.exec(stdout);
  assert.ok(marketplace, `unexpected output:\n${stdout}`);
  const port = Number(marketplace[2]);
  const page = await callEmulator(port, `demo.localhost:${port}`, '/admin/marketplace');
  assert.equal(page.status, 200);
  return { port, text: page.text };
}

async function assertConnectFormAnswers(moduleUrl: string, emulatorPort: number): Promise<string> {
  const form = await request(`${moduleUrl}/connect?account=http://demo.localhost:${emulatorPort}/`);
  const body = await form.body.text();
  assert.equal(form.statusCode, 200, `${moduleUrl}/connect answered ${form.statusCode}`);
  return body;
}

describe('cli: dev (what `npm run dev` runs)', () => {
  it('serves the marketplace with the example module and the module itself, prints both keys, stops on SIGINT', async () => {
    const run = await runDev();
    let code: unknown;
    try {
      const stdout = run.stdout();
      const moduleUrl = /module:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      const keys = [...stdout.matchAll(/\b([A-Za-z0-9]{32})\b/g)].map((m) => m[1]);
      assert.ok(moduleUrl, `unexpected output:\n${stdout}`);
      assert.equal(new Set(keys).size, 2, 'a full key and a weak key');
      assert.match(stdout, /lacks order_read/);
      const { port, text } = await marketplacePage(stdout);
      assert.match(text, /data-integration-code="demo-order-sync"/);
      assert.match(await assertConnectFormAnswers(moduleUrl, port), /value="http:\/\/demo\.localhost:\d+"/);
    } finally {
      code = await stopDev(run);
    }
    assert.equal(code, 0);
    assert.match(run.stdout(), /Stopping \(SIGINT\)/);
  });

  it('runs the three bundled examples by default, order-sync first, each on the Marketplace with its own form', async () => {
    const run = await runDev();
    let code: unknown;
    try {
      const stdout = run.stdout();
      const modules = printedModules(stdout);
      assert.deepEqual(
        modules.map(({ code }) => code),
        ['demo-order-sync', 'demo-toy-carrier', 'demo-toy-gateway'],
        `unexpected output:\n${stdout}`,
      );
      assert.equal(new Set(modules.map(({ url }) => url)).size, 3, 'each module on its own port');
      const { port, text } = await marketplacePage(stdout);
      for (const { url, code } of modules) {
        assert.match(text, new RegExp(`data-integration-code="${code}"`));
        await assertConnectFormAnswers(url, port);
      }
    } finally {
      code = await stopDev(run);
    }
    assert.equal(code, 0);
  });

  it('runs one module per --module flag, and only those', async () => {
    const run = await runDev(['--module', 'examples/delivery-carrier/module.ts', '--module', 'examples/payment-gateway/module.ts']);
    let code: unknown;
    try {
      const stdout = run.stdout();
      const modules = printedModules(stdout);
      assert.deepEqual(modules.map(({ code }) => code), ['demo-toy-carrier', 'demo-toy-gateway'], `unexpected output:\n${stdout}`);
      const { port, text } = await marketplacePage(stdout);
      assert.doesNotMatch(text, /data-integration-code="demo-order-sync"/);
      for (const { url, code } of modules) {
        assert.match(text, new RegExp(`data-integration-code="${code}"`));
        await assertConnectFormAnswers(url, port);
      }
    } finally {
      code = await stopDev(run);
    }
    assert.equal(code, 0);
  });
});
