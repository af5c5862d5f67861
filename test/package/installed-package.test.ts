/**
 * The package as its users get it: packed, installed from the tarball into an empty project (dependencies from
 * the local npm cache), type-checked by a consumer under strict + exactOptionalPropertyTypes together with every
 * TypeScript example of the shipped README and guide, checked by publint and arethetypeswrong, then `init`, the
 * generated project's own `npm test`, and `dev` (the bundled example, and the generated module through tsx)
 * until /health and the Marketplace card answer. Slow (two installs compile better-sqlite3), so it runs once.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'undici';
import { codeBlocks, shippedMarkdown } from '../helpers/shipped-docs.js';
import { freePort } from '../helpers/ports.js';
import { CHROMIUM_PATH, launchChromium } from '../../e2e/browser.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const kit = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const pin = (name: string) => `${name}@${kit.devDependencies[name]}`;
// The environment of a user's shell: no test-runner variables, no NODE_ENV=test.
const userEnv = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  delete env.NODE_ENV;
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return env;
})();

async function sh(cwd: string, command: string, args: string[], timeoutMs = 300_000) {
  try {
    return await run(command, args, { cwd, env: userEnv, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n${e.message}`);
  }
}

const npmInstall = (cwd: string, ...specs: string[]) =>
  sh(cwd, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], 600_000);

/** Starts `command` and waits until `ready` resolves; the process is killed (with its children) in `stop`. */
function startProcess(cwd: string, command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd, env: userEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

function stopProcess(child: ChildProcess) {
  if (child.exitCode === null && child.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, output: () => string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface DevRun {
  readonly marketplaceUrl: string;
  readonly apiKey: string;
}

/**
 * `dev` answers: the (first) module's /health, and the emulator's Marketplace with every card named. `whileRunning`
 * gets what a person reads off the terminal, before the process is stopped.
 */
async function assertDevServes(cwd: string, command: string, args: string[], cardNames: readonly RegExp[], whileRunning?: (run: DevRun) => Promise<void>) {
  const [modulePort, emulatorPort] = [await freePort(), await freePort()];
  const dev = startProcess(cwd, command, [...args, '--port', String(modulePort), '--emulator-port', String(emulatorPort)]);
  try {
    const health = await until(
      'the module /health',
      async () => {
        const r = await request(`http://127.0.0.1:${modulePort}/health`);
        const body = await r.body.text();
        return r.statusCode === 200 ? body : undefined;
      },
      dev.output,
    );
    assert.match(health, /ok/i);
    const marketplace = await request(`http://127.0.0.1:${emulatorPort}/admin/marketplace`, {
      headers: { host: `demo.localhost:${emulatorPort}` },
    });
    const page = await marketplace.body.text();
    assert.equal(marketplace.statusCode, 200);
    for (const cardName of cardNames) assert.match(page, cardName);
    const printed = /Paste this API key:\s+(\S+)/.exec(dev.output());
    assert.ok(printed?.[1], 'dev prints a key to paste');
    await whileRunning?.({ marketplaceUrl: `http://demo.localhost:${emulatorPort}/admin/marketplace`, apiKey: printed[1] });
  } finally {
    stopProcess(dev.child);
  }
}

describe('the package as installed from npm', { timeout: 20 * 60_000 }, () => {
  let work: string;
  let tarball: string;
  let consumer: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rcmk-package-'));
    const packed = await sh(ROOT, 'npm', ['pack', '--json', '--pack-destination', work], 300_000);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; size: number; entryCount: number }[];
    assert.ok(info);
    tarball = join(work, info.filename);
    console.log(`# tarball ${info.filename}: ${info.size} bytes, ${info.entryCount} files`);
    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const started = Date.now();
    await npmInstall(consumer, tarball, pin('zod'), pin('typescript'), pin('tsx'), pin('@types/node'));
    console.log(`# install of the tarball and its dependencies: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships no source map, no test and no file a shipped document names but the tarball lacks', async () => {
    const listing = await sh(work, 'tar', ['-tzf', tarball]);
    const files = listing.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);
    assert.deepEqual(files.filter((f) => /\.test\.(js|ts)$/.test(f) && !f.startsWith('templates/')), []);
    const examples = ['order-sync', 'delivery-carrier', 'payment-gateway'].map((example) => `dist/examples/${example}/module.js`);
    for (const required of ['LICENSE', 'README.md', 'dist/index.js', 'dist/testing/index.js', ...examples, 'templates/module/src/module.ts'])
      assert.ok(files.includes(required), `${required} is in the tarball`);
  });

  it('passes publint and arethetypeswrong (ESM only)', async () => {
    const publint = await sh(ROOT, 'npx', ['publint', 'run', '--strict', tarball]);
    assert.match(publint.stdout, /All good/);
    await sh(ROOT, 'npx', ['attw', tarball, '--profile', 'esm-only']);
  });

  it('type-checks a consumer and every TypeScript example of the shipped docs, strict with exactOptionalPropertyTypes', async () => {
    const installed = join(consumer, 'node_modules', 'retailcrm-module-kit');
    const check = join(consumer, 'check');
    mkdirSync(check);
    writeFileSync(
      join(check, 'consumer.ts'),
      `import { z } from 'zod';
import { defineModule, startModule, createCrmClient, KitError, type Connection } from 'retailcrm-module-kit';
import { startEmulator } from 'retailcrm-module-kit/emulator';
import { KNOWN_SCOPES } from 'retailcrm-module-kit/protocol';
import { startTestbed, FormClient } from 'retailcrm-module-kit/testing';
const module = (baseUrl: string) => defineModule({
  integrationCode: 'consumer', name: 'Consumer', logo: 'https://consumer.example/logo.svg', baseUrl,
  scopes: ['order_read'],
  settings: { schema: z.object({ a: z.string().optional() }), fields: { a: { label: 'A' } } },
});
export async function main(): Promise<Connection> {
  const bed = await startTestbed({ module });
  const connection = await bed.connect();
  await bed.close();
  void [startModule, createCrmClient, KitError, startEmulator, KNOWN_SCOPES, FormClient];
  return connection;
}
`,
    );
    let blocks = 0;
    for (const doc of shippedMarkdown(installed)) {
      for (const block of codeBlocks(readFileSync(join(installed, doc), 'utf8'), 'ts')) {
        writeFileSync(join(check, `${doc.replace(/[^a-z0-9]+/gi, '_')}_${block.line}.ts`), block.code);
        blocks += 1;
      }
    }
    console.log(`# type-checked ${blocks} TypeScript blocks of the shipped docs`);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
          exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, noEmit: true,
          types: ['node'], verbatimModuleSyntax: true,
        },
        include: ['check'],
      }),
    );
    await sh(consumer, 'npx', ['tsc', '-p', '.']);
  });

  it('tells a project on zod 3 to install zod 4, from the library and from the command line', async () => {
    // A project whose own "zod" is 3: the installed kit beside it resolves zod from there (its peer dependency).
    const old = join(consumer, 'on-zod-3');
    mkdirSync(old);
    writeFileSync(join(old, 'package.json'), JSON.stringify({ name: 'on-zod-3', private: true, type: 'module' }));
    await npmInstall(old, 'zod@3.25.76');
    await sh(work, 'cp', ['-r', join(consumer, 'node_modules', 'retailcrm-module-kit'), join(old, 'node_modules')]);
    const library = await sh(old, process.execPath, ['-e', "import('retailcrm-module-kit').then(() => console.log('loaded'), (e) => console.log(e.message))"]);
    assert.match(library.stdout, /needs zod 4.*npm install zod@\^4/);
    await assert.rejects(
      sh(old, process.execPath, [join(old, 'node_modules', 'retailcrm-module-kit', 'dist', 'cli', 'main.js'), '--version']),
      /error: retailcrm-module-kit needs zod 4/,
    );
  });

  it('dev serves the emulator and the three bundled examples, with no tsx in the way', async () => {
    const cards = [/Order sync \(demo\)/, /Toy carrier \(demo\)/, /Toy gateway \(demo\)/];
    await assertDevServes(consumer, 'npx', ['--no-install', 'retailcrm-module-kit', 'dev', '--data-dir', join(work, 'dev-data')], cards);
  });

  it('init makes a project whose own npm test passes and whose npm run dev serves it', async () => {
    const started = Date.now();
    await sh(consumer, 'npx', ['--no-install', 'retailcrm-module-kit', 'init', 'my-module']);
    const project = join(consumer, 'my-module');
    await assert.rejects(sh(consumer, 'npx', ['--no-install', 'retailcrm-module-kit', 'init', 'my-module']), /not empty/);
    // The kit is not on the registry under test: install it from the tarball, the rest as the project lists it.
    await npmInstall(project, tarball);
    const tested = await sh(project, 'npm', ['test'], 300_000);
    assert.match(tested.stdout, /^# pass [1-9]\d*$/m);
    assert.match(tested.stdout, /^# fail 0$/m);
    console.log(`# init to a passing first connect test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The guide's first minutes in a real browser: Marketplace, Connect, paste the key, the store code, submit.
    await assertDevServes(project, 'npm', ['run', 'dev', '--'], [/My module/], async ({ marketplaceUrl, apiKey }) => {
      if (!existsSync(CHROMIUM_PATH)) return;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(marketplaceUrl);
        await page.locator('article[data-integration-code="my-module"] a', { hasText: 'Connect' }).click();
        await page.waitForURL((url) => url.pathname === '/connect');
        await page.fill('#apiKey', apiKey);
        await page.fill('#siteCode', 'main');
        await page.click('button[type=submit]');
        await page.waitForURL((url) => url.pathname === '/admin/integration/list');
        assert.match(await page.locator('tr[data-code="my-module"]').innerText(), /active/i);
        console.log(`# init to a first connect in Chromium: ${((Date.now() - started) / 1000).toFixed(1)} s (two of them npm install)`);
      } finally {
        await browser.close();
      }
    });
    await sh(project, 'npm', ['run', 'build']);
    assert.ok(readFileSync(join(project, 'dist', 'module.js'), 'utf8').includes('createModule'));
  });
});
