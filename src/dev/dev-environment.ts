/**
 * The whole seed on one machine: the CRM emulator with a `demo` account, a module connected to it through the
 * emulator's Marketplace, SQLite under `.data/`. What `retailcrm-module-kit dev` (and `npm run dev`) runs.
 */
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { startModule, type RunningModule } from '../host/start-module.js';
import { KNOWN_SCOPES } from '../protocol/index.js';
import { loadModuleFile, serveModuleFileAssets, type ModuleFile } from './module-file.js';

export type { ModuleFile } from './module-file.js';

export interface DevOptions {
  /** Module port. Default 7800. */
  readonly port?: number;
  /** Emulator port. Default 7700. */
  readonly emulatorPort?: number;
  readonly host?: string;
  readonly dataDir?: string;
  /** A module file (see {@link ModuleFile}); default: the bundled example. */
  readonly modulePath?: string;
  readonly account?: string;
  /** Module log level. Default `warn`, so the terminal shows what matters. */
  readonly logLevel?: string;
}

export interface DevEnvironment {
  readonly emulator: EmulatorHandle;
  readonly module: RunningModule;
  readonly definition: AnyModuleDefinition;
  readonly accountUrl: string;
  readonly marketplaceUrl: string;
  /** A key with every right: paste it into the module's form. */
  readonly apiKey: string;
  /** A key lacking one right the module needs, to see the rights error. */
  readonly weakApiKey: string;
  /** The right `weakApiKey` lacks. */
  readonly weakKeyLacks: string;
  close(): Promise<void>;
}

export async function startDevEnvironment(options: DevOptions = {}): Promise<DevEnvironment> {
  const host = options.host ?? '127.0.0.1';
  const account = options.account ?? 'demo';
  const file = await loadModuleFile(options.modulePath);
  const emulator = await startEmulator({ port: options.emulatorPort ?? 7700, host });
  let module: RunningModule | undefined;
  try {
    module = await startModule({
      // Built from the address it listens on, so port 0 works too.
      module: (baseUrl) => file.createModule(baseUrl),
      port: options.port ?? 7800,
      host,
      dataDir: options.dataDir ?? '.data',
      production: false,
      accountUrlPolicy: { allowLocal: true },
      logger: { level: options.logLevel ?? 'warn' },
      configure: (app) => serveModuleFileAssets(app, file),
    });
    const definition = module.kit.module;
    const { apiKey } = emulator.createAccount({ name: account });
    const weakKeyLacks = definition.scopes.find((scope) => !scope.startsWith('integration_')) ?? 'integration_write';
    const weak = emulator.createApiKey(account, { scopes: KNOWN_SCOPES.filter((scope) => scope !== weakKeyLacks) });
    const name = typeof definition.name === 'string' ? definition.name : definition.name.en;
    emulator.publishModule({
      integrationCode: definition.integrationCode,
      name,
      ...(file.logoSvg ? { logo: `${module.url}/logo.svg` } : {}),
      ...(file.description ? { description: file.description } : {}),
      accountUrl: `${definition.baseUrl}${definition.paths.connect}`,
    });
    const running = module;
    return {
      emulator,
      module: running,
      definition,
      accountUrl: emulator.accountUrl(account),
      marketplaceUrl: emulator.marketplaceUrl(account),
      apiKey,
      weakApiKey: weak.apiKey,
      weakKeyLacks,
      async close() {
        await running.close();
        await emulator.close();
      },
    };
  } catch (error) {
    await module?.close();
    await emulator.close();
    throw error;
  }
}
