/**
 * Prometheus metrics of the kit (prom-client), as a {@link KitTelemetry}. Every label takes a bounded set of
 * values: outcomes, stable error codes, HTTP statuses, callback action names, templated CRM endpoints (capped);
 * never a clientId, an API key or an account URL.
 * @see ../../docs/guide/observability.md
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import { boundedLabel, crmEndpointOf } from './crm-endpoint.js';
import { type CounterSeries, type HistogramSeries, HotCounter, HotHistogram } from './hot-metrics.js';
import type {
  CallbackServed,
  ConnectFinished,
  CrmCallFinished,
  FleetRunFinished,
  JobFinished,
  KitStep,
  KitTelemetry,
  StepAttributes,
} from './telemetry.js';

/** Every metric the kit exports, by name: the dashboard and its test read this list. */
export const KIT_METRIC_NAMES = Object.freeze({
  connects: 'rcmk_connects_total',
  connectDuration: 'rcmk_connect_duration_seconds',
  stepDuration: 'rcmk_step_duration_seconds',
  callbacks: 'rcmk_callbacks_total',
  callbackDuration: 'rcmk_callback_duration_seconds',
  crmRequests: 'rcmk_crm_requests_total',
  crmRequestDuration: 'rcmk_crm_request_duration_seconds',
  crmLimiterWait: 'rcmk_crm_limiter_wait_seconds',
  jobRuns: 'rcmk_job_runs_total',
  jobRunDuration: 'rcmk_job_run_duration_seconds',
  fleetRuns: 'rcmk_fleet_runs_total',
  fleetRunConnections: 'rcmk_fleet_run_connections',
} as const);

/** The labels of each metric (histograms add `le`, and `_bucket`/`_sum`/`_count` series). */
export const KIT_METRIC_LABELS: Readonly<Record<(typeof KIT_METRIC_NAMES)[keyof typeof KIT_METRIC_NAMES], readonly string[]>> = Object.freeze({
  rcmk_connects_total: ['method', 'outcome', 'code'],
  rcmk_connect_duration_seconds: ['method', 'outcome'],
  rcmk_step_duration_seconds: ['step', 'outcome'],
  rcmk_callbacks_total: ['action', 'status'],
  rcmk_callback_duration_seconds: ['action'],
  rcmk_crm_requests_total: ['method', 'endpoint', 'status', 'code'],
  rcmk_crm_request_duration_seconds: ['method', 'endpoint'],
  rcmk_crm_limiter_wait_seconds: [],
  rcmk_job_runs_total: ['job', 'outcome'],
  rcmk_job_run_duration_seconds: ['job'],
  rcmk_fleet_runs_total: ['job', 'outcome'],
  rcmk_fleet_run_connections: ['job'],
});

export interface KitMetricsOptions {
  /** Register into this registry (e.g. prom-client's global `register`); default a new one. */
  readonly registry?: Registry;
  /** Also collect Node's process metrics (CPU, memory, event loop lag) into the registry. Default false. */
  readonly processMetrics?: boolean;
  /** Most distinct CRM endpoint templates kept apart; later new ones count as `other`. Default 200. */
  readonly maxEndpoints?: number;
  /** Most distinct callback action names kept apart. Default 100. */
  readonly maxActions?: number;
}

export interface KitMetrics extends KitTelemetry {
  readonly registry: Registry;
  /** The Prometheus text exposition of the registry. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** Fast callbacks (~1 ms) to the CRM's callback timeout. */
const CALLBACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CRM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];
const CONNECT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];
const JOB_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900];

export function createKitMetrics(options: KitMetricsOptions = {}): KitMetrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const n = KIT_METRIC_NAMES;
  const labels = (name: keyof typeof KIT_METRIC_LABELS) => [...KIT_METRIC_LABELS[name]];

  const connects = new Counter({ name: n.connects, help: 'Connects (the form or the simple connection) by outcome and error code', labelNames: labels(n.connects), registers });
  const connectDuration = new Histogram({ name: n.connectDuration, help: 'Duration of a whole connect, checks and registration included', labelNames: labels(n.connectDuration), buckets: CONNECT_BUCKETS, registers });
  const stepDuration = new Histogram({ name: n.stepDuration, help: 'Duration of each lifecycle step (checks, registration, hooks)', labelNames: labels(n.stepDuration), buckets: CRM_BUCKETS, registers });
  // The hot paths' metrics (each callback, each CRM request) count into series resolved once per label set.
  const hot = <M extends HotCounter | HotHistogram>(metric: M): M => {
    registry.registerMetric(metric as never);
    return metric;
  };
  const callbacks = hot(new HotCounter(n.callbacks, 'Callbacks from the CRM by action and answered HTTP status', labels(n.callbacks)));
  const callbackDuration = hot(new HotHistogram(n.callbackDuration, 'Time to answer a callback from the CRM', labels(n.callbackDuration), CALLBACK_BUCKETS));
  const crmRequests = hot(new HotCounter(n.crmRequests, 'Requests to the CRM API by method, endpoint template, status and transport error code', labels(n.crmRequests)));
  const crmDuration = hot(new HotHistogram(n.crmRequestDuration, 'Duration of one request to the CRM API, rate-limiter wait included', labels(n.crmRequestDuration), CRM_BUCKETS));
  const limiterWait = hot(new HotHistogram(n.crmLimiterWait, 'Time a CRM request waited for the client-side rate limiter', [], [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])).child();
  const jobRuns = new Counter({ name: n.jobRuns, help: 'Job runs for one connection, by job and outcome', labelNames: labels(n.jobRuns), registers });
  const jobDuration = new Histogram({ name: n.jobRunDuration, help: 'Duration of one job run for one connection', labelNames: labels(n.jobRunDuration), buckets: JOB_BUCKETS, registers });
  const fleetRuns = new Counter({ name: n.fleetRuns, help: 'Runs of a job over every enabled connection, by outcome (failed: at least one connection failed)', labelNames: labels(n.fleetRuns), registers });
  const fleetConnections = new Gauge({ name: n.fleetRunConnections, help: 'Connections the latest fleet run of a job reached', labelNames: labels(n.fleetRunConnections), registers });

  const endpointLabel = boundedLabel(options.maxEndpoints ?? 200);
  const actionLabel = boundedLabel(options.maxActions ?? 100);
  // Series per label combination, cached by one string key.
  const children = new Map<string, CounterSeries | HistogramSeries | { observe(value: number): void }>();
  const child = <T>(key: string, make: () => T): T => {
    let found = children.get(key) as T | undefined;
    if (found === undefined) {
      found = make();
      children.set(key, found as never);
    }
    return found;
  };
  const endpoints = new Map<string, string>();
  const endpointOf = (path: string): string => {
    let found = endpoints.get(path);
    if (found === undefined) {
      found = endpointLabel(crmEndpointOf(path));
      if (endpoints.size < 10_000) endpoints.set(path, found);
    }
    return found;
  };

  const timedStep = async <T>(step: KitStep, run: () => Promise<T>, failureCode?: (result: T) => string | undefined): Promise<T> => {
    const started = performance.now();
    let outcome = 'failed';
    try {
      const result = await run();
      if (!failureCode?.(result)) outcome = 'ok';
      return result;
    } finally {
      child(`s|${step}|${outcome}`, () => stepDuration.labels(step, outcome)).observe((performance.now() - started) / 1000);
    }
  };

  const metrics: KitMetrics = {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    step<T>(step: KitStep, run: () => Promise<T>, failureCode?: (result: T) => string | undefined, _attributes?: StepAttributes): Promise<T> {
      // Callbacks and jobs have histograms of their own (callbackServed, jobFinished): no second timing.
      if (step === 'callback' || step === 'job') return run();
      return timedStep(step, run, failureCode);
    },
    connectFinished(e: ConnectFinished) {
      const outcome = e.ok ? 'ok' : 'failed';
      connects.inc({ method: e.method, outcome, code: e.code ?? '' });
      connectDuration.observe({ method: e.method, outcome }, e.durationMs / 1000);
    },
    callbackServed(e: CallbackServed) {
      const action = actionLabel(e.action);
      child(`c|${action}|${e.status}`, () => callbacks.child(action, String(e.status))).value += 1;
      child(`cd|${action}`, () => callbackDuration.child(action)).observe(e.durationMs / 1000);
    },
    crmCallFinished(e: CrmCallFinished) {
      const endpoint = endpointOf(e.path);
      const status = e.status === undefined ? 'none' : String(e.status);
      const code = e.error ?? '';
      child(`r|${e.method}|${endpoint}|${status}|${code}`, () => crmRequests.child(e.method, endpoint, status, code)).value += 1;
      child(`rd|${e.method}|${endpoint}`, () => crmDuration.child(e.method, endpoint)).observe((performance.now() - e.startedAt) / 1000);
      limiterWait.observe(e.waitedMs / 1000);
    },
    jobFinished(e: JobFinished) {
      jobRuns.inc({ job: e.job, outcome: e.outcome });
      jobDuration.observe({ job: e.job } as LabelValues<string>, e.durationMs / 1000);
    },
    fleetRunFinished(e: FleetRunFinished) {
      fleetRuns.inc({ job: e.job, outcome: e.failed > 0 ? 'failed' : 'ok' });
      fleetConnections.set({ job: e.job }, e.connections);
    },
  };
  return Object.freeze(metrics);
}
