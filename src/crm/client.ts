/**
 * The CRM API client for one account: every method is a row of `crmEndpoints` run through one `call()`
 * (STYLE R13), which waits for the rate limiter, sends, classifies the answer and retries by policy.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { CrmErrorMsg, encodeBracketQuery, IntegrationModuleEdit } from '../protocol/index.js';
import { createCrmApi, type CallInput, type CrmApi } from './api.js';
import { parseAccountUrl } from './account-url.js';
import { classifyResponse } from './classify.js';
import { crmEndpoints, type CrmEndpoint } from './endpoints.js';
import {
  accountUrlRejectionError,
  ApiKeyInvalidError,
  ApiKeyMissingError,
  CrmRejectedError,
  CrmValidationFailedError,
  isRetryableCrmError,
  NetworkError,
  RateLimitedError,
  TimeoutError,
  type CrmError,
} from './errors.js';
import { fourRetriesInAboutFiveSeconds, nextDelayMs, type RetryPolicy } from './retry.js';
import type { CrmHttpRequest, CrmTransport } from './transport.js';
import type { AccountUrl, CrmCallSpec, CrmClient, EditResult } from './types.js';

export interface CrmClientOptions {
  /** Checked against the transport's account-URL policy here; a refused URL throws its policy error. */
  readonly accountUrl: AccountUrl | string;
  /** Sent in the `X-API-KEY` header only; never logged, never put in an error. Surrounding spaces are trimmed. */
  readonly apiKey: string;
  readonly transport: CrmTransport;
  /** Default {@link fourRetriesInAboutFiveSeconds}. */
  readonly retry?: RetryPolicy;
  /** Source of jitter (tests pin it). */
  readonly random?: () => number;
}

/** Printable ASCII without spaces: anything else could not go into a header unchanged. */
const API_KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Builds a client for one account. Throws at once (no request) for a refused account URL
 * (`AccountUrlInvalidError` / `AccountUrlNotAllowedError`), an empty key (`ApiKeyMissingError`) or a key that
 * cannot be a header value (`ApiKeyInvalidError`).
 * @example
 * const crm = createCrmClient({ accountUrl: 'https://demo.retailcrm.ru', apiKey, transport });
 * const { scopes } = await crm.credentials();
 */
export function createCrmClient(options: CrmClientOptions): CrmClient {
  const check = parseAccountUrl(options.accountUrl, options.transport.policy);
  if (!check.ok) throw accountUrlRejectionError(check.reason);
  const accountUrl = check.url;
  const apiKey = typeof options.apiKey === 'string' ? options.apiKey.trim() : '';
  const noCall = { method: '', path: '' };
  if (apiKey === '') throw new ApiKeyMissingError(noCall);
  if (!API_KEY_PATTERN.test(apiKey)) throw new ApiKeyInvalidError(noCall);
  const { transport } = options;
  const policy = options.retry ?? fourRetriesInAboutFiveSeconds;
  const random = options.random ?? Math.random;
  const redact = (text: string): string => (text.includes(apiKey) ? text.split(apiKey).join('[redacted]') : text);

  async function call<Args extends readonly unknown[], Schema extends z.ZodType>(
    endpoint: CrmEndpoint<Args, Schema>,
    args: Args,
    input: CallInput = {},
  ): Promise<{ data: z.output<Schema>; status: number }> {
    const query = input.query ? encodeBracketQuery(input.query) : '';
    const methodPath = endpoint.path(...args);
    const path = query === '' ? methodPath : `${methodPath}?${query}`;
    const method = endpoint.method;
    // Errors name the method's path, not its query: filters may carry a customer's e-mail or phone.
    const target = { method, path: methodPath };
    const started = performance.now();
    const deadlineAt = started + policy.deadlineMs;
    const request: CrmHttpRequest =
      input.form === undefined
        ? { accountUrl, method, path, apiKey, deadlineAt }
        : { accountUrl, method, path, apiKey, form: formFields(input.form), deadlineAt };
    for (let retry = 0; ; retry += 1) {
      try {
        const response = await transport.request(request);
        return { data: classifyResponse(response, endpoint.response, target, redact), status: response.status };
      } catch (error) {
        if (!mayRetry(endpoint, error)) throw error;
        const remaining = deadlineAt - performance.now();
        const delay = nextDelayMs(policy, retry, error, remaining, random);
        if (delay === undefined) {
          if (remaining <= 0 && !(error instanceof TimeoutError)) {
            throw new TimeoutError({ ...target, phase: 'deadline', afterMs: Math.round(performance.now() - started), cause: error });
          }
          throw error;
        }
        if (delay > 0) await sleep(delay);
      }
    }
  }

  let typedApi: CrmApi | undefined;
  const api = (): CrmApi => (typedApi ??= createCrmApi(call));

  async function getModule(code: string) {
    const { data } = await call(crmEndpoints.integrationModule, [code]);
    return data.integrationModule;
  }

  return Object.freeze({
    accountUrl,
    async apiVersions() {
      return (await call(crmEndpoints.apiVersions, [])).data;
    },
    async credentials() {
      return (await call(crmEndpoints.credentials, [])).data;
    },
    async systemInfo() {
      return (await call(crmEndpoints.systemInfo, [])).data;
    },
    async sites() {
      return (await call(crmEndpoints.sites, [])).data.sites;
    },
    integrationModule: getModule,
    async findIntegrationModule(code: string) {
      try {
        return await getModule(code);
      } catch (error) {
        // The CRM answers an unknown code with 400 "Errors in the input parameters" or 404 "Not found"
        // (PROTOCOL §8, §18); the code is the only input of this method, so either means "not registered".
        // Any other answer surfaces: a 404 "API method not found" (an account without API v5) is no
        // "not registered", and treating it as one would make the caller register into a void.
        if (error instanceof CrmValidationFailedError && error.status === 400 && error.errorMsg === CrmErrorMsg.InputParameters) {
          return undefined;
        }
        if (error instanceof CrmRejectedError && error.status === 404 && error.errorMsg === CrmErrorMsg.NotFound) return undefined;
        throw error;
      }
    },
    async editIntegrationModule(module) {
      const parsed = IntegrationModuleEdit.safeParse(module);
      if (!parsed.success) {
        const errors = Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join('.') || '(root)', issue.message]));
        throw new CrmValidationFailedError({ method: 'POST', path: crmEndpoints.editIntegrationModule.path(String(module.code ?? '')), errors });
      }
      const { data, status } = await call(crmEndpoints.editIntegrationModule, [parsed.data.code], {
        form: { integrationModule: parsed.data },
      });
      const result: EditResult = { created: status === 201, info: data.info ?? [] };
      return result;
    },
    async updateScopes(code: string, scopes: readonly string[]) {
      const { data } = await call(crmEndpoints.updateScopes, [code], { form: { requires: { scopes: [...scopes] } } });
      return data.apiKey;
    },
    async call<Schema extends z.ZodType>(spec: CrmCallSpec<Schema>) {
      if (!/^\/api\/[\w./{}-]*$/.test(spec.path) || spec.path.includes('..')) {
        // Only this account's API: a full URL or a path outside /api/ would bypass the address this client is for.
        throw new CrmValidationFailedError({ method: spec.method, path: '(refused)', errors: { path: 'must be a path under /api/, e.g. /api/v5/users' } });
      }
      const ad = { method: spec.method, path: () => spec.path, response: spec.schema, right: null, retry: spec.retry ?? (spec.method === 'GET' ? 'always' : 'unsent'), doc: 'crm.call' } as const;
      const input: CallInput = { ...(spec.query ? { query: spec.query } : {}), ...(spec.form ? { form: spec.form } : {}) };
      return (await call(ad, [], input)).data;
    },
    // The typed API (some forty methods) is built on first use: a client opened for one call (a registration,
    // a callback's handler) then pays for the methods it uses only.
    get orders() {
      return api().orders;
    },
    get customers() {
      return api().customers;
    },
    get reference() {
      return api().reference;
    },
    get customFields() {
      return api().customFields;
    },
    get notifications() {
      return api().notifications;
    },
    get features() {
      return api().features;
    },
    get systemSettings() {
      return api().systemSettings;
    },
    get delivery() {
      return api().delivery;
    },
    get payments() {
      return api().payments;
    },
  } satisfies CrmClient);
}

/** Form fields as the CRM takes them: entities as JSON text, scalars as text, `undefined` left out (§24.1). */
function formFields(input: Readonly<Record<string, unknown>>): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    form[name] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return form;
}

/** Retry by class and endpoint (see `retry.ts` for the reasoning). */
function mayRetry(endpoint: Pick<CrmEndpoint<[], z.ZodType>, 'retry'>, error: unknown): error is CrmError {
  if (!isRetryableCrmError(error)) return false;
  if (endpoint.retry === 'always') return true;
  return (
    error instanceof RateLimitedError ||
    (error instanceof NetworkError && error.beforeSend) ||
    (error instanceof TimeoutError && error.phase === 'connect')
  );
}
