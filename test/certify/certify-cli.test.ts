import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { SECRET, startBrokenModule } from './broken-module.js';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('cli: certify', () => {
  it('exits 0 for a healthy module and 1 for a broken one, printing the reason and writing JUnit XML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rcmk-certify-cli-'));
    for (const [broken, expected] of [['none', 0], ['unknown-client-500', 1]] as const) {
      const target = await startBrokenModule(broken);
      const { io, out } = captureIo();
      const junit = join(dir, `${broken}.xml`);
      try {
        const code = await runCli(
          ['node', 'cli', 'certify', '--connect-url', `${target.url}/connect`, '--config-url', `${target.url}/simple-connection/config`,
            '--secret', SECRET, '--field', 'siteCode=main', '--field', 'currency=RUB', '--junit', junit],
          io,
        );
        assert.equal(code, expected, out.join('\n'));
        const xml = readFileSync(junit, 'utf8');
        if (expected === 0) assert.match(out.at(-1) ?? '', /^PASSED: \d+ passed, 0 failed/);
        else {
          assert.ok(out.some((l) => /^FAIL\s+activity\.unknown-client .*\[unknown-client-id-5xx\]/.test(l)), out.join('\n'));
          assert.match(xml, /<failure message="unknown-client-id-5xx"/);
        }
        assert.ok(!out.join('\n').includes(SECRET), 'the secret is never printed');
      } finally {
        await target.close();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 without anything to certify, or without the secret for the simple connection', async () => {
    const { io, err } = captureIo();
    assert.equal(await runCli(['node', 'cli', 'certify'], io), 2);
    delete process.env.RETAILCRM_SIMPLE_SECRET;
    assert.equal(await runCli(['node', 'cli', 'certify', '--config-url', 'http://127.0.0.1:9/config'], io), 2);
    assert.equal(await runCli(['node', 'cli', 'certify', '--connect-url', 'not-a-url'], io), 2);
    assert.ok(err.some((l) => l.includes('--config-url needs the secret')), err.join('\n'));
  });
});
