/**
 * Composes the flows' dependencies from the kit's parts: the CRM transport (pooling, rate limit, SSRF guard),
 * the account-URL policy and a store.
 */
import { randomBytes } from 'node:crypto';
import { parseAccountUrl, type AccountUrlPolicy } from '../crm/account-url.js';
import { createCrmClient } from '../crm/client.js';
import type { RetryPolicy } from '../crm/retry.js';
import { createCrmTransport, type CrmTransport } from '../crm/transport.js';
import type { AccountUrlPolicyOptions } from '../crm/types.js';
import type { Connection, ConnectionStore } from '../store/types.js';
import { type ConnectKit, type FlowLogger, silentLogger } from './kit.js';
import type { AnyModuleDefinition } from './module-definition.js';
import { defaultRedirectAfterConnect } from './registration.js';
import type { KitTelemetry } from '../observability/telemetry.js';

export interface ConnectKitOptions {
  readonly module: AnyModuleDefinition;
  readonly store: ConnectionStore;
  /** The account-URL policy, or options for one. Ignored when `transport` is given (it carries its own). */
  readonly accountUrlPolicy?: AccountUrlPolicy | AccountUrlPolicyOptions;
  /** Share one transport per process; default: a new one with the policy above. */
  readonly transport?: CrmTransport;
  readonly retry?: RetryPolicy;
  /** Step 6; default: the account's integration list. */
  readonly redirectAfterConnect?: (connection: Connection) => string;
  readonly logger?: FlowLogger;
  /** Observes the flows (and the default transport's requests). Default: none. */
  readonly telemetry?: KitTelemetry;
}

export interface ComposedConnectKit extends ConnectKit {
  readonly transport: CrmTransport;
}

export function createConnectKit(options: ConnectKitOptions): ComposedConnectKit {
  const transport =
    options.transport ??
    createCrmTransport({ ...(options.accountUrlPolicy ? { accountUrlPolicy: options.accountUrlPolicy } : {}), telemetry: options.telemetry });
  const policy = transport.policy;
  const kit: ComposedConnectKit = {
    module: options.module,
    store: options.store,
    transport,
    accountUrlPolicy: policy,
    logger: options.logger ?? silentLogger,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    checkAccountUrl: (input: string) => parseAccountUrl(input, policy),
    openCrm: (accountUrl, apiKey) =>
      createCrmClient({ accountUrl, apiKey, transport, ...(options.retry ? { retry: options.retry } : {}) }),
    // 32 random bytes as hex: 64 characters, like mg-core's tokens, within the 70 the vendor stores (PROTOCOL §6).
    newClientId: () => randomBytes(32).toString('hex'),
    redirectAfterConnect: options.redirectAfterConnect ?? defaultRedirectAfterConnect,
  };
  return Object.freeze(kit);
}
