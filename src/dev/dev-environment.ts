/**
 * The whole seed on one machine: the CRM emulator with a `demo` account, modules connected to it through the
 * emulator's Marketplace (by default the three bundled examples), SQLite under `.data/`. What
 * `retailcrm-module-kit dev` (and `npm run dev`) runs.
 */
import { join } from 'node:path';
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { ConfigError } from '../errors.js';
import { startModule, type RunningModule } from '../host/start-module.js';
import { KNOWN_SCOPES } from '../protocol/index.js';
import { bundledExamplePaths, loadModuleFile, serveModuleFileAssets, type ModuleFile } from './module-file.js';

export type { ModuleFile } from './module-file.js';

export interface DevOptions {
  /** The first module's port; each further module takes the next one (0: any free port for all). Default 7800. */
  readonly port?: number;
  /** Emulator port. Default 7700. */
  readonly emulatorPort?: number;
  readonly host?: string;
  /** The first module's folder; each further module uses `<dataDir>/<integrationCode>/`. Default `.data`. */
  readonly dataDir?: string;
  /** Module files (see {@link ModuleFile}), one module each; default (also for `[]`): the three bundled examples. */
  readonly modulePaths?: readonly string[];
  /** One module file: shorthand for `modulePaths: [modulePath]`. */
  readonly modulePath?: string;
  readonly account?: string;
  /** Module log level. Default `warn`, so the terminal shows what matters. */
  readonly logLevel?: string;
}

export interface DevModule {
  readonly module: RunningModule;
  readonly definition: AnyModuleDefinition;
  /** Where its SQLite database and development keyring live. */
  readonly dataDir: string;
}

export interface DevEnvironment {
  readonly emulator: EmulatorHandle;
  /** The first module (the one the Quick start connects). */
  readonly module: RunningModule;
  readonly definition: AnyModuleDefinition;
  /** Every module, the first one first, each published on the Marketplace. */
  readonly modules: readonly DevModule[];
  readonly accountUrl: string;
  readonly marketplaceUrl: string;
  /** A key with every right: paste it into the module's form. */
  readonly apiKey: string;
  /** A key lacking one right the first module needs, to see the rights error. */
  readonly weakApiKey: string;
  /** The right `weakApiKey` lacks. */
  readonly weakKeyLacks: string;
  close(): Promise<void>;
}

export async function startDevEnvironment(options: DevOptions = {}): Promise<DevEnvironment> {
  const host = options.host ?? '127.0.0.1';
  const account = options.account ?? 'demo';
  const port = options.port ?? 7800;
  const paths = modulePathsOf(options);
  if (port !== 0 && port + paths.length - 1 > 65535)
    throw new ConfigError([`${paths.length} modules need the ports ${port} to ${port + paths.length - 1}, past 65535: choose a lower port`]);
  // Loaded one by one before anything listens: a file that does not load leaves nothing to stop, and the first
  // TypeScript file registers tsx for the others.
  const files: ModuleFile[] = [];
  for (const path of paths) files.push(await loadModuleFile(path));
  const emulator = await startEmulator({ port: options.emulatorPort ?? 7700, host });
  const modules: DevModule[] = [];
  try {
    const shared = { host, dataDir: options.dataDir ?? '.data', logLevel: options.logLevel ?? 'warn' };
    for (const [index, file] of files.entries()) {
      const slot = { ...shared, index, path: paths[index]!, port: port === 0 ? 0 : port + index };
      modules.push(await startDevModule(file, slot, modules));
    }
    const { apiKey } = emulator.createAccount({ name: account });
    for (const [index, { module, definition }] of modules.entries()) {
      const { logoSvg, description } = files[index]!;
      emulator.publishModule({
        integrationCode: definition.integrationCode,
        name: typeof definition.name === 'string' ? definition.name : definition.name.en,
        ...(logoSvg ? { logo: `${module.url}/logo.svg` } : {}),
        ...(description ? { description } : {}),
        accountUrl: `${definition.baseUrl}${definition.paths.connect}`,
      });
    }
    const first = modules[0]!;
    const weakKeyLacks = first.definition.scopes.find((scope) => !scope.startsWith('integration_')) ?? 'integration_write';
    const weak = emulator.createApiKey(account, { scopes: KNOWN_SCOPES.filter((scope) => scope !== weakKeyLacks) });
    return {
      emulator,
      module: first.module,
      definition: first.definition,
      modules,
      accountUrl: emulator.accountUrl(account),
      marketplaceUrl: emulator.marketplaceUrl(account),
      apiKey,
      weakApiKey: weak.apiKey,
      weakKeyLacks,
      close: () => closeAll(modules, emulator),
    };
  } catch (error) {
    // The failure to start is what the person needs to see, not a later one to stop.
    await closeAll(modules, emulator).catch(() => undefined);
    throw error;
  }
}

function modulePathsOf(options: DevOptions): readonly string[] {
  if (options.modulePaths && options.modulePaths.length > 0) {
    if (options.modulePath !== undefined) throw new ConfigError(['give modulePath or modulePaths, not both']);
    return options.modulePaths;
  }
  return options.modulePath !== undefined ? [options.modulePath] : bundledExamplePaths();
}

interface DevModuleSlot {
  readonly index: number;
  readonly path: string;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly logLevel: string;
}

async function startDevModule(file: ModuleFile, slot: DevModuleSlot, started: readonly DevModule[]): Promise<DevModule> {
  // A further module's folder is named by its integration code, which startModule only learns after it has opened
  // the store there: so build the definition once beforehand to read the code (it does not depend on the address).
  const expectedCode = slot.index === 0 ? undefined : file.createModule(`http://${slot.host}:${slot.port}`).integrationCode;
  if (expectedCode !== undefined) refuseTakenCode(expectedCode, slot.path, started);
  const dataDir = expectedCode === undefined ? slot.dataDir : join(slot.dataDir, expectedCode);
  const module = await startModule({
    // Built from the address it listens on, so port 0 works too.
    module: (baseUrl) => file.createModule(baseUrl),
    port: slot.port,
    host: slot.host,
    dataDir,
    production: false,
    accountUrlPolicy: { allowLocal: true },
    logger: { level: slot.logLevel },
    configure: (app) => serveModuleFileAssets(app, file),
  });
  const definition = module.kit.module;
  if (expectedCode !== undefined && definition.integrationCode !== expectedCode) {
    await module.close();
    throw new ConfigError([
      `${slot.path}: createModule(baseUrl) gave the integration code "${expectedCode}", then "${definition.integrationCode}": ` +
        'it must not depend on the base URL',
    ]);
  }
  return { module, definition, dataDir };
}

/** Two modules with one integration code would share a Marketplace card and a data folder. */
function refuseTakenCode(code: string, path: string, started: readonly DevModule[]): void {
  if (started.some(({ definition }) => definition.integrationCode === code))
    throw new ConfigError([`${path}: the integration code "${code}" is already taken by another module of this dev run; give each module its own`]);
}

/** Stops every module, then the emulator, even when one of them fails to stop; the first failure is rethrown. */
async function closeAll(modules: readonly DevModule[], emulator: EmulatorHandle): Promise<void> {
  const outcomes = await Promise.allSettled(modules.map(({ module }) => module.close()));
  outcomes.push(...(await Promise.allSettled([emulator.close()])));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}
