/**
 * retailcrm-module-kit: build a RetailCRM / Simla.com marketplace module by describing it.
 *
 * The root export is the module side. The CRM emulator is `retailcrm-module-kit/emulator`, the wire schemas
 * `retailcrm-module-kit/protocol`, and the store conformance battery `retailcrm-module-kit/testing`.
 * @module
 */

// Describe a module, run it
// First, so a project on zod 3 is told so before any schema is built.
import './zod-version.js';
export { defineModule, localize, DEFAULT_PATHS } from './connect/module-definition.js';
export type {
  AnyModuleDefinition,
  LocalizedText,
  ModuleDefinition,
  ModuleDefinitionInput,
  ModulePaths,
  ModuleSettings,
  SettingField,
  SettingInput,
  SettingOption,
  SettingOptionsContext,
  SettingOptionsLoader,
  SettingsDefinition,
  SimpleConnectionDefinition,
} from './connect/module-definition.js';
export type * from './connect/hooks.js';
export { startModule, cookieSecretsFrom, type RunningModule, type StartModuleOptions } from './host/start-module.js';
export { moduleHost, type ModuleHostOptions } from './host/plugin.js';
export { redactingSerializers, redactUrl } from './host/security.js';

// The flows without HTTP, for other front ends
export { createConnectKit, type ComposedConnectKit, type ConnectKitOptions } from './connect/create-connect-kit.js';
export { connectAccount, type ConnectRequest, type ConnectResult } from './connect/connect-account.js';
export { handleActivityCallback, type CallbackOutcome } from './connect/activity.js';
export {
  createSimpleConnection,
  type RegisterOutcome,
  type SimpleConnection,
  type SimpleConnectionOptions,
  type TicketRedemption,
} from './connect/simple-connection.js';
export { changeApiKey, changeSettings, disconnect, type ManageResult } from './connect/manage-connection.js';
export {
  reconcileConnection,
  reconcileStaged,
  startReconciler,
  type Reconciliation,
  type ReconcilerOptions,
} from './connect/reconcile.js';
export { checkApiVersion, checkRights, missingRights } from './connect/checks.js';
export { registrationPayload, defaultRedirectAfterConnect } from './connect/registration.js';
export type { ConnectFailure } from './connect/failure.js';
export type { ConnectKit, FlowLogger } from './connect/kit.js';

// Talking to the CRM
export {
  createCrmClient,
  createCrmTransport,
  createAccountUrlPolicy,
  parseAccountUrl,
  DEFAULT_CRM_DOMAINS,
  fourRetriesInAboutFiveSeconds,
  tenRetriesInAboutOneMinute,
  noRetries,
  rapidRetriesForTests,
  createMemoryRateLimiter,
} from './crm/index.js';
export type {
  AccountUrl,
  AccountUrlCheck,
  AccountUrlPolicy,
  AccountUrlPolicyOptions,
  AccountUrlRejection,
  CrmClient,
  CrmClientOptions,
  CrmTransport,
  CrmTransportOptions,
  EditResult,
  RateLimiter,
  RetryPolicy,
} from './crm/index.js';
export * from './crm/errors.js';

// Keeping connections
export {
  openConnectionStore,
  loadKeyring,
  parseKeyring,
  generateKeyEntry,
  rotateKeys,
  migrateToLatest,
  KEYRING_ENV,
} from './store/index.js';
export type * from './store/types.js';
export type { Keyring, OpenConnectionStoreOptions, RotateKeysResult } from './store/index.js';

// Wire types a module meets in hooks (the schemas are in `retailcrm-module-kit/protocol`)
export type {
  Activity,
  CredentialsResponse,
  IntegrationModule,
  IntegrationModuleEdit,
  Site,
} from './protocol/index.js';

// Errors and languages
export {
  ErrorCode,
  KitError,
  ConfigError,
  isKitError,
  StoreConflictError,
  StoreUnavailableError,
  KeyringMissingError,
  KeyringInvalidError,
  SealBrokenError,
  ConnectionNotFoundError,
  type ErrorParams,
} from './errors.js';
export { LOCALES, pickLocale, translate, errorMessage, type Locale, type MessageKey } from './i18n/index.js';

// Observability: metrics, traces, the settings page's sparkline (docs/guide/observability.md)
export {
  createObservability,
  createKitMetrics,
  createKitTracing,
  createRecentActivity,
  combineTelemetry,
  quietTelemetry,
  metricsRoute,
  observeCallback,
  observeConnect,
  observeJob,
  observeStep,
  crmEndpointOf,
  KIT_METRIC_NAMES,
  KIT_METRIC_LABELS,
  TRACER_NAME,
} from './observability/index.js';
export type {
  CallbackServed,
  ConnectFinished,
  CrmCallFinished,
  FleetRunFinished,
  JobFinished,
  KitMetrics,
  KitMetricsOptions,
  KitStep,
  KitTelemetry,
  KitTracingOptions,
  MetricsExposureOptions,
  Observability,
  ObservabilityOptions,
  RecentActivity,
} from './observability/index.js';

// Certification: play the CRM against a running module (docs/guide/certify.md)
export { certifyModule, CertifyReason, failureReasons, formatReport, junitXml } from './certify/index.js';
export type { CertifyCheck, CertifyOptions, CertifyReport } from './certify/index.js';

// Callbacks from the CRM, own routes, the settings page's module section (docs/guide/callbacks.md)
export { CallbackError, CallbackFile, defineCallback } from './callbacks/declaration.js';
export type { CallbackContext, CallbackDeclaration, CallbacksInput, DeclaredCallback } from './callbacks/declaration.js';
export { dispatchCallback, type CallbackAnswer, type DispatchOutcome } from './callbacks/dispatch.js';
export type { ModuleRoutes, ModuleRouteTools, SettingsSection, SettingsSectionContext } from './callbacks/own-routes.js';
export { html, type SafeHtml } from './html/html.js';

// The API after connecting (docs/crm-client.md)
export type {
  CrmApi,
  CustomersFilter,
  CustomFieldsFilter,
  HistoryBatch,
  HistoryCursor,
  LookupOptions,
  OrdersFilter,
  Page,
  PageOptions,
} from './crm/api.js';
export type { CrmCallSpec } from './crm/types.js';
export type {
  CrmSystemSettings,
  Customer,
  CustomerWrite,
  CustomField,
  CustomFieldWrite,
  Notification,
  Order,
  OrderHistoryEntry,
  OrderWrite,
} from './protocol/index.js';
// Many instances (issue 15): the fleet-wide rate limit
export { createRedisRateLimiter } from './crm/index.js';
export type { RedisRateLimiter, RedisRateLimiterOptions } from './crm/index.js';

// Many instances (issue 15): per-connection jobs
export { defineJob, defineJobs, parseDuration } from './jobs/define.js';
export type { JobInput, JobRunContext, JobDefinition, JobsInput, RetryPolicyInput } from './jobs/define.js';
export { createJobRunner } from './jobs/runner.js';
export type { JobRunner, JobRunnerOptions, JobRunEvent } from './jobs/runner.js';
export type { JobState, JobStatus } from './jobs/state.js';

// Many instances (issue 15): fleet operations
export { reregisterFleet, planReregistration, FleetRunBusyError } from './fleet/reregister.js';
export type { ReregisterOptions, ReregisterReport, ReregisterFailure, FleetProgress } from './fleet/reregister.js';
export { checkFleetHealth } from './fleet/health.js';
export type { HealthOptions, HealthReport } from './fleet/health.js';
export { transportNotifier } from './fleet/notify.js';
export type { AdminNotifier, AdminNotification } from './fleet/notify.js';
export { payloadHash } from './fleet/fleet-store.js';
export type { FleetHealth } from './fleet/fleet-store.js';
export type { HealthCheck, SettingsPanel } from './host/plugin.js';

// Delivery and payment modules (docs/guide/delivery.md, docs/guide/payment.md)
export type { DeliveryCallbacks, KnownCallback } from './callbacks/delivery.js';
export type { PaymentCallbacks } from './callbacks/payment.js';
export type { ModuleIntegrations } from './callbacks/integration-config.js';
export { deliveryStatusMapping, type StatusMapping } from './callbacks/status-mapping.js';
export type {
  CreatePaymentRequest,
  CreatePaymentResult,
  DeliveryAddress,
  DeliveryCalculateRequest,
  DeliveryConfiguration,
  DeliveryGetResult,
  DeliveryPackage,
  DeliverySaveRequest,
  DeliverySaveResult,
  DeliveryStatus,
  InvoiceStatus,
  PaymentConfiguration,
  PaymentRefundResult,
  StatusInfo,
  StatusUpdate,
  Tariff,
  Terminal,
  UpdateInvoice,
} from './protocol/index.js';
