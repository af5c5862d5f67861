/**
 * The routes only the CRM and load balancers call, never a browser: the activity callback (PROTOCOL §11.1), the
 * health check and the simple connection's config and register endpoints (§13). They live in a scope of their own,
 * beside the pages': JSON in the CRM's envelope needs none of the pages' cookie, CSRF and security-header hooks,
 * which cost a callback a third of its speed (docs/performance.md). A refused body is answered in the envelope too,
 * never with an HTML page.
 * @module
 */
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance } from 'fastify';
import { handleActivityCallback } from '../connect/activity.js';
import { observeCallback, observeConnect } from '../observability/telemetry.js';
import { refuseRepeated, refuseRepeatedNow } from './input.js';
import type { HealthCheck, HostContext } from './plugin.js';

/** `errorMsg` of the error answers, by status. */
const JSON_ERRORS: Readonly<Record<number, string>> = {
  400: 'Malformed request',
  413: 'Request body is too large',
  429: 'Too many requests',
  415: 'Unsupported content type: send application/x-www-form-urlencoded',
};

/**
 * The one security header a JSON answer needs (no browser renders it as a page): set by hand on each answer, since a
 * hook on this scope would cost every callback more than the header does.
 */
export const NOSNIFF = ['x-content-type-options', 'nosniff'] as const;

export interface ServerRouteOptions {
  readonly bodyLimit: number;
  readonly healthChecks: readonly HealthCheck[];
}

export async function serverRoutes(app: FastifyInstance, host: HostContext, options: ServerRouteOptions): Promise<void> {
  const { kit } = host;
  const { paths } = kit.module;
  await app.register(formbody, { bodyLimit: options.bodyLimit });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).header(...NOSNIFF).send({ success: false, errorMsg: JSON_ERRORS[status] ?? 'Internal error' });
  });

  // The activity callback: identified by clientId only. The repeat check is inline, not a hook (the hot path).
  app.post(paths.activity, async (request, reply) => {
    refuseRepeatedNow(request);
    const outcome = await observeCallback(kit, 'activity', () => handleActivityCallback(kit, request.body ?? {}));
    if (outcome.status === 200) request.log.info({ connectionId: outcome.connectionId }, 'activity callback applied');
    else request.log.warn({ status: outcome.status }, outcome.body.errorMsg);
    return reply.code(outcome.status).header(...NOSNIFF).send(outcome.body);
  });

  // Whether this instance can serve: a load balancer takes it out on 503. `degraded` still serves (200).
  app.get(paths.health, async (request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await kit.store.ping();
      checks.store = 'ok';
    } catch (error) {
      request.log.error({ err: error }, 'health check: the store does not answer');
      checks.store = 'unavailable';
    }
    for (const extra of options.healthChecks) {
      checks[extra.name] = await Promise.resolve(extra.check()).catch(() => 'unavailable' as const);
    }
    const states = Object.values(checks);
    const status = states.includes('unavailable') ? 'unavailable' : states.includes('degraded') ? 'degraded' : 'ok';
    return reply.code(status === 'unavailable' ? 503 : 200).header('cache-control', 'no-store').header(...NOSNIFF).send({ status, checks });
  });

  const simple = host.simple;
  if (simple) {
    app.get(paths.simpleConfig, { preValidation: refuseRepeated }, async (_request, reply) => reply.header('cache-control', 'no-store').header(...NOSNIFF).send(simple.config()));
    app.post(paths.simpleRegister, { preValidation: refuseRepeated }, async (request, reply) => {
      const outcome = await observeConnect(kit, 'simple', () => simple.register(request.body ?? {}, host.locale(request)));
      if (!outcome.ok) request.log.warn({ status: outcome.status, code: outcome.code }, 'simple connection refused');
      return reply.code(outcome.status).header('cache-control', 'no-store').header(...NOSNIFF).send(outcome.body);
    });
  }
}
