/**
 * Runs a module on its own: a Fastify server with the module host at the path of its baseUrl, a store,
 * a CRM transport. For a module inside a bigger app, register `moduleHost` instead.
 */
import { hkdfSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { createConnectKit, type ComposedConnectKit } from '../connect/create-connect-kit.js';
import type { FlowLogger } from '../connect/kit.js';
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import type { RetryPolicy } from '../crm/retry.js';
import { createCrmTransport, type CrmLogger, type CrmTransport } from '../crm/transport.js';
import type { RateLimiter } from '../crm/rate-limiter.js';
import type { HealthCheck } from './plugin.js';
import type { AccountUrlPolicyOptions } from '../crm/types.js';
import { createAccountUrlPolicy } from '../crm/account-url.js';
import { ConfigError } from '../errors.js';
import { type Keyring, loadKeyring } from '../store/keyring.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import type { Connection, ConnectionStore } from '../store/types.js';
import { moduleHost } from './plugin.js';
import { KyselyConnectionStore } from '../store/kysely-connection-store.js';
import { createJobRunner, type JobRunner, type JobRunnerOptions } from '../jobs/runner.js';
import { jobsPanel } from '../jobs/panel.js';
import { fleetPanel } from '../fleet/panel.js';
import { withRegistrationTracking } from '../fleet/tracking.js';
import { offerReregistration } from '../fleet/offer.js';
import { redactingSerializers } from './security.js';

/**
 * A module, or a function building it from the address the server listens on, for a module whose `baseUrl`
 * depends on its port (`port: 0` in tests): the function is called once the port is known.
 */
export type ModuleSource = AnyModuleDefinition | ((baseUrl: string) => AnyModuleDefinition);

export interface StartModuleOptions {
  readonly module: ModuleSource;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Production mode: a keyring is required and local account addresses are refused. Default: NODE_ENV. */
  readonly production?: boolean;
  /** A ready store; otherwise one is opened from `databaseUrl` (default SQLite under `dataDir`). */
  readonly store?: ConnectionStore;
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  /** Default: `MODULE_SECRET_KEYS`, or a development keyring under `dataDir`. */
  readonly keyring?: Keyring;
  readonly accountUrlPolicy?: AccountUrlPolicyOptions;
  readonly transport?: CrmTransport;
  /** The CRM rate limiter of the transport built here; share one through Redis across instances (docs/guide/fleet.md). */
  readonly rateLimiter?: RateLimiter;
  readonly retry?: RetryPolicy;
  /** Signs cookies. Default: derived from the keyring, so there is one secret less to configure. */
  readonly cookieSecret?: string | readonly string[];
  readonly redirectAfterConnect?: (connection: Connection) => string;
  /** Adds the developer's own routes and plugins before the server starts listening. */
  readonly configure?: (app: FastifyInstance) => void | Promise<void>;
  /** Fastify/pino logging: `false` for none; a `stream` receives the JSON lines instead of stdout. Default: `info`. */
  readonly logger?: boolean | { readonly level: string; readonly stream?: NodeJS.WritableStream };
  /** The module's declared jobs: engine and concurrency (docs/guide/fleet.md), or `false` not to run them here. */
  readonly jobs?: false | Pick<JobRunnerOptions, 'engine' | 'concurrency' | 'checkEveryMs' | 'pollSeconds' | 'pgBossSchema' | 'pgBossRecovery' | 'onRun'>;
}

export interface RunningModule {
  readonly app: FastifyInstance;
  /** Where the server listens, e.g. `http://127.0.0.1:7800`. */
  readonly url: string;
  readonly store: ConnectionStore;
  readonly kit: ComposedConnectKit;
  /** The job runner, when the module declares jobs and they run in this process. */
  readonly jobs: JobRunner | undefined;
  close(): Promise<void>;
}

export async function startModule(options: StartModuleOptions): Promise<RunningModule> {
  const production = options.production ?? process.env.NODE_ENV === 'production';
  const keyring = options.keyring ?? (options.store && options.cookieSecret ? undefined : loadKeyring({ production, dataDir: options.dataDir }).keyring);
  const store =
    options.store ??
    (await openConnectionStore({ keyring: keyring as Keyring, databaseUrl: options.databaseUrl, dataDir: options.dataDir }));
  const logger = options.logger ?? { level: 'info' };
  const host = options.host ?? '127.0.0.1';
  // A module built from its address needs the socket bound before the routes exist: bind it first, then hand it
  // to Fastify (serverFactory), which never listens itself and so never closes it.
  const early = typeof options.module === 'function' ? await bindServer(options.port ?? 0, host) : undefined;
  let module: AnyModuleDefinition;
  try {
    module = typeof options.module === 'function' ? options.module(early!.url) : options.module;
    // Fleet operations need to know which payload each connection was registered with (docs/guide/fleet.md).
    if (store instanceof KyselyConnectionStore) module = withRegistrationTracking(module, store.db);
  } catch (error) {
    await early?.close();
    if (!options.store) await store.close();
    throw error;
  }
  const app = Fastify({
    ...(early ? { serverFactory: early.attach } : {}),
    logger:
      logger === false
        ? false
        : {
            level: logger === true ? 'info' : logger.level,
            serializers: redactingSerializers,
            ...(logger !== true && logger.stream ? { stream: logger.stream } : {}),
          },
    // Behind a proxy the module sees the proxy's address; it does not use client IPs, so nothing to trust.
    trustProxy: false,
  });
  let jobs: JobRunner | undefined;
  let jobsStopped = false;
  try {
    // Production refuses local account addresses whatever NODE_ENV says (STYLE R17: dev switches never ship).
    const env = production ? { NODE_ENV: 'production' } : process.env;
    const policy = createAccountUrlPolicy(options.accountUrlPolicy ?? {}, env);
    if (production && options.transport?.policy.allowLocal)
      throw new ConfigError(['the transport allows local account addresses, which production mode refuses']);
    if (production && !module.baseUrl.startsWith('https://'))
      app.log.warn({ baseUrl: module.baseUrl }, 'production with an http:// baseUrl: cookies are not Secure and the CRM may refuse it');
    const kit = createConnectKit({
      module,
      store,
      // CRM calls are logged through the app's logger (method, path, status, duration; never the key).
      transport:
        options.transport ??
        createCrmTransport({
          accountUrlPolicy: policy,
          logger: app.log as unknown as CrmLogger,
          ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
        }),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.redirectAfterConnect ? { redirectAfterConnect: options.redirectAfterConnect } : {}),
      logger: app.log as unknown as FlowLogger,
    });
    const prefix = new URL(module.baseUrl).pathname.replace(/\/+$/, '');
    // Jobs need the store's database (their state and, on SQLite, their queue live there).
    if (module.jobs.length > 0 && options.jobs !== false && store instanceof KyselyConnectionStore) {
      jobs = createJobRunner({ kit, jobs: module.jobs, db: store.db, dialect: store.dialect, ...(options.jobs ?? {}) });
    }
    await app.register(moduleHost, {
      prefix,
      kit,
      cookieSecret: options.cookieSecret ?? cookieSecretsFrom(keyring as Keyring),
      settingsPanels: [
        ...(jobs ? [jobsPanel(jobs, module.jobs.map((job) => job.name))] : []),
        ...(store instanceof KyselyConnectionStore ? [fleetPanel(store.db)] : []),
      ],
      healthChecks: healthChecksFor(options.rateLimiter, () => jobsStopped),
    });
    await options.configure?.(app);
    if (early) await app.ready();
    else await app.listen({ port: options.port ?? 0, host });
    await jobs?.start();
    const runner = jobs;
    if (store instanceof KyselyConnectionStore) offerReregistration(kit, store.db, app.log);
    return {
      app,
      url: early?.url ?? urlOf(app.server, host),
      store,
      kit,
      jobs: runner,
      async close() {
        jobsStopped = true;
        await runner?.stop();
        await app.close();
        await early?.close();
        if (!options.transport) await kit.transport.close();
        if (!options.store) await store.close();
      },
    };
  } catch (error) {
    await jobs?.stop().catch(() => undefined);
    await app.close();
    await early?.close();
    if (!options.store) await store.close();
    throw error;
  }
}

/** A shared limiter that fell back to in-process counting still serves, but says so. */
function healthChecksFor(limiter: RateLimiter | undefined, stopping: () => boolean): HealthCheck[] {
  const checks: HealthCheck[] = [{ name: 'shutdown', check: () => (stopping() ? 'unavailable' : 'ok') }];
  const health = (limiter as { health?: () => Promise<'ok' | 'degraded'> } | undefined)?.health;
  if (health) checks.push({ name: 'rateLimiter', check: () => health.call(limiter) });
  return checks;
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  // A wildcard address is not one to send a browser to; loopback reaches it.
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

interface BoundServer {
  readonly url: string;
  readonly attach: (handler: Parameters<typeof createServer>[1]) => Server;
  close(): Promise<void>;
}

async function bindServer(port: number, host: string): Promise<BoundServer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: urlOf(server, host),
    attach: (handler) => server.on('request', handler!),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One cookie secret per keyring key, newest first: the newest signs, older ones still verify after rotation. */
export function cookieSecretsFrom(keyring: Keyring): string[] {
  return [...keyring.ids].reverse().map((id) =>
    Buffer.from(hkdfSync('sha256', keyring.key(id) as Buffer, Buffer.alloc(0), 'retailcrm-module-kit/cookies', 32)).toString('base64url'),
  );
}
