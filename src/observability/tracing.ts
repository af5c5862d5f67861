/**
 * OpenTelemetry spans for the kit, through `@opentelemetry/api` only: the application brings the SDK (a
 * `NodeTracerProvider`, an exporter) and registers it; without one, the API's no-op tracer makes this free.
 *
 * Parenting does not rely on the application's context manager: the kit keeps its own current span in an
 * AsyncLocalStorage, so the checks, the registration and each CRM request are children of their connect even
 * when no context manager is registered. The first span of a flow takes the application's active context as
 * its parent (an incoming HTTP request's span, when the SDK instruments Fastify).
 *
 * Attributes are a fixed, non-secret set: step names, outcomes, stable error codes, HTTP method and status,
 * templated CRM endpoints, the account's host name. Never an API key, a clientId, a token or a settings value.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context as otelContext, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { crmEndpointOf } from './crm-endpoint.js';
import { quietTelemetry, type CrmCallFinished, type KitStep, type KitTelemetry, type StepAttributes } from './telemetry.js';

export interface KitTracingOptions {
  /** Default `trace.getTracer('retailcrm-module-kit')` from the globally registered provider. */
  readonly tracer?: Tracer;
}

export const TRACER_NAME = 'retailcrm-module-kit';

/** Only codes that look like our stable codes or HTTP statuses become attributes (never an error's message). */
const SAFE_CODE = /^(?:RCMK_[A-Z0-9_]+|HTTP_\d{3}|[A-Z][A-Z0-9_]{1,40})$/;

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && SAFE_CODE.test(code) ? code : 'RCMK_INTERNAL';
}

export function createKitTracing(options: KitTracingOptions = {}): KitTelemetry {
  const tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
  const current = new AsyncLocalStorage<Context>();
  const parent = (): Context => current.getStore() ?? otelContext.active();

  const fail = (span: Span, code: string) => {
    span.setAttribute('rcmk.error_code', code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  };

  return Object.freeze({
    ...quietTelemetry,
    async step<T>(step: KitStep, run: () => Promise<T>, failureCode?: (result: T) => string | undefined, attributes?: StepAttributes): Promise<T> {
      const action = attributes?.['rcmk.callback.action'] ?? attributes?.['rcmk.job'];
      const name = action === undefined ? `rcmk.${step}` : `rcmk.${step} ${action}`;
      const span = tracer.startSpan(name, { kind: step === 'callback' ? SpanKind.SERVER : SpanKind.INTERNAL, attributes: { 'rcmk.step': step, ...attributes } }, parent());
      try {
        const result = await current.run(trace.setSpan(parent(), span), run);
        const code = failureCode?.(result);
        if (code) fail(span, SAFE_CODE.test(code) ? code : 'RCMK_INTERNAL');
        else span.setStatus({ code: SpanStatusCode.OK });
        return result;
      } catch (error) {
        fail(span, errorCodeOf(error));
        throw error;
      } finally {
        span.end();
      }
    },
    crmCallFinished(e: CrmCallFinished) {
      const endpoint = crmEndpointOf(e.path);
      const span = tracer.startSpan(
        `rcmk.crm ${e.method} ${endpoint}`,
        {
          kind: SpanKind.CLIENT,
          startTime: e.startedAt,
          attributes: {
            'rcmk.step': 'crm.call',
            'http.request.method': e.method,
            'url.template': endpoint,
            'server.address': hostOf(e.accountUrl),
            'rcmk.crm.limiter_wait_ms': Math.round(e.waitedMs),
            ...(e.status === undefined ? {} : { 'http.response.status_code': e.status }),
          },
        },
        parent(),
      );
      if (e.error) fail(span, SAFE_CODE.test(e.error) ? e.error : 'RCMK_INTERNAL');
      else if (e.status !== undefined && e.status >= 400) fail(span, `HTTP_${e.status}`);
      span.end();
    },
  });
}

function hostOf(accountUrl: string): string {
  try {
    return new URL(accountUrl).hostname;
  } catch {
    return '';
  }
}
