/**
 * The CRM API client contract: one client per account (URL + API key), built on a shared transport that owns
 * connection pools, the rate limiter and the account-URL policy.
 * @module
 */
import type { z } from 'zod';
import type { CrmApi } from './api.js';
import type { RetryMode } from './endpoints.js';
import type {
  QueryValue,
  ApiVersionsResponse,
  CredentialsResponse,
  IntegrationModule,
  IntegrationModuleEdit,
  Site,
  SystemInfoResponse,
} from '../protocol/index.js';

/** A checked, normalized account origin (`https://demo.retailcrm.ru`, no trailing slash). */
export type AccountUrl = string & { readonly __brand: 'AccountUrl' };

/** Why an account URL was refused; each reason has a message in every language. */
export type AccountUrlRejection =
  | 'empty'
  | 'too_long'
  | 'malformed'
  | 'scheme'
  | 'credentials'
  | 'port'
  | 'path'
  | 'query'
  | 'fragment'
  | 'ip_literal'
  | 'host_not_allowed'
  | 'address_blocked';

export type AccountUrlCheck =
  | { readonly ok: true; readonly url: AccountUrl; readonly host: string }
  | { readonly ok: false; readonly reason: AccountUrlRejection };

export interface AccountUrlPolicyOptions {
  /** Registrable CRM domains whose subdomains are accounts. Default: PROTOCOL §18's list. */
  readonly allowedDomains?: readonly string[];
  /** Full host names of self-hosted ("box") installations. */
  readonly boxHosts?: readonly string[];
  /**
   * Development only: also admit `http://{name}.localhost:{port}` and `http://127.0.0.1:{port}` (the emulator).
   * Refused in production mode.
   */
  readonly allowLocal?: boolean;
}

export interface EditResult {
  /** 201 (first registration) vs 200 (update), as the CRM reports it. */
  readonly created: boolean;
  readonly info: Readonly<Record<string, unknown>> | readonly unknown[];
}

/** One call of any API method (`crm.call`): the same rate limit, retries, errors and address guard as the rest. */
export interface CrmCallSpec<Schema extends z.ZodType> {
  readonly method: 'GET' | 'POST';
  /** A path under `/api/` of this account, e.g. `/api/v5/users`. */
  readonly path: string;
  /** Query parameters; nested objects and lists go in brackets (`filter[ids][]=1`). */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** POST form fields; objects are sent as JSON text, as the CRM takes entities. */
  readonly form?: Readonly<Record<string, unknown>>;
  /** Validates the successful answer (the whole envelope, `success` included). */
  readonly schema: Schema;
  /** Default: `always` for GET, `unsent` for POST (a create sent twice would be a duplicate). */
  readonly retry?: RetryMode;
}

export interface CrmClient extends CrmApi {
  /** Any API method the typed ones do not cover. */
  call<Schema extends z.ZodType>(spec: CrmCallSpec<Schema>): Promise<z.output<Schema>>;
  readonly accountUrl: AccountUrl;
  apiVersions(): Promise<ApiVersionsResponse>;
  credentials(): Promise<CredentialsResponse>;
  systemInfo(): Promise<SystemInfoResponse>;
  /** The account's stores, keyed by code. */
  sites(): Promise<Readonly<Record<string, Site>>>;
  /** Throws when the module is not registered (the CRM answers 400 or 404); see `findIntegrationModule`. */
  integrationModule(code: string): Promise<IntegrationModule>;
  /**
   * Like `integrationModule`, but `undefined` when the account has no module with this code: only a 400
   * `Errors in the input parameters` or a 404 `Not found` mean that. Every other error is thrown, including a 404
   * `API method not found` (an account without API v5).
   */
  findIntegrationModule(code: string): Promise<IntegrationModule | undefined>;
  editIntegrationModule(module: IntegrationModuleEdit): Promise<EditResult>;
  /** Returns the new API key the CRM issued. */
  updateScopes(code: string, scopes: readonly string[]): Promise<string>;
}
