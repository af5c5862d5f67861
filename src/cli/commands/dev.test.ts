import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { callEmulator } from '../../emulator/http-client.js';

describe('cli: dev (what `npm run dev` runs)', () => {
  it('serves the marketplace with the example module and the module itself, prints both keys, stops on SIGINT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rcmk-dev-'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'dev', '--port', '0', '--emulator-port', '0', '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('Press Ctrl-C') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    try {
      const marketplace = /Open the Marketplace:\s+(http:\/\/demo\.localhost:(\d+)\/admin\/marketplace)/.exec(stdout);
      const moduleUrl = /module:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      const keys = [...stdout.matchAll(/\b([A-Za-z0-9]{32})\b/g)].map((m) => m[1]);
      assert.ok(marketplace && moduleUrl, `unexpected output:\n${stdout}`);
      assert.equal(new Set(keys).size, 2, 'a full key and a weak key');
      assert.match(stdout, /lacks order_read/);
      const port = Number(marketplace[2]);
      const page = await callEmulator(port, `demo.localhost:${port}`, '/admin/marketplace');
      assert.equal(page.status, 200);
      assert.match(page.text, /data-integration-code="demo-order-sync"/);
      const form = await request(`${moduleUrl}/connect?account=http://demo.localhost:${port}/`);
      assert.equal(form.statusCode, 200);
      assert.match(await form.body.text(), /value="http:\/\/demo\.localhost:\d+"/);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await once(child, 'exit');
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0);
    assert.match(stdout, /Stopping \(SIGINT\)/);
  });
});
