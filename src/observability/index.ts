/**
 * Observability of the kit: the observer interface the flows call, Prometheus metrics, OpenTelemetry spans,
 * and the recent-activity recorder behind the settings page's sparkline.
 * @module
 */
export * from './telemetry.js';
export { createKitMetrics, KIT_METRIC_LABELS, KIT_METRIC_NAMES, type KitMetrics, type KitMetricsOptions } from './prometheus-metrics.js';
export { createKitTracing, TRACER_NAME, type KitTracingOptions } from './tracing.js';
export { createRecentActivity, type RecentActivityOptions } from './recent-activity.js';
export { crmEndpointOf } from './crm-endpoint.js';
export { observabilityFromEnv } from './from-env.js';
export { createObservability, metricsRoute, type MetricsExposureOptions, type Observability, type ObservabilityOptions } from './observability.js';
