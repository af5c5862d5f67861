/**
 * The integration tests' module on the package's own testbed (`retailcrm-module-kit/testing`): the emulator, the
 * module on a real port, a real SQLite store in a temp folder, and a cookie-keeping form client.
 */
import { z } from 'zod';
import { defineModule, type ModuleDefinitionInput } from '../../src/connect/module-definition.js';
import type { EmulatorHandle } from '../../src/emulator/index.js';
import type { RunningModule, StartModuleOptions } from '../../src/host/start-module.js';
import { startTestbed, type Testbed } from '../../src/testing/testbed.js';
import type { FormClient } from './form-client.js';
import type { Observability } from '../../src/observability/index.js';

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
  /** The testbed underneath, with the CRM's and the person's steps. */
  readonly bed: Testbed;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Receives the module's JSON log lines (level debug); default: no logging. */
  readonly logStream?: NodeJS.WritableStream;
  /** Metrics, traces, recent activity for the module (default: off). */
  readonly observability?: Observability;
  /** More options for `startModule` (throttle, timeouts…). */
  readonly start?: Partial<StartModuleOptions>;
}

export async function startHarness(overrides: TestModuleInput = {}, options: HarnessOptions = {}): Promise<Harness> {
  const bed = await startTestbed({
    module: (baseUrl) =>
      defineModule({
        integrationCode: 'acme-sync',
        name: { en: 'Acme sync', ru: 'Синхронизация Acme', es: 'Sincronización Acme' },
        logo: 'https://acme.example/logo.svg',
        baseUrl,
        scopes: ['order_read', 'reference_read'],
        credentials: ['/api/orders', '/api/reference/sites'],
        settings: testSettings,
        // Before the settings are saved (a simple connection left pending) there is no currency yet.
        integrations: (settings) => ({ payment: { currencies: settings.currency ? [settings.currency] : [] } }),
        hooks: {
          async validateSettings({ settings, crm }) {
            const sites = await crm.sites();
            return settings.siteCode in sites
              ? { ok: true }
              : { ok: false, fieldErrors: { siteCode: { en: 'No such store', ru: 'Нет такого магазина', es: 'No existe esa tienda' } } };
          },
        },
        ...overrides,
      }),
    logger: options.logStream ? { level: 'debug', stream: options.logStream } : false,
    ...(options.observability ? { observability: options.observability } : {}),
    ...(options.start ? { start: options.start } : {}),
  });
  return {
    emulator: bed.emulator,
    crmUrl: bed.accountUrl,
    apiKey: bed.apiKey,
    module: bed.module,
    client: bed.browser,
    connectUrl: bed.connectUrl,
    bed,
    close: () => bed.close(),
  };
}

export const goodSettings = { siteCode: 'main', orderPrefix: 'AC', syncOrders: 'on', currency: 'RUB' } as const;
