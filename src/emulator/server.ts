/**
 * Builds the emulator's Fastify app: one server, routed by Host header into the account API, the admin pages
 * and the control API.
 * @module
 */
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import { CrmErrorMsg } from '../protocol/index.js';
import { ErrorCode } from '../errors.js';
import { createCallbackSender, type CallbackSender } from './activity.js';
import { adminRoutes } from './admin-routes.js';
import { requestLogRoutes } from './request-log-page.js';
import { apiRoutes } from './api-routes.js';
import type { EmulatorContext } from './context.js';
import { createControl, type EmulatorControl } from './control.js';
import { controlRoutes } from './control-routes.js';
import { createFaultTable } from './faults.js';
import { classifyHost, NO_ACCOUNT_HTML } from './host.js';
import type { ResolvedEmulatorOptions } from './options.js';
import { createEmulatorRateLimiter } from './rate-limit.js';
import { createSimpleConnector, type SimpleConnector } from './simple-connect.js';
import { createResourceControl, resourceControlRoutes } from './resource-control.js';
import { createIntegrationControl } from './integration-control.js';
import { integrationControlRoutes, integrationRoutes } from './integration-routes.js';
import { orderIntegrationRoutes } from './order-integrations-page.js';
import { resourceAdminRoutes } from './resource-admin.js';
import { acceptMultipartFields, resourceRoutes } from './resource-routes.js';
import { EmulatorState, type Account } from './state.js';

export interface EmulatorApp {
  readonly app: FastifyInstance;
  readonly control: EmulatorControl;
  readonly sender: CallbackSender;
  readonly connector: SimpleConnector;
}

const NOT_FOUND_HTML =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page not found</title></head>' +
  '<body><h1>Page not found</h1><p><a href="/admin/marketplace">Marketplace</a></p></body></html>';

/** `accountUrl(name)` must already know the final port (it is read lazily, after listen). */
export function buildEmulatorApp(options: ResolvedEmulatorOptions, accountUrl: (name: string) => string): EmulatorApp {
  const app = Fastify({
    ...(typeof options.logger === 'boolean' ? { logger: options.logger } : { loggerInstance: options.logger }),
    // Fastify's request log would print URLs, which may carry `apiKey`; we log our own masked line instead.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  const state = new EmulatorState();
  const faults = createFaultTable();
  const sender = createCallbackSender({ timeoutMs: options.callbackTimeoutMs });
  const connector = createSimpleConnector({ timeoutMs: options.callbackTimeoutMs });
  const base = createControl({ state, faults, sender, connector, accountUrl });
  const { close: closeResources, ...resources } = createResourceControl({ account: base.account, timeoutMs: options.callbackTimeoutMs });
  const { close: closeIntegrations, ...integrations } = createIntegrationControl({ account: base.account, timeoutMs: options.callbackTimeoutMs });
  const control: EmulatorControl = { ...base, ...resources, ...integrations };
  const accounts = new WeakMap<FastifyRequest, Account>();
  const ctx: EmulatorContext = {
    state,
    control,
    faults,
    limiter: options.rateLimit === null ? null : createEmulatorRateLimiter(options.rateLimit, options.now),
    accountUrl,
    accountOf(request) {
      const account = accounts.get(request);
      // Unreachable through HTTP: the root hook refuses account routes on any other host.
      if (account === undefined) throw new Error('account route reached without an account host');
      return account;
    },
    log: options.logger === false ? null : app.log,
  };

  // No form parser at the root: the account API and the admin pages each register their own (below), so the
  // control API never parses a form a web page could post to it cross-site.
  app.addHook('onRequest', (request, reply, done) => {
    const kind = classifyHost(request.headers.host);
    const control = request.url.startsWith('/_emulator/');
    if (kind.type === 'control') {
      // The control API's JSON-only rule is in control-routes.ts.
      if (control) return done();
      reply.code(404).send({ error: { code: ErrorCode.EmulatorNotFound, message: 'The bare host serves only /_emulator/*' } });
      return;
    }
    const account = kind.type === 'account' ? state.accountNamed(kind.name) : undefined;
    if (account === undefined) {
      // Any host without an account answers like a CRM host that does not exist (PROTOCOL §2.5).
      reply.code(405).type('text/html').send(NO_ACCOUNT_HTML);
      return;
    }
    if (control) {
      reply.code(404).type('text/html; charset=utf-8').send(NOT_FOUND_HTML);
      return;
    }
    accounts.set(request, account);
    done();
  });

  app.register(async (scope) => {
    scope.setErrorHandler((error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      reply.code(status).send({ success: false, errorMsg: status < 500 ? CrmErrorMsg.InputParameters : CrmErrorMsg.ApplicationError });
    });
    // The CRM API takes url-encoded POST bodies (PROTOCOL §2.3), and multipart ones (INTEGRATIONS §24.1).
    await scope.register(formbody);
    acceptMultipartFields(scope);
    apiRoutes(scope, ctx);
    resourceRoutes(scope, ctx);
    integrationRoutes(scope, ctx);
  });
  app.register(async (scope) => {
    // The admin pages are plain HTML forms; their POSTs are checked for a same-origin `Origin` in adminRoutes.
    await scope.register(formbody);
    adminRoutes(scope, ctx);
    requestLogRoutes(scope, ctx);
    resourceAdminRoutes(scope, ctx);
    orderIntegrationRoutes(scope, ctx);
  });
  app.register(async (scope) => {
    controlRoutes(scope, ctx);
    resourceControlRoutes(scope, control);
    integrationControlRoutes(scope, control);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/html; charset=utf-8').send(NOT_FOUND_HTML));
  app.addHook('onClose', async () => {
    await sender.close();
    await connector.close();
    await closeResources();
    await closeIntegrations();
  });
  return { app, control, sender, connector };
}
