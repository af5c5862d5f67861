/**
 * Observability configured from the environment, for `retailcrm-module-kit start`:
 * `METRICS_PORT` (a port of their own) or `METRICS_PATH` (on the module's server), `METRICS_HOST`,
 * `METRICS_TOKEN`, and `RCMK_TRACING=on` (spans through the OpenTelemetry SDK the process registered, e.g. with
 * `node --import ./otel-setup.js`). Nothing set: everything off.
 * @module
 */
import { ConfigError } from '../errors.js';
import { createObservability, type Observability } from './observability.js';

export function observabilityFromEnv(env: Readonly<Record<string, string | undefined>>): Observability | undefined {
  const problems: string[] = [];
  const port = env.METRICS_PORT;
  const path = env.METRICS_PATH;
  const token = env.METRICS_TOKEN;
  const tracing = env.RCMK_TRACING;
  if (port !== undefined && !/^\d{1,5}$/.test(port)) problems.push(`METRICS_PORT must be a port number, got "${port}"`);
  if (tracing !== undefined && !['on', 'off', '1', '0', 'true', 'false'].includes(tracing)) problems.push('RCMK_TRACING must be "on" or "off"');
  const metricsOn = port !== undefined || path !== undefined;
  // The module's own server faces the internet (the CRM calls it): metrics there need a token.
  if (metricsOn && port === undefined && !token) problems.push('METRICS_TOKEN is required when the metrics are served on the module\'s own port (METRICS_PATH without METRICS_PORT)');
  if (problems.length > 0) throw new ConfigError(problems);
  const tracingOn = tracing === 'on' || tracing === '1' || tracing === 'true';
  if (!metricsOn && !tracingOn) return undefined;
  return createObservability({
    ...(metricsOn
      ? {
          metrics: {
            ...(path ? { path } : {}),
            ...(port !== undefined ? { port: Number(port), host: env.METRICS_HOST ?? '127.0.0.1' } : {}),
            ...(token ? { token } : {}),
          },
        }
      : {}),
    tracing: tracingOn,
  });
}
