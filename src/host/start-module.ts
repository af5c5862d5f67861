/**
 * Runs a module on its own: a Fastify server with the module host at the path of its baseUrl, a store,
 * a CRM transport. For a module inside a bigger app, register `moduleHost` instead.
 */
import { hkdfSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
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
import { startReconciler } from '../connect/reconcile.js';
import { moduleHost } from './plugin.js';
import { bareClientError } from './input.js';
import type { SubmitThrottleOptions } from './throttle.js';
import type { RateLimit } from '../crm/rate-limiter.js';
import { KyselyConnectionStore } from '../store/kysely-connection-store.js';
import { createJobRunner, type JobRunner, type JobRunnerOptions } from '../jobs/runner.js';
import { jobsPanel } from '../jobs/panel.js';
import { fleetPanel } from '../fleet/panel.js';
import { withRegistrationTracking } from '../fleet/tracking.js';
import { offerReregistration } from '../fleet/offer.js';
import { redactingSerializers } from './security.js';
import type { Observability } from '../observability/observability.js';

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
  /**
   * How long a client may take, so a slow one cannot hold connections (defaults in {@link DEFAULT_TIMEOUTS}):
   * `requestMs` to send the whole request (headers and body), `headersMs` to send the headers, `keepAliveMs` an
   * idle keep-alive connection is kept, `idleMs` a socket may be silent mid-request.
   */
  readonly timeouts?: Partial<ServerTimeouts>;
  /**
   * Production refuses requests whose `Host` is not the module's own (the host of `baseUrl`) with 421, except the
   * health check. Other host names (`host:port` as sent) that are the module too.
   */
  readonly allowedHosts?: readonly string[];
  /** Limits on connect-form submits per client address and per account (`src/host/throttle.ts`). */
  readonly throttle?: SubmitThrottleOptions;
  /** The share of an account's CRM budget the connect form may use (`ConnectKitOptions.unauthenticatedShare`). */
  readonly unauthenticatedShare?: RateLimit | false;
  /**
   * Fastify's `trustProxy`: set it behind a reverse proxy so the per-client throttle sees clients, not the proxy
   * (e.g. `true`, a hop count, or the proxy's addresses). Default false.
   */
  readonly trustProxy?: boolean | number | string | readonly string[];
  /** Adds the developer's own routes and plugins before the server starts listening. */
  readonly configure?: (app: FastifyInstance) => void | Promise<void>;
  /**
   * The reconciler of registrations whose outcome is unknown (a lost `edit` answer nobody retried, a crash between
   * `edit` and the write after it; docs/connect-flow.md): a pass soon after start and every `intervalMs`, over
   * stages older than `olderThanMs`. `false` turns it off (run `reconcileStaged` yourself). Default: on, 60 s / 60 s.
   */
  readonly reconcile?: false | { readonly intervalMs?: number; readonly olderThanMs?: number; readonly firstAfterMs?: number };
  /** Fastify/pino logging: `false` for none; a `stream` receives the JSON lines instead of stdout. Default: `info`. */
  readonly logger?: boolean | { readonly level: string; readonly stream?: NodeJS.WritableStream };
  /** Metrics, traces and the settings page's sparkline, from `createObservability` (docs/guide/observability.md). Default: off. */
  readonly observability?: Observability;
  /** The module's declared jobs: engine and concurrency (docs/guide/fleet.md), or `false` not to run them here. */
  readonly jobs?: false | Pick<JobRunnerOptions, 'engine' | 'concurrency' | 'checkEveryMs' | 'pollSeconds' | 'pgBossSchema' | 'pgBossRecovery' | 'onRun'>;
}

export interface ServerTimeouts {
  readonly requestMs: number;
  readonly headersMs: number;
  readonly keepAliveMs: number;
  readonly idleMs: number;
}

/** Whole request 30 s, headers 10 s, idle keep-alive 5 s, a silent socket 30 s. */
export const DEFAULT_TIMEOUTS: ServerTimeouts = Object.freeze({ requestMs: 30_000, headersMs: 10_000, keepAliveMs: 5_000, idleMs: 30_000 });

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
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const serverOptions = {
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node checks request and header deadlines on this interval (default 30 s, which would let them overrun).
    headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4))),
  };
  // A module built from its address needs the socket bound before the routes exist: bind it first, then hand it
  // to Fastify (serverFactory), which never listens itself and so never closes it.
  const early = typeof options.module === 'function' ? await bindServer(options.port ?? 0, host, serverOptions, timeouts.idleMs) : undefined;
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
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.idleMs,
    http: { headersTimeout: serverOptions.headersTimeout, connectionsCheckingInterval: serverOptions.connectionsCheckingInterval },
    logger:
      logger === false
        ? false
        : {
            level: logger === true ? 'info' : logger.level,
            serializers: redactingSerializers,
            ...(logger !== true && logger.stream ? { stream: logger.stream } : {}),
          },
    // Behind a proxy the module sees the proxy's address unless told to trust it (the connect form's per-client
    // throttle is the one user of client addresses).
    trustProxy: (options.trustProxy ?? false) as boolean,
    // A request line Node cannot parse gets a bodiless 400 (Fastify's default writes a body, even after a HEAD).
    clientErrorHandler: bareClientError,
  });
  let jobs: JobRunner | undefined;
  let jobsStopped = false;
  let reconciler: { stop(): Promise<void> } | undefined;
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
          telemetry: options.observability?.telemetry,
          ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
        }),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.redirectAfterConnect ? { redirectAfterConnect: options.redirectAfterConnect } : {}),
      ...(options.unauthenticatedShare !== undefined ? { unauthenticatedShare: options.unauthenticatedShare } : {}),
      logger: app.log as unknown as FlowLogger,
      telemetry: options.observability?.telemetry,
    });
    const prefix = new URL(module.baseUrl).pathname.replace(/\/+$/, '');
    if (production) refuseForeignHosts(app, module, options.allowedHosts ?? []);
    // Jobs need the store's database (their state and, on SQLite, their queue live there).
    if (module.jobs.length > 0 && options.jobs !== false && store instanceof KyselyConnectionStore) {
      jobs = createJobRunner({ kit, jobs: module.jobs, db: store.db, dialect: store.dialect, ...(options.jobs ?? {}) });
    }
    await app.register(moduleHost, {
      prefix,
      kit,
      cookieSecret: options.cookieSecret ?? cookieSecretsFrom(keyring as Keyring),
      ...(options.throttle ? { throttle: options.throttle } : {}),
      settingsPanels: [
        ...(jobs ? [jobsPanel(jobs, module.jobs.map((job) => job.name))] : []),
        ...(store instanceof KyselyConnectionStore ? [fleetPanel(store.db)] : []),
      ],
      healthChecks: healthChecksFor(options.rateLimiter, () => jobsStopped),
    });
    await options.observability?.attach(app);
    await options.configure?.(app);
    if (early) {
      await app.ready();
      early.open();
    } else await app.listen({ port: options.port ?? 0, host });
    reconciler = options.reconcile === false ? undefined : startReconciler(kit, options.reconcile ?? {});
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
        await reconciler?.stop();
        await app.close();
        await early?.close();
        if (!options.transport) await kit.transport.close();
        if (!options.store) await store.close();
      },
    };
  } catch (error) {
    await jobs?.stop().catch(() => undefined);
    await reconciler?.stop().catch(() => undefined);
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

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

interface BoundServer {
  readonly url: string;
  readonly attach: (handler: RequestHandler) => Server;
  /** Fastify is ready: serve the requests held so far, and every later one. */
  open(): void;
  close(): Promise<void>;
}

async function bindServer(port: number, host: string, serverOptions: ServerOptions, idleMs: number): Promise<BoundServer> {
  const server = createServer(serverOptions);
  server.setTimeout(idleMs);
  // The socket listens before Fastify is ready, and Fastify must not see a request until it is: hold them.
  let serve: RequestHandler | undefined;
  let handler: RequestHandler | undefined;
  const held: [IncomingMessage, ServerResponse][] = [];
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (serve) serve(request, response);
    else held.push([request, response]);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: urlOf(server, host),
    attach: (fastifyHandler) => {
      handler = fastifyHandler;
      return server;
    },
    open() {
      serve = handler;
      for (const [request, response] of held.splice(0)) serve?.(request, response);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [, response] of held.splice(0)) response.writeHead(503, { 'retry-after': '1' }).end();
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * 421 for a request whose `Host` is not the module's (DNS rebinding, a proxy sending another site's traffic, a
 * crafted Host that ends up in a redirect). The health check answers whatever the Host: load balancers probe by
 * address.
 */
function refuseForeignHosts(app: FastifyInstance, module: AnyModuleDefinition, extra: readonly string[]): void {
  const base = new URL(module.baseUrl);
  const allowed = new Set([base.host, ...extra].map((host) => host.toLowerCase()));
  const health = `${base.pathname.replace(/\/+$/, '')}${module.paths.health}`;
  app.addHook('onRequest', async (request, reply) => {
    const host = (request.headers.host ?? '').toLowerCase();
    if (allowed.has(host) || request.url === health || request.url.startsWith(`${health}?`)) return;
    request.log.warn({ host: host.slice(0, 100) }, 'request for another host refused');
    return reply.code(421).type('text/plain; charset=utf-8').send('Misdirected request');
  });
}

/** One cookie secret per keyring key, newest first: the newest signs, older ones still verify after rotation. */
export function cookieSecretsFrom(keyring: Keyring): string[] {
  return [...keyring.ids].reverse().map((id) =>
    Buffer.from(hkdfSync('sha256', keyring.key(id) as Buffer, Buffer.alloc(0), 'retailcrm-module-kit/cookies', 32)).toString('base64url'),
  );
}
