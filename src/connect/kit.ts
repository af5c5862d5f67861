/**
 * What the flows need from the outside world, passed in explicitly (STYLE R6): no HTTP server here, so another
 * front end (a CLI, a queue worker) can drive the same flows.
 */
import type { AccountUrlPolicy } from '../crm/account-url.js';
import type { AccountUrl, AccountUrlCheck, CrmClient } from '../crm/types.js';
import type { Connection, ConnectionStore } from '../store/types.js';
import type { AnyModuleDefinition } from './module-definition.js';
import type { KitTelemetry } from '../observability/telemetry.js';

/** The subset of a pino logger the flows use. */
export interface FlowLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface ConnectKit {
  readonly module: AnyModuleDefinition;
  readonly store: ConnectionStore;
  /** The account-URL policy; the pages allow framing and form redirects to its CRM hosts. */
  readonly accountUrlPolicy: AccountUrlPolicy;
  /** Applies the policy (normalizes, or says why not). */
  checkAccountUrl(input: string): AccountUrlCheck;
  /**
   * A client for one account, sharing the process's transport and rate limiter. `unauthenticated`: the work of
   * someone the module cannot yet tell from a stranger (the connect form); it may use only a share of the
   * account's CRM budget, so it cannot starve the account's connection (issue 14, item 5).
   */
  openCrm(accountUrl: AccountUrl, apiKey: string, options?: { readonly unauthenticated?: boolean }): CrmClient;
  /** A new, unguessable clientId. */
  newClientId(): string;
  /** Step 6: where to send the person after connecting. */
  redirectAfterConnect(connection: Connection): string;
  readonly logger: FlowLogger;
  /** Metrics, spans, recent activity (docs/guide/observability.md); absent: none, and nothing is called. */
  readonly telemetry?: KitTelemetry;
}

export const silentLogger: FlowLogger = { info() {}, warn() {}, error() {} };

/**
 * The connection with this clientId, if it belongs to this module. One store may serve several modules (rows carry
 * the module code), so a lookup by clientId or id alone would let one module's endpoints act on another's
 * connection; every entry point goes through these two.
 */
export async function findOwnByClientId(kit: Pick<ConnectKit, 'module' | 'store'>, clientId: string): Promise<Connection | undefined> {
  const connection = await kit.store.findByClientId(clientId);
  return connection?.moduleCode === kit.module.code ? connection : undefined;
}

/** The connection with this id, if it belongs to this module (see {@link findOwnByClientId}). */
export async function findOwnById(kit: Pick<ConnectKit, 'module' | 'store'>, id: string): Promise<Connection | undefined> {
  const connection = await kit.store.findById(id);
  return connection?.moduleCode === kit.module.code ? connection : undefined;
}
