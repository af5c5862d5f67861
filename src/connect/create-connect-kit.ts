/**
 * Composes the flows' dependencies from the kit's parts: the CRM transport (pooling, rate limit, SSRF guard),
 * the account-URL policy and a store.
 */
import { randomBytes } from 'node:crypto';
import { parseAccountUrl, type AccountUrlPolicy } from '../crm/account-url.js';
import { createCrmClient } from '../crm/client.js';
import type { RetryPolicy } from '../crm/retry.js';
import { TimeoutError } from '../crm/errors.js';
import { createMemoryRateLimiter, type RateLimit, type RateLimiter } from '../crm/rate-limiter.js';
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
  /**
   * The most of an account's CRM budget that unauthenticated work (the connect form's checks and registration)
   * may use; the rest stays for the account's connection. Default 5 requests per second of the CRM's 10 (PROTOCOL
   * §18); `false` for no share (everything in one queue).
   */
  readonly unauthenticatedShare?: RateLimit | false;
}

/** The default {@link ConnectKitOptions.unauthenticatedShare}. */
export const UNAUTHENTICATED_SHARE: RateLimit = Object.freeze({ limit: 5, windowMs: 1000 });

/**
 * A transport whose requests first wait for a permit of their own budget per account (`share`), then go through
 * `transport` (and its account budget) as usual: what passes the share is at most `share.limit` of the account's
 * requests in any window, so the account's other work keeps the rest.
 */
export function sharedTransport(transport: CrmTransport, share: RateLimit, limiter: RateLimiter = createMemoryRateLimiter()): CrmTransport {
  return {
    policy: transport.policy,
    async request(request) {
      const started = performance.now();
      const controller = new AbortController();
      const timer =
        request.deadlineAt === undefined ? undefined : setTimeout(() => controller.abort(), Math.max(0, request.deadlineAt - started));
      let permit;
      try {
        permit = await limiter.acquire(`${request.accountUrl}|unauthenticated`, share, controller.signal);
      } catch (error) {
        if (controller.signal.aborted)
          throw new TimeoutError({ method: request.method, path: request.path, phase: 'deadline', afterMs: Math.round(performance.now() - started) });
        throw error;
      } finally {
        if (timer) clearTimeout(timer);
      }
      try {
        return await transport.request(request);
      } finally {
        permit.release();
      }
    },
    // The wrapped transport belongs to whoever made it.
    close: async () => {},
  };
}

export interface ComposedConnectKit extends ConnectKit {
  readonly transport: CrmTransport;
}

export function createConnectKit(options: ConnectKitOptions): ComposedConnectKit {
  const transport =
    options.transport ??
    createCrmTransport({ ...(options.accountUrlPolicy ? { accountUrlPolicy: options.accountUrlPolicy } : {}), telemetry: options.telemetry });
  const policy = transport.policy;
  const share = options.unauthenticatedShare ?? UNAUTHENTICATED_SHARE;
  const unauthenticated = share === false ? transport : sharedTransport(transport, share);
  const kit: ComposedConnectKit = {
    module: options.module,
    store: options.store,
    transport,
    accountUrlPolicy: policy,
    logger: options.logger ?? silentLogger,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    checkAccountUrl: (input: string) => parseAccountUrl(input, policy),
    openCrm: (accountUrl, apiKey, open) =>
      createCrmClient({
        accountUrl,
        apiKey,
        transport: open?.unauthenticated ? unauthenticated : transport,
        ...(options.retry ? { retry: options.retry } : {}),
      }),
    // 32 random bytes as hex: 64 characters, like mg-core's tokens, within the 70 the vendor stores (PROTOCOL §6).
    newClientId: () => randomBytes(32).toString('hex'),
    redirectAfterConnect: options.redirectAfterConnect ?? defaultRedirectAfterConnect,
  };
  return Object.freeze(kit);
}
