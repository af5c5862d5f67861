/**
 * Loading the module file that `dev --module` and `start --module` are given. JavaScript files are imported as
 * they are; a TypeScript file is imported through tsx, taken from the user's own project (we do not ship a
 * compiler), and when tsx is not there the error says exactly what to install.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import { ConfigError } from '../errors.js';

/** What a module file given to `dev --module` or `start --module` exports. */
export interface ModuleFile {
  /** Builds the module for the base URL it is served at. */
  createModule(baseUrl: string): AnyModuleDefinition;
  /** Served at `/logo.svg` when given. */
  readonly logoSvg?: string;
  /** Shown on the emulator's Marketplace card. */
  readonly description?: string;
}

/** The examples bundled with the kit, in the order `dev` runs them: the first is the one the Quick start connects. */
export const BUNDLED_EXAMPLES = ['order-sync', 'delivery-carrier', 'payment-gateway'] as const;
export type BundledExample = (typeof BUNDLED_EXAMPLES)[number];

/**
 * A bundled example's module file: compiled beside the kit in the installed package (`dist/examples`), its
 * TypeScript source in this repository (run through tsx).
 */
export function bundledExamplePath(name: BundledExample = 'order-sync'): string {
  const compiled = fileURLToPath(new URL(`../examples/${name}/module.js`, import.meta.url));
  if (existsSync(compiled)) return compiled;
  return fileURLToPath(new URL(`../../examples/${name}/module.ts`, import.meta.url));
}

/** Every bundled example's module file, order-sync first. */
export function bundledExamplePaths(): string[] {
  return BUNDLED_EXAMPLES.map((name) => bundledExamplePath(name));
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

export async function loadModuleFile(path?: string): Promise<ModuleFile> {
  const file = path ? resolve(path) : bundledExamplePath();
  const shown = path ?? 'the bundled example';
  if (!existsSync(file)) throw new ConfigError([`the module file ${shown} does not exist (looked at ${file})`]);
  let loaded: Partial<ModuleFile>;
  try {
    loaded = (await importWithTypeScript(file)) as Partial<ModuleFile>;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([`cannot load the module file ${shown}: ${(error as Error).message}`]);
  }
  if (typeof loaded.createModule !== 'function')
    throw new ConfigError([
      `${shown} must export createModule(baseUrl) returning defineModule({ ... }) (optional exports: logoSvg, description)`,
    ]);
  return loaded as ModuleFile;
}

async function importWithTypeScript(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  if (!TYPESCRIPT.has(extname(file))) return import(url);
  try {
    return await import(url);
  } catch (error) {
    // Already under tsx (npm run dev in this repository, or `tsx` by hand) the first import works.
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  }
  await registerTsx(dirname(file));
  // Node keeps the failed import of this URL; a query makes it a new one, now loaded through tsx.
  return import(`${url}?through-tsx`);
}

let tsxRegistered = false;

async function registerTsx(from: string): Promise<void> {
  if (tsxRegistered) return;
  const api = tsxEsmApi(from);
  if (!api)
    throw new ConfigError([
      'a TypeScript module file needs tsx in your project: run "npm install --save-dev tsx" and try again ' +
        '(or build it with tsc and pass the .js file)',
    ]);
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
  tsxRegistered = true;
}

/**
 * The ESM entry of tsx's loader API as installed in the user's project. `require.resolve` would give its
 * CommonJS entry, which cannot register the ESM loader when imported, so read the exports map instead.
 */
function tsxEsmApi(from: string): string | undefined {
  let manifest: string;
  try {
    manifest = createRequire(join(from, 'noop.js')).resolve('tsx/package.json');
  } catch {
    return undefined;
  }
  type Target = string | { readonly import?: Target; readonly default?: Target } | undefined;
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, Target> };
  const pick = (target: Target): string | undefined =>
    typeof target === 'string' ? target : target ? pick(target.import) ?? pick(target.default) : undefined;
  const entry = pick(exports?.['./esm/api']);
  return entry ? join(dirname(manifest), entry) : undefined;
}

/** Serves what a module file brings besides its definition (its logo), for `dev` and `start` alike. */
export function serveModuleFileAssets(app: FastifyInstance, file: ModuleFile): void {
  const { logoSvg } = file;
  if (logoSvg) app.get('/logo.svg', async (_request, reply) => reply.type('image/svg+xml').send(logoSvg));
}
