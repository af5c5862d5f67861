/**
 * The whole seed on one machine: the CRM emulator with a `demo` account, a module connected to it through the
 * emulator's Marketplace, SQLite under `.data/`. What `retailcrm-module-kit dev` (and `npm run dev`) runs.
 */
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { resolve } from 'node:path';
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import { ConfigError } from '../errors.js';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { startModule, type RunningModule } from '../host/start-module.js';
import { KNOWN_SCOPES } from '../protocol/index.js';

/** What a module file given to `dev --module` exports. */
export interface DevModuleFile {
  /** Builds the module for a base URL (the dev server's). */
  createModule(baseUrl: string): AnyModuleDefinition;
  /** Served at `/logo.svg` when given. */
  readonly logoSvg?: string;
  /** Shown on the Marketplace card. */
  readonly description?: string;
}

export interface DevOptions {
  /** Module port. Default 7800. */
  readonly port?: number;
  /** Emulator port. Default 7700. */
  readonly emulatorPort?: number;
  readonly host?: string;
  readonly dataDir?: string;
  /** A module file (see {@link DevModuleFile}); default: the bundled example. */
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

const EXAMPLE = new URL('../../examples/order-sync/module.ts', import.meta.url);

export async function loadModuleFile(path?: string): Promise<DevModuleFile> {
  const url = path ? pathToFileURL(resolve(path)).href : EXAMPLE.href;
  let loaded: Partial<DevModuleFile>;
  try {
    loaded = (await import(url)) as Partial<DevModuleFile>;
  } catch (error) {
    const hint = url.endsWith('.ts') ? ' (TypeScript files need tsx: run through "npm run dev" or "npx tsx")' : '';
    throw new ConfigError([`cannot load the module file ${path ?? 'examples/order-sync/module.ts'}${hint}: ${(error as Error).message}`]);
  }
  if (typeof loaded.createModule !== 'function')
    throw new ConfigError([`${path ?? 'the module file'} must export createModule(baseUrl) returning defineModule(...)`]);
  return loaded as DevModuleFile;
}

/** Serves what a module file brings besides its definition (its logo), for `dev` and `start` alike. */
export function serveModuleFileAssets(app: FastifyInstance, file: DevModuleFile): void {
  const { logoSvg } = file;
  if (logoSvg) app.get('/logo.svg', async (_request, reply) => reply.type('image/svg+xml').send(logoSvg));
}

export async function startDevEnvironment(options: DevOptions = {}): Promise<DevEnvironment> {
  const host = options.host ?? '127.0.0.1';
  const account = options.account ?? 'demo';
  const file = await loadModuleFile(options.modulePath);
  const emulator = await startEmulator({ port: options.emulatorPort ?? 7700, host });
  let module: RunningModule | undefined;
  try {
    const port = options.port ?? 7800;
    const launch = (listenOn: number) =>
      startModule({
        module: file.createModule(`http://${host}:${listenOn}`),
        port: listenOn,
        host,
        dataDir: options.dataDir ?? '.data',
        production: false,
        accountUrlPolicy: { allowLocal: true },
        logger: { level: options.logLevel ?? 'warn' },
        configure: (app) => serveModuleFileAssets(app, file),
      });
    module = await launch(port);
    // The baseUrl is part of the definition, so port 0 (tests) needs the real port first: restart on it.
    if (port === 0) {
      const actual = Number(new URL(module.url).port);
      await module.close();
      module = await launch(actual);
    }
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
