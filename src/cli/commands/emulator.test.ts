import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { callEmulator } from '../../emulator/http-client.js';
import { runCli } from '../run-cli.js';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('cli: emulator command', () => {
  it('prints the account URL, its key and the marketplace URL, serves, and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--port', '0', '--account', 'shop'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('Press Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    try {
      const account = /account:\s+(http:\/\/shop\.localhost:(\d+))/.exec(stdout);
      const key = /API key:\s+([A-Za-z0-9]{32})/.exec(stdout)?.[1];
      assert.ok(account && key, `unexpected output: ${stdout}`);
      assert.ok(stdout.includes(`marketplace: ${account[1]}/admin/marketplace`));
      const port = Number(account[2]);
      const reply = await callEmulator(port, `shop.localhost:${port}`, '/api/credentials', { apiKey: key });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.scopes.length, 32);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(stdout, /Stopping \(SIGINT\)/);
  });

  it('warns that --host 0.0.0.0 lets anyone on the network drive it; loopback hosts do not warn', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--port', '0', '--host', '0.0.0.0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('Press Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    await once(child, 'exit');
    assert.match(stderr, /^warning: --host 0\.0\.0\.0 .*anyone/m);
    const { isLoopbackHost } = await import('./emulator.js');
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com']) assert.equal(isLoopbackHost(host), false, host);
  });

  it('exits 2 with one line for a bad flag or an unknown command', async () => {
    for (const args of [['emulator', '--port', 'abc'], ['emulator', '--account', 'Not Valid'], ['emulator', '--rate-limit-by', 'user'], ['nope']]) {
      const { io, err } = captureIo();
      assert.equal(await runCli(['node', 'cli', ...args], io), 2, args.join(' '));
      assert.match(err[0] ?? '', /^error: /, args.join(' '));
    }
  });

  it('exits 1 with one line when the emulator cannot start', async () => {
    const { io, err } = captureIo();
    assert.equal(await runCli(['node', 'cli', 'emulator', '--port', '0', '--host', 'no-such-host.invalid'], io), 1);
    const errors = err.filter((line) => !line.startsWith('warning: '));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^error: .*ENOTFOUND/);
  });
});
