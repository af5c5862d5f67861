import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmulator } from '../emulator/index.js';
import { startDevEnvironment } from './dev-environment.js';
import { bundledExamplePath } from './module-file.js';

const carrier = bundledExamplePath('delivery-carrier');
const gateway = bundledExamplePath('payment-gateway');

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('startDevEnvironment with several modules', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rcmk-dev-env-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const quiet = { port: 0, emulatorPort: 0, logLevel: 'silent' } as const;

  it('the first module keeps dataDir, the next ones get <dataDir>/<integrationCode>; module and definition are the first', async () => {
    const dev = await startDevEnvironment({ ...quiet, dataDir: join(dataDir, 'two'), modulePaths: [gateway, carrier] });
    try {
      assert.deepEqual(dev.modules.map(({ definition }) => definition.integrationCode), ['demo-toy-gateway', 'demo-toy-carrier']);
      assert.deepEqual(dev.modules.map((m) => m.dataDir), [join(dataDir, 'two'), join(dataDir, 'two', 'demo-toy-carrier')]);
      assert.ok(existsSync(join(dataDir, 'two', 'module.sqlite')));
      assert.ok(existsSync(join(dataDir, 'two', 'demo-toy-carrier', 'module.sqlite')));
      assert.equal(dev.module, dev.modules[0]!.module);
      assert.equal(dev.definition, dev.modules[0]!.definition);
    } finally {
      await dev.close();
    }
  });

  it('modulePath is one module', async () => {
    const dev = await startDevEnvironment({ ...quiet, dataDir: join(dataDir, 'one'), modulePath: carrier });
    try {
      assert.deepEqual(dev.modules.map(({ definition }) => definition.integrationCode), ['demo-toy-carrier']);
    } finally {
      await dev.close();
    }
  });

  it('refuses two modules with one integration code, and stops what it had started', async () => {
    const emulatorPort = await freePort();
    await assert.rejects(
      startDevEnvironment({ ...quiet, emulatorPort, dataDir: join(dataDir, 'same'), modulePaths: [carrier, carrier] }),
      /the integration code "demo-toy-carrier" is already taken/,
    );
    // The emulator's port is free again: nothing was left running.
    const emulator = await startEmulator({ port: emulatorPort });
    await emulator.close();
  });

  it('refuses ports past 65535, and modulePath beside modulePaths, before starting anything', async () => {
    await assert.rejects(startDevEnvironment({ ...quiet, port: 65535, modulePaths: [carrier, gateway] }), /past 65535/);
    await assert.rejects(startDevEnvironment({ ...quiet, modulePath: carrier, modulePaths: [gateway] }), /not both/);
  });
});
