/**
 * Errors of the CRM API client, split by layer (STYLE R3) and named by meaning (PROTOCOL §2.4–2.5, §18):
 *
 * - {@link CrmNoResponseError}: no HTTP answer at all — {@link NetworkError}, {@link TimeoutError};
 * - {@link CrmHttpError}: an HTTP answer whose status or body is not a usable CRM envelope —
 *   {@link CrmUnavailableError} (5xx), {@link UnexpectedResponseError} (not JSON, wrong shape);
 * - {@link CrmApiError}: the CRM answered (`success: false`, or an answer that means the same, like the 405 HTML
 *   page of an unknown account) — account not found, key missing/invalid, access denied, validation failed,
 *   payment required, rejected;
 * - {@link RateLimitedError}: 503 / 429, retryable after `retryAfterMs` when the CRM says so.
 *
 * Every message is safe to show: it never contains the API key or a response body, only the method, the path,
 * the status and the CRM's short `errorMsg` (truncated, with the key redacted should the CRM ever echo it).
 * Retry logic checks classes ({@link isRetryableCrmError}), never message text.
 * @module
 */
import { ErrorCode, KitError, type ErrorParams } from '../errors.js';
import type { CrmErrorDetails } from '../protocol/index.js';
import type { AccountUrlRejection } from './types.js';

/** Where a failed call went; both parts are safe to log and show (the path carries at most a module code). */
export interface CrmCallTarget {
  readonly method: string;
  readonly path: string;
}

interface CrmErrorInit extends CrmCallTarget {
  readonly status?: number | undefined;
  readonly errorMsg?: string | undefined;
  readonly errors?: CrmErrorDetails | undefined;
  readonly cause?: unknown;
  readonly params?: ErrorParams;
}

/** Root of every error a CRM call can end with. */
export abstract class CrmError extends KitError {
  /** HTTP method and path of the call (no host, no key); empty for errors raised before any call. */
  readonly method: string;
  readonly path: string;
  /** HTTP status, when the CRM answered at all. */
  readonly status: number | undefined;
  /** The CRM's `errorMsg`, when it sent one. */
  readonly errorMsg: string | undefined;
  /** The CRM's per-field (object) or list `errors`, when it sent them. */
  readonly errors: CrmErrorDetails | undefined;
  /** How long the CRM asked us to wait (`Retry-After`), if it did. */
  readonly retryAfterMs: number | undefined = undefined;

  constructor(summary: string, init: CrmErrorInit) {
    const where = init.method ? ` on ${init.method} ${init.path}` : '';
    const status = init.status === undefined ? '' : ` (HTTP ${init.status})`;
    const said = init.errorMsg ? `: CRM said "${init.errorMsg}"` : '';
    super(`${summary}${status}${where}${said}`, { cause: init.cause, params: init.params ?? {} });
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.errorMsg = init.errorMsg;
    this.errors = init.errors;
  }
}

// ── No response ────────────────────────────────────────────────────────────────────────────────────────────

/** The request got no HTTP answer. */
export abstract class CrmNoResponseError extends CrmError {}

/** Connection refused or reset, DNS failure, TLS failure, response too large or cut off. */
export class NetworkError extends CrmNoResponseError {
  readonly code = ErrorCode.NetworkError;
  /**
   * True when the failure happened before the request could reach the CRM (DNS, connect, TLS), so even a
   * non-idempotent call may be sent again.
   */
  readonly beforeSend: boolean;
  constructor(init: CrmErrorInit & { readonly beforeSend: boolean; readonly reason: string }) {
    super(`Could not reach the CRM (${init.reason})`, init);
    this.beforeSend = init.beforeSend;
  }
}

/** The connect timeout, the per-request timeout or the call's total deadline ran out. */
export class TimeoutError extends CrmNoResponseError {
  readonly code = ErrorCode.Timeout;
  readonly phase: 'connect' | 'request' | 'deadline';
  constructor(init: CrmErrorInit & { readonly phase: 'connect' | 'request' | 'deadline'; readonly afterMs: number }) {
    super(`The CRM did not answer in time (${init.phase} timeout after ${init.afterMs} ms)`, init);
    this.phase = init.phase;
  }
}

// ── Bad HTTP answer ────────────────────────────────────────────────────────────────────────────────────────

/** An HTTP answer that is not a usable CRM envelope. */
export abstract class CrmHttpError extends CrmError {}

/** 5xx other than 503: the CRM is down or failing (`Application error`, a proxy's 502 page…). */
export class CrmUnavailableError extends CrmHttpError {
  readonly code = ErrorCode.CrmUnavailable;
  constructor(init: CrmErrorInit) {
    super('The CRM is unavailable', init);
  }
}

/** Not JSON where JSON was due, or JSON of the wrong shape. `problems` names fields, never their values. */
export class UnexpectedResponseError extends CrmHttpError {
  readonly code = ErrorCode.UnexpectedResponse;
  readonly problems: readonly string[];
  constructor(init: CrmErrorInit & { readonly problems: readonly string[] }) {
    super(`Unexpected answer from the CRM (${init.problems.join('; ')})`, init);
    this.problems = init.problems;
  }
}

// ── The CRM said no ────────────────────────────────────────────────────────────────────────────────────────

/** The CRM answered and refused (`success: false`, or an answer with that meaning). */
export abstract class CrmApiError extends CrmError {}

/** No account at this address: `Account does not exist.`, or the 405 / HTML page of an unknown host. */
export class AccountNotFoundError extends CrmApiError {
  readonly code = ErrorCode.AccountNotFound;
  constructor(init: CrmErrorInit) {
    super('No CRM account at this address', init);
  }
}

/** `"apiKey" is missing.` (also raised locally for an empty key, without calling the CRM). */
export class ApiKeyMissingError extends CrmApiError {
  readonly code = ErrorCode.ApiKeyMissing;
  constructor(init: CrmErrorInit) {
    super('The API key is missing', init);
  }
}

/** `Wrong "apiKey" value.` (also raised locally for a key that cannot be sent in a header). */
export class ApiKeyInvalidError extends CrmApiError {
  readonly code = ErrorCode.ApiKeyInvalid;
  constructor(init: CrmErrorInit) {
    super('The CRM does not accept the API key', init);
  }
}

/** `Access denied.` (the key lacks a right) or `Forbidden` (the key is restricted to other IPs). */
export class AccessDeniedError extends CrmApiError {
  readonly code = ErrorCode.AccessDenied;
  constructor(init: CrmErrorInit) {
    super('The API key has no access to this method', init);
  }
}

/** `Errors in the entity format`, `Validation error`, `Parameter 'x' is missing`… with per-field `errors`. */
export class CrmValidationFailedError extends CrmApiError {
  readonly code = ErrorCode.CrmValidationFailed;
  constructor(init: CrmErrorInit) {
    super('The CRM refused the data', { ...init, params: { details: describeDetails(init.errorMsg, init.errors) } });
  }
}

/** 402: the account cannot pay for the module (`Failed to activate module`). */
export class PaymentRequiredError extends CrmApiError {
  readonly code = ErrorCode.PaymentRequired;
  constructor(init: CrmErrorInit) {
    super('The account cannot pay for the module', init);
  }
}

/** Any other `success: false` (`Not found`, `API method not found`…). */
export class CrmRejectedError extends CrmApiError {
  readonly code = ErrorCode.CrmRejected;
  constructor(init: CrmErrorInit) {
    super('The CRM refused the request', { ...init, params: { details: describeDetails(init.errorMsg, init.errors) } });
  }
}

// ── Rate limited ───────────────────────────────────────────────────────────────────────────────────────────

/** 503 (the CRM's rate-limit page, PROTOCOL §18) or 429. Always retryable; `retryAfterMs` when the CRM said. */
export class RateLimitedError extends CrmError {
  readonly code = ErrorCode.RateLimited;
  override readonly retryAfterMs: number | undefined;
  constructor(init: CrmErrorInit & { readonly retryAfterMs: number | undefined }) {
    super('The CRM rate limit was hit', init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** Every concrete error a CRM call may end with. */
export type CrmCallError =
  | NetworkError
  | TimeoutError
  | CrmUnavailableError
  | UnexpectedResponseError
  | AccountNotFoundError
  | ApiKeyMissingError
  | ApiKeyInvalidError
  | AccessDeniedError
  | CrmValidationFailedError
  | PaymentRequiredError
  | CrmRejectedError
  | RateLimitedError
  | AccountAddressBlockedError;

/**
 * True for failures worth another attempt: no answer, 5xx, rate limited. `false` for everything that means
 * "your input (URL, key, rights, data) is wrong": sending it again gives the same answer.
 */
export function isRetryableCrmError(error: unknown): error is NetworkError | TimeoutError | CrmUnavailableError | RateLimitedError {
  return (
    error instanceof NetworkError ||
    error instanceof TimeoutError ||
    error instanceof CrmUnavailableError ||
    error instanceof RateLimitedError
  );
}

// ── Account URL policy ─────────────────────────────────────────────────────────────────────────────────────

/** The account URL is malformed or breaks a rule (scheme, port, path…); `reason` says which. */
export class AccountUrlInvalidError extends KitError {
  readonly code = ErrorCode.AccountUrlInvalid;
  constructor(readonly reason: AccountUrlRejection) {
    super(`The account URL is not valid (${reason})`, { params: { reason } });
  }
}

/** The host is not a subdomain of an allowed CRM domain nor a configured box host (or is an IP literal). */
export class AccountUrlNotAllowedError extends KitError {
  readonly code = ErrorCode.AccountUrlNotAllowed;
  constructor(readonly reason: AccountUrlRejection) {
    super(`The account URL is not a known CRM address (${reason})`, { params: { reason } });
  }
}

/**
 * The account's host resolves to an address the module must not connect to (loopback, private, link-local…).
 * Raised by the transport at connect time, before any connection is opened.
 */
export class AccountAddressBlockedError extends KitError {
  readonly code = ErrorCode.AccountAddressBlocked;
  readonly reason = 'address_blocked' as const;
  /** The ipaddr.js range name (`private`, `loopback`…); the address itself is kept out of the message. */
  constructor(readonly range: string, options?: { cause?: unknown }) {
    super(`The account address points to a ${range} network address; refusing to connect`, {
      cause: options?.cause,
      params: { reason: 'address_blocked' },
    });
  }
}

/** The error a refused account URL stands for, to throw where a value will not do. */
export function accountUrlRejectionError(
  reason: AccountUrlRejection,
): AccountUrlInvalidError | AccountUrlNotAllowedError | AccountAddressBlockedError {
  if (reason === 'address_blocked') return new AccountAddressBlockedError('blocked');
  if (reason === 'host_not_allowed' || reason === 'ip_literal') return new AccountUrlNotAllowedError(reason);
  return new AccountUrlInvalidError(reason);
}

// ── helpers ────────────────────────────────────────────────────────────────────────────────────────────────

const MAX_DETAIL = 300;

/** A short, one-line summary of `errors` for a message: field names and the CRM's texts, truncated. */
export function describeDetails(errorMsg: string | undefined, errors: CrmErrorDetails | undefined): string {
  const parts: string[] = [];
  if (errors !== undefined) {
    const entries = Array.isArray(errors) ? errors.map((value) => [undefined, value] as const) : Object.entries(errors);
    for (const [field, value] of entries) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      parts.push(field === undefined || /^\d+$/.test(field) ? text : `${field}: ${text}`);
    }
  }
  const joined = parts.length > 0 ? parts.join('; ') : (errorMsg ?? 'no details');
  return truncate(joined, MAX_DETAIL);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
