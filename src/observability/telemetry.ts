/**
 * The one seam between the kit's flows and whatever watches them: Prometheus metrics, OpenTelemetry spans, the
 * settings page's recent-activity sparkline. The flows call a {@link KitTelemetry} at a few points (each connect
 * step, each callback, each CRM request); when none is configured they call nothing at all, so metrics that are
 * off cost nothing on the activity callback's or the CRM client's hot path.
 *
 * What an event may carry is fixed here, and it never carries a secret: no API key, clientId, token, module
 * secret or settings value. The account URL travels only on CRM calls, for observers that key by account
 * (the sparkline); the metrics never turn it into a label.
 * @module
 */
import { performance } from 'node:perf_hooks';

/** The lifecycle steps a span and a duration are recorded for. A closed set: each is a bounded label value. */
export type KitStep =
  | 'connect.form'
  | 'connect.simple'
  | 'check.api_versions'
  | 'check.credentials'
  | 'check.settings'
  | 'registration'
  | 'hook.on_connected'
  | 'callback'
  | 'job';

/** Extra attributes of a step's span: bounded, non-secret values only. */
export type StepAttributes = Readonly<Record<string, string | number | boolean>>;

/** How the person (or the CRM) connected: the connect form, or the simple connection's register request. */
export type ConnectMethod = 'form' | 'simple';

export interface ConnectFinished {
  readonly method: ConnectMethod;
  readonly ok: boolean;
  /** The stable error code of a refused connect (e.g. `RCMK_API_KEY_INVALID`); absent when `ok`. */
  readonly code?: string;
  readonly durationMs: number;
}

export interface CallbackServed {
  /** The CRM's action name: `activity`, `settings`, or an integration's (`calculate`, `refund`, …). */
  readonly action: string;
  /** The HTTP status the module answered. */
  readonly status: number;
  readonly durationMs: number;
  /** The connection served, when one was found; for per-connection observers, never a metric label. */
  readonly connectionId?: string;
}

export interface CrmCallFinished {
  readonly method: 'GET' | 'POST';
  /** The request path without the query string, e.g. `/api/v5/integration-modules/acme/edit`. */
  readonly path: string;
  /** Normalized account URL; per-account observers only (see the module comment). */
  readonly accountUrl: string;
  /** The HTTP status; absent when no answer arrived. */
  readonly status?: number;
  /** The transport error's stable code when no answer arrived. */
  readonly error?: string;
  /** `performance.now()` when the call began (before the rate limiter). */
  readonly startedAt: number;
  /** Milliseconds spent waiting for the rate limiter. */
  readonly waitedMs: number;
}

export interface JobFinished {
  /** The declared job's name (a bounded set). */
  readonly job: string;
  readonly outcome: 'ok' | 'failed' | 'aborted';
  readonly durationMs: number;
  readonly connectionId?: string;
}

export interface FleetRunFinished {
  readonly job: string;
  /** Connections the run reached, and how many of them failed. */
  readonly connections: number;
  readonly failed: number;
  readonly durationMs: number;
}

/** Counts of one connection's recent traffic, for the settings page (oldest bucket first). */
export interface RecentActivity {
  /** Width of one bucket in milliseconds, and when the newest bucket ends. */
  readonly bucketMs: number;
  readonly endsAt: number;
  readonly callbacks: readonly { readonly total: number; readonly failed: number }[];
  readonly crmCalls: readonly { readonly total: number; readonly failed: number }[];
}

/**
 * An observer of the kit. Every method is a notification: it must not throw and must not wait for I/O.
 * `step` is the exception: it runs the step (so a tracer can make it the parent of what happens inside) and
 * returns its result unchanged.
 */
export interface KitTelemetry {
  /**
   * Runs one lifecycle step. `failureCode` reads a failure that is returned as a value (the flows return an
   * expected "no" rather than throwing); a thrown error is a failure too, and is rethrown as is.
   */
  step<T>(step: KitStep, run: () => Promise<T>, failureCode?: (result: T) => string | undefined, attributes?: StepAttributes): Promise<T>;
  connectFinished(event: ConnectFinished): void;
  callbackServed(event: CallbackServed): void;
  crmCallFinished(event: CrmCallFinished): void;
  jobFinished(event: JobFinished): void;
  fleetRunFinished(event: FleetRunFinished): void;
  /** One connection's recent traffic, when this observer keeps it (the recent-activity recorder does). */
  recentActivity?(connection: { readonly id: string; readonly accountUrl: string }): RecentActivity | undefined;
}

/** A base for observers that care about a few events: every method does nothing, `step` just runs. */
export const quietTelemetry: KitTelemetry = Object.freeze({
  step: <T>(_step: KitStep, run: () => Promise<T>) => run(),
  connectFinished() {},
  callbackServed() {},
  crmCallFinished() {},
  jobFinished() {},
  fleetRunFinished() {},
});

/** Several observers as one; steps nest in the given order (the first is the outermost). */
export function combineTelemetry(...observers: readonly (KitTelemetry | undefined)[]): KitTelemetry | undefined {
  const list = observers.filter((o): o is KitTelemetry => o !== undefined);
  if (list.length <= 1) return list[0];
  // Only observers with a step of their own wrap a step: the others would add a closure and an await for nothing.
  const stepping = list.filter((o) => o.step !== quietTelemetry.step);
  const [outer, inner] = stepping;
  return Object.freeze({
    step<T>(step: KitStep, run: () => Promise<T>, failureCode?: (result: T) => string | undefined, attributes?: StepAttributes) {
      if (!outer) return run();
      if (!inner) return outer.step(step, run, failureCode, attributes);
      const nested = stepping.reduceRight<() => Promise<T>>((next, o) => () => o.step(step, next, failureCode, attributes), run);
      return nested();
    },
    connectFinished: (e: ConnectFinished) => list.forEach((o) => o.connectFinished(e)),
    callbackServed: (e: CallbackServed) => list.forEach((o) => o.callbackServed(e)),
    crmCallFinished: (e: CrmCallFinished) => list.forEach((o) => o.crmCallFinished(e)),
    jobFinished: (e: JobFinished) => list.forEach((o) => o.jobFinished(e)),
    fleetRunFinished: (e: FleetRunFinished) => list.forEach((o) => o.fleetRunFinished(e)),
    recentActivity(connection: { readonly id: string; readonly accountUrl: string }) {
      for (const o of list) {
        const found = o.recentActivity?.(connection);
        if (found) return found;
      }
      return undefined;
    },
  });
}

/** What the flows hold: an optional observer (absent = off). */
export interface Observed {
  readonly telemetry?: KitTelemetry;
}

/** One step of a flow, observed when telemetry is on; otherwise exactly `run()`. */
export function observeStep<T>(
  owner: Observed,
  step: KitStep,
  run: () => Promise<T>,
  failureCode?: (result: T) => string | undefined,
): Promise<T> {
  return owner.telemetry ? owner.telemetry.step(step, run, failureCode) : run();
}

type ConnectOutcome = { readonly ok: true } | { readonly ok: false; readonly code?: string; readonly failure?: { readonly code: string } };

const connectCode = (result: ConnectOutcome): string | undefined =>
  result.ok ? undefined : (result.code ?? result.failure?.code ?? 'RCMK_UNKNOWN');

/** A whole connect (the form's submission or a register request): a span, and the connects counter. */
export async function observeConnect<R extends ConnectOutcome>(owner: Observed, method: ConnectMethod, run: () => Promise<R>): Promise<R> {
  const telemetry = owner.telemetry;
  if (!telemetry) return run();
  const started = performance.now();
  let result: R | undefined;
  try {
    result = await telemetry.step(method === 'form' ? 'connect.form' : 'connect.simple', run, connectCode);
    return result;
  } finally {
    const code = result ? connectCode(result) : 'RCMK_INTERNAL';
    telemetry.connectFinished({ method, ok: code === undefined, ...(code ? { code } : {}), durationMs: performance.now() - started });
  }
}

type CallbackOutcome = { readonly status: number; readonly connectionId?: string };

// Frozen attribute objects per action name, made once: callbacks are a hot path. Action names come from code
// (the declared callbacks), never from a request; the cap only guards against a caller passing something else.
const ACTION_ATTRIBUTES = new Map<string, StepAttributes>();
const actionAttributes = (action: string): StepAttributes => {
  let found = ACTION_ATTRIBUTES.get(action);
  if (!found) {
    found = Object.freeze({ 'rcmk.callback.action': action });
    if (ACTION_ATTRIBUTES.size < 256) ACTION_ATTRIBUTES.set(action, found);
  }
  return found;
};
const callbackFailure = (outcome: CallbackOutcome) => (outcome.status >= 400 ? `HTTP_${outcome.status}` : undefined);

/** One callback from the CRM (activity, settings, an integration's action): a span, a count and a latency. */
export function observeCallback<R extends CallbackOutcome>(owner: Observed, action: string, run: () => Promise<R>): Promise<R> {
  // Not async itself: with observability off a callback pays no extra promise (it is the hot path).
  const telemetry = owner.telemetry;
  return telemetry ? observedCallback(telemetry, action, run) : run();
}

async function observedCallback<R extends CallbackOutcome>(telemetry: KitTelemetry, action: string, run: () => Promise<R>): Promise<R> {
  const started = performance.now();
  let status = 500;
  let connectionId: string | undefined;
  try {
    const outcome = await telemetry.step('callback', run, callbackFailure, actionAttributes(action));
    status = outcome.status;
    connectionId = outcome.connectionId;
    return outcome;
  } finally {
    telemetry.callbackServed({ action, status, durationMs: performance.now() - started, ...(connectionId ? { connectionId } : {}) });
  }
}

/** One job run for one connection. */
export async function observeJob<T>(owner: Observed, job: string, connectionId: string | undefined, run: () => Promise<T>): Promise<T> {
  const telemetry = owner.telemetry;
  if (!telemetry) return run();
  const started = performance.now();
  let outcome: JobFinished['outcome'] = 'failed';
  try {
    const result = await telemetry.step('job', run, undefined, { 'rcmk.job': job });
    outcome = 'ok';
    return result;
  } catch (error) {
    if ((error as { name?: string } | undefined)?.name === 'AbortError') outcome = 'aborted';
    throw error;
  } finally {
    telemetry.jobFinished({ job, outcome, durationMs: performance.now() - started, ...(connectionId ? { connectionId } : {}) });
  }
}
