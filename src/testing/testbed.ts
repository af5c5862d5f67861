/**
 * A CRM and a module on one machine, for a module author's own tests: the emulator with an account, the module
 * on a free port (its baseUrl known once it listens), a SQLite store in a temporary folder, and the steps the
 * CRM and a person take: connect through the real form, open the settings page, switch the module on and off.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import { rapidRetriesForTests, type RetryPolicy } from '../crm/retry.js';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../emulator/index.js';
import type { ActivityDelivery } from '../emulator/state.js';
import { startModule, type ModuleSource, type RunningModule, type StartModuleOptions } from '../host/start-module.js';
import { generateKeyEntry } from '../store/keyring.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import type { Connection, ConnectionStore } from '../store/types.js';
import { alertText, FormClient, fieldErrors, formFields, type FormFields, type FormResponse } from './form-client.js';

export interface TestbedOptions {
  /** The module, or a function of its base URL (the usual `createModule` of a module file). */
  readonly module: ModuleSource;
  /** The emulator account to connect. Default `demo`. */
  readonly account?: string;
  /** Emulator options. Default: a free port, no rate limit (tests that want one pass it). */
  readonly emulator?: EmulatorOptions;
  /** A store of your own; default SQLite in a temporary folder, removed on close. */
  readonly store?: ConnectionStore;
  /** CRM retries. Default: no waiting between retries, so faults cost no time. */
  readonly retry?: RetryPolicy;
  /** Module logging. Default: none. */
  readonly logger?: StartModuleOptions['logger'];
  /** Your own routes and plugins, as `startModule`'s `configure`. */
  readonly configure?: StartModuleOptions['configure'];
  /** Metrics and traces, as `startModule`'s `observability` (from `createObservability`). Default: off. */
  readonly observability?: StartModuleOptions['observability'];
  /** Any other `startModule` option (timeouts, the connect-form throttle…), applied last. */
  readonly start?: Partial<Omit<StartModuleOptions, 'module' | 'store' | 'port'>>;
}

/** A setting's value as a test gives it: booleans tick or clear a checkbox, lists pick several options. */
export type SettingValue = string | number | boolean | readonly string[];

export interface ConnectOptions {
  /** Default: the testbed's key with every right. */
  readonly apiKey?: string;
  /** The account address typed into the form. Default: the testbed's account. */
  readonly account?: string;
  /** Settings to type; fields not named keep what the form shows (their defaults). */
  readonly settings?: Readonly<Record<string, SettingValue>>;
  /** The browser to use. Default: the testbed's own. */
  readonly browser?: FormClient;
}

export interface ConnectAttempt {
  /** The CRM accepted the registration and the form sent the person back to the account. */
  readonly ok: boolean;
  readonly status: number;
  /** The page's error summary, when the form was shown again. */
  readonly errorText: string | undefined;
  /** The error beside each field, by field name (`apiKey`, `account` or a setting). */
  readonly fieldErrors: Readonly<Record<string, string>>;
  /** The last response: the redirect on success, the form page on failure. */
  readonly page: FormResponse;
  /** The stored connection of this module and account, whatever state it is in. */
  readonly connection: Connection | undefined;
}

export interface Testbed {
  readonly emulator: EmulatorHandle;
  /** `http://{account}.localhost:{port}`. */
  readonly accountUrl: string;
  /** A key of the account with every right. */
  readonly apiKey: string;
  readonly module: RunningModule;
  readonly definition: AnyModuleDefinition;
  readonly store: ConnectionStore;
  /** The cookie-keeping browser the steps use. */
  readonly browser: FormClient;
  /** The module's connect form (its accountUrl in the Marketplace). */
  readonly connectUrl: string;
  /** Connects through the form; throws with the page's error text when the form refuses. */
  connect(options?: ConnectOptions): Promise<Connection>;
  /** One submit of the form, for tests of what fails. */
  submitConnect(options?: ConnectOptions): Promise<ConnectAttempt>;
  /** The clientId the CRM holds for a connection (what the CRM sends with every callback). */
  clientIdOf(connection: Connection): string;
  /** Opens the settings page as the CRM's "Open settings" does, following the redirect to the page. */
  openSettings(connection: Connection, browser?: FormClient): Promise<FormResponse>;
  /** The CRM switches the module on or off (or freezes it) and sends the activity callback. */
  setActivity(connection: Connection, activity: { active?: boolean; freeze?: boolean }): Promise<ActivityDelivery>;
  close(): Promise<void>;
}

export async function startTestbed(options: TestbedOptions): Promise<Testbed> {
  const accountName = options.account ?? 'demo';
  const emulator = await startEmulator({ port: 0, rateLimit: false, ...options.emulator });
  const dir = options.store ? undefined : mkdtempSync(join(tmpdir(), 'rcmk-testbed-'));
  let store: ConnectionStore | undefined = options.store;
  try {
    store ??= await openConnectionStore({ databaseUrl: join(dir!, 'module.sqlite'), keyring: generateKeyEntry('test') });
    const { apiKey } = emulator.createAccount({ name: accountName });
    const module = await startModule({
      module: options.module,
      port: 0,
      store,
      production: false,
      accountUrlPolicy: { allowLocal: true },
      cookieSecret: 'testbed-cookie-secret-that-is-long-enough',
      retry: options.retry ?? rapidRetriesForTests,
      logger: options.logger ?? false,
      ...(options.configure ? { configure: options.configure } : {}),
      ...(options.observability ? { observability: options.observability } : {}),
      // Tests connect one account many times from one address: no connect-form throttle unless a test asks.
      throttle: { perClient: false, perAccount: false },
      ...options.start,
    });
    return testbed({ emulator, module, store, accountName, apiKey, ownsStore: !options.store, dir });
  } catch (error) {
    if (!options.store) await store?.close();
    await emulator.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Parts {
  readonly emulator: EmulatorHandle;
  readonly module: RunningModule;
  readonly store: ConnectionStore;
  readonly accountName: string;
  readonly apiKey: string;
  readonly ownsStore: boolean;
  readonly dir: string | undefined;
}

function testbed({ emulator, module, store, accountName, apiKey, ownsStore, dir }: Parts): Testbed {
  const definition = module.kit.module;
  const accountUrl = emulator.accountUrl(accountName);
  const browser = new FormClient();
  const connectUrl = `${definition.baseUrl.replace(/\/+$/, '')}${definition.paths.connect}`;
  const settingsUrl = `${definition.baseUrl.replace(/\/+$/, '')}${definition.paths.settings}`;

  const clientIdOf = (connection: Connection) => {
    const account = accountNameOf(connection.accountUrl) ?? accountName;
    const registered = emulator.integrationModules(account).find((m) => m.code === definition.code);
    if (!registered) throw new Error(`the CRM holds no registration of ${definition.code} for ${connection.accountUrl}`);
    return registered.clientId;
  };

  const submitConnect = async (connect: ConnectOptions = {}): Promise<ConnectAttempt> => {
    const client = connect.browser ?? browser;
    const account = connect.account ?? accountUrl;
    const form = await client.get(`${connectUrl}?account=${encodeURIComponent(account)}`);
    if (form.status !== 200) throw new Error(`the connect form answered ${form.status}: ${form.body.slice(0, 200)}`);
    const fields: Record<string, string | readonly string[]> = {
      ...formFields(form.body),
      account,
      apiKey: connect.apiKey ?? apiKey,
    };
    for (const [name, value] of Object.entries(connect.settings ?? {})) {
      if (value === false) delete fields[name];
      else fields[name] = value === true ? 'on' : typeof value === 'number' ? String(value) : value;
    }
    const page = await client.post(connectUrl, fields as FormFields);
    const ok = page.status === 302 || page.status === 303;
    return {
      ok,
      status: page.status,
      errorText: ok ? undefined : alertText(page.body),
      fieldErrors: ok ? {} : fieldErrors(page.body),
      page,
      connection: await store.findByAccount(account.replace(/\/+$/, ''), definition.code),
    };
  };

  let closing: Promise<void> | undefined;
  return Object.freeze({
    emulator,
    accountUrl,
    apiKey,
    module,
    definition,
    store,
    browser,
    connectUrl,
    submitConnect,
    clientIdOf,
    async connect(connect?: ConnectOptions) {
      const attempt = await submitConnect(connect);
      if (!attempt.ok || !attempt.connection)
        throw new Error(`connect failed (${attempt.status}): ${attempt.errorText ?? attempt.page.body.slice(0, 300)}`);
      return attempt.connection;
    },
    async openSettings(connection: Connection, client = browser) {
      // The CRM opens the registered accountUrl with a top-level form POST from the account's own pages.
      const entry = await client.post(settingsUrl, { clientId: clientIdOf(connection) }, { origin: new URL(connection.accountUrl).origin });
      return client.follow(entry, settingsUrl);
    },
    setActivity(connection: Connection, activity: { active?: boolean; freeze?: boolean }) {
      return emulator.setActivity(accountNameOf(connection.accountUrl) ?? accountName, definition.code, activity);
    },
    close: () =>
      (closing ??= (async () => {
        await module.close();
        if (ownsStore) await store.close();
        await emulator.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      })()),
  });
}

/** `demo` of `http://demo.localhost:7700`: the emulator names accounts by their host. */
function accountNameOf(accountUrl: string): string | undefined {
  return /^[a-z0-9-]+(?=\.localhost$)/.exec(new URL(accountUrl).hostname)?.[0];
}
