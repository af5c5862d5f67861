/**
 * A module and a CRM on one machine for integration tests: the emulator, a module host on a real port,
 * a real SQLite store in a temp folder, and a cookie-keeping form client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineModule, type ModuleDefinitionInput } from '../../src/connect/module-definition.js';
import { rapidRetriesForTests } from '../../src/crm/retry.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { startModule, type RunningModule, type StartModuleOptions } from '../../src/host/start-module.js';
import { generateKeyEntry } from '../../src/store/keyring.js';
import { openConnectionStore } from '../../src/store/open-connection-store.js';
import { FormClient } from './form-client.js';
import { freePort } from './ports.js';

export const testSettings = {
  schema: z.object({
    siteCode: z.string().min(1),
    orderPrefix: z.string().max(5).optional(),
    syncOrders: z.boolean(),
    currency: z.enum(['RUB', 'USD', 'EUR']),
  }),
  fields: {
    siteCode: { label: { en: 'Store', ru: 'Магазин', es: 'Tienda' } },
    orderPrefix: { label: 'Order prefix', help: 'Up to 5 characters' },
    syncOrders: { label: 'Sync orders' },
    currency: { label: 'Currency' },
  },
};

export type TestModuleInput = Partial<ModuleDefinitionInput<(typeof testSettings)['schema']['shape']>>;

export interface Harness {
  readonly emulator: EmulatorHandle;
  readonly crmUrl: string;
  readonly apiKey: string;
  readonly module: RunningModule;
  readonly client: FormClient;
  readonly connectUrl: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Receives the module's JSON log lines (level debug); default: no logging. */
  readonly logStream?: NodeJS.WritableStream;
  /** More options for `startModule` (throttle, timeouts…). */
  readonly start?: Partial<StartModuleOptions>;
}

export async function startHarness(overrides: TestModuleInput = {}, options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await startEmulator({ port: 0, rateLimit: false });
  const { apiKey } = emulator.createAccount({ name: 'demo' });
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-flow-'));
  const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('test') });
  const definition = defineModule({
    integrationCode: 'acme-sync',
    name: { en: 'Acme sync', ru: 'Синхронизация Acme', es: 'Sincronización Acme' },
    logo: 'https://acme.example/logo.svg',
    baseUrl: `http://127.0.0.1:${port}`,
    scopes: ['order_read', 'reference_read'],
    credentials: ['/api/orders', '/api/reference/sites'],
    settings: testSettings,
    integrations: (settings) => ({ payment: { currencies: [settings.currency] } }),
    hooks: {
      async validateSettings({ settings, crm }) {
        const sites = await crm.sites();
        return settings.siteCode in sites
          ? { ok: true }
          : { ok: false, fieldErrors: { siteCode: { en: 'No such store', ru: 'Нет такого магазина', es: 'No existe esa tienda' } } };
      },
    },
    ...overrides,
  });
  const module = await startModule({
    module: definition,
    port,
    store,
    accountUrlPolicy: { allowLocal: true },
    cookieSecret: 'a-test-cookie-secret-of-32-characters!',
    retry: rapidRetriesForTests,
    logger: options.logStream ? { level: 'debug', stream: options.logStream } : false,
    // Every test client is 127.0.0.1 and files connect one account many times: no submit throttle unless a test
    // asks for one (test/throttle.test.ts covers it).
    throttle: { perClient: false, perAccount: false },
    ...options.start,
  });
  return {
    emulator,
    crmUrl: emulator.accountUrl('demo'),
    apiKey,
    module,
    client: new FormClient(),
    connectUrl: `${module.url}/connect`,
    async close() {
      await module.close();
      await store.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const goodSettings = { siteCode: 'main', orderPrefix: 'AC', syncOrders: 'on', currency: 'RUB' } as const;
