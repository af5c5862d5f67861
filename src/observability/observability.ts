/**
 * One object that switches the kit's observability on: Prometheus metrics (on a path of the module's server or
 * on a port of their own, optionally behind a bearer token), OpenTelemetry spans, and the settings page's
 * recent-activity sparkline. Everything is off unless asked for.
 *
 * @example
 * ```ts
 * const observability = createObservability({ metrics: { path: '/metrics', token: process.env.METRICS_TOKEN }, tracing: true });
 * await startModule({ module, observability });
 * ```
 * @see ../../docs/guide/observability.md
 * @module
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors.js';
import { safeEqual } from '../store/seal.js';
import { createKitMetrics, type KitMetrics, type KitMetricsOptions } from './prometheus-metrics.js';
import { createRecentActivity, type RecentActivityOptions } from './recent-activity.js';
import { combineTelemetry, type KitTelemetry } from './telemetry.js';
import { createKitTracing, type KitTracingOptions } from './tracing.js';

export interface MetricsExposureOptions extends KitMetricsOptions {
  /** Where the text format is served. Default `/metrics`. */
  readonly path?: string;
  /** Serve on this port instead of the module's own server (0: any free port). */
  readonly port?: number;
  /** Interface of the separate port. Default 127.0.0.1. */
  readonly host?: string;
  /** Require `Authorization: Bearer <token>`; several: any of them. At least 16 characters each. */
  readonly token?: string | readonly string[];
}

export interface ObservabilityOptions {
  readonly metrics?: boolean | MetricsExposureOptions;
  readonly tracing?: boolean | KitTracingOptions;
  /** The settings page's sparkline of the last day. Default: on whenever metrics or tracing are. */
  readonly recentActivity?: boolean | RecentActivityOptions;
}

export interface Observability {
  /** What the kit calls; `undefined` when everything is off (then nothing is called at all). */
  readonly telemetry: KitTelemetry | undefined;
  readonly metrics: KitMetrics | undefined;
  /** Adds the metrics route to the module's app, or starts the separate metrics server (closed with the app). */
  attach(app: FastifyInstance): Promise<void>;
  /** Where the metrics are served once attached (`http://host:port/path`), when on a separate port. */
  readonly metricsUrl: () => string | undefined;
}

export function createObservability(options: ObservabilityOptions = {}): Observability {
  const exposure = options.metrics === true ? {} : options.metrics || undefined;
  const problems: string[] = [];
  const tokens = exposure?.token === undefined ? [] : [exposure.token].flat();
  if (tokens.some((t) => typeof t !== 'string' || t.length < 16)) problems.push('metrics.token must be one or more strings of at least 16 characters');
  const path = exposure?.path ?? '/metrics';
  if (!path.startsWith('/')) problems.push('metrics.path must start with "/"');
  if (exposure?.port !== undefined && !(Number.isInteger(exposure.port) && exposure.port >= 0 && exposure.port <= 65535))
    problems.push('metrics.port must be an integer from 0 to 65535');
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `observability: ${p}`));

  const metrics = exposure ? createKitMetrics(exposure) : undefined;
  const tracing = options.tracing ? createKitTracing(options.tracing === true ? {} : options.tracing) : undefined;
  const wantRecent = options.recentActivity ?? Boolean(metrics || tracing);
  const recent = wantRecent ? createRecentActivity(options.recentActivity === true || !options.recentActivity ? {} : options.recentActivity) : undefined;
  // Tracing outermost: a step's span then also covers the time the other observers take.
  const telemetry = combineTelemetry(tracing, metrics, recent);
  let metricsUrl: string | undefined;

  return Object.freeze({
    telemetry,
    metrics,
    metricsUrl: () => metricsUrl,
    async attach(app: FastifyInstance) {
      if (!metrics || !exposure) return;
      if (exposure.port === undefined) {
        metricsRoute(app, metrics, { path, tokens });
        return;
      }
      const server = Fastify({ logger: false });
      metricsRoute(server, metrics, { path, tokens });
      await server.listen({ port: exposure.port, host: exposure.host ?? '127.0.0.1' });
      const address = server.server.address() as AddressInfo;
      metricsUrl = `http://${exposure.host ?? '127.0.0.1'}:${address.port}${path}`;
      app.addHook('onClose', async () => {
        await server.close();
      });
    },
  });
}

/** `GET path`: the registry in Prometheus text format; 401 without a configured token. */
export function metricsRoute(app: FastifyInstance, metrics: KitMetrics, options: { path?: string; tokens?: readonly string[] } = {}): void {
  const tokens = options.tokens ?? [];
  app.get(options.path ?? '/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    if (tokens.length > 0 && !authorized(request.headers.authorization, tokens)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').header('cache-control', 'no-store').send({ error: 'A bearer token is required' });
    }
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(await metrics.render());
  });
}

function authorized(header: string | undefined, tokens: readonly string[]): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (given === undefined) return false;
  // Every token is compared, so the time taken says nothing about which one (or whether any) matched.
  let ok = false;
  for (const token of tokens) ok = safeEqual(given, token) || ok;
  return ok;
}
