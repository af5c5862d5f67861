/**
 * The CRM API methods the client uses, one line of data each (STYLE R13): HTTP method, path, response schema
 * (shared with the emulator, `src/protocol/`), the right a key needs, when a retry is safe, and where it is
 * documented. `client.ts` runs every one of them through a single `call()`.
 * @module
 */
import type { z } from 'zod';
import {
  ApiPath,
  ApiVersionsResponse,
  CredentialsResponse,
  IntegrationModuleEditResponse,
  IntegrationModuleResponse,
  isTelephonyPath,
  SitesResponse,
  SystemInfoResponse,
  UpdateScopesResponse,
} from '../protocol/index.js';

/**
 * When a failed attempt may be sent again:
 * - `always`: reads, and upserts (`edit`) — the same request twice has the effect of one;
 * - `unsent`: only if the request surely never reached the application (rate-limited, DNS/connect/TLS failure).
 */
export type RetryMode = 'always' | 'unsent';

export interface CrmEndpoint<Args extends readonly unknown[], Schema extends z.ZodType> {
  readonly method: 'GET' | 'POST';
  readonly path: (...args: Args) => string;
  readonly response: Schema;
  /** The scope a key needs (legacy keys: the matching credential path, PROTOCOL §18). `null`: any valid key. */
  readonly right: string | null;
  readonly retry: RetryMode;
  readonly doc: string;
}

function endpoint<Args extends readonly unknown[], Schema extends z.ZodType>(
  spec: CrmEndpoint<Args, Schema>,
): CrmEndpoint<Args, Schema> {
  return Object.freeze(spec);
}

export const crmEndpoints = Object.freeze({
  apiVersions: endpoint({ method: 'GET', path: () => ApiPath.apiVersions, response: ApiVersionsResponse, right: null, retry: 'always', doc: 'PROTOCOL §3' }),
  credentials: endpoint({ method: 'GET', path: () => ApiPath.credentials, response: CredentialsResponse, right: null, retry: 'always', doc: 'PROTOCOL §4' }),
  systemInfo: endpoint({ method: 'GET', path: () => ApiPath.systemInfo, response: SystemInfoResponse, right: null, retry: 'always', doc: 'PROTOCOL §5' }),
  sites: endpoint({ method: 'GET', path: () => ApiPath.sites, response: SitesResponse, right: 'reference_read', retry: 'always', doc: 'PROTOCOL §16' }),
  integrationModule: endpoint({ method: 'GET', path: (code: string) => ApiPath.integrationModule(code), response: IntegrationModuleResponse, right: 'integration_read', retry: 'always', doc: 'PROTOCOL §8' }),
  editIntegrationModule: endpoint({ method: 'POST', path: (code: string) => ApiPath.integrationModuleEdit(code), response: IntegrationModuleEditResponse, right: 'integration_write', retry: 'always', doc: 'PROTOCOL §7, §18' }),
  updateScopes: endpoint({ method: 'POST', path: (code: string) => ApiPath.updateScopes(code), response: UpdateScopesResponse, right: 'integration_write', retry: 'unsent', doc: 'PROTOCOL §9' }),
});

export type CrmEndpointName = keyof typeof crmEndpoints;

/** The CRM's per-second budgets (PROTOCOL §18): 10 requests/s, 40 for `/api/telephony/*` (any version). */
export const CRM_RATE_LIMITS = Object.freeze({
  default: Object.freeze({ limit: 10, windowMs: 1000 }),
  telephony: Object.freeze({ limit: 40, windowMs: 1000 }),
});

/** Which budget a path draws on. */
export function rateBudgetFor(path: string): 'default' | 'telephony' {
  return isTelephonyPath(path) ? 'telephony' : 'default';
}
