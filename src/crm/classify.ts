/**
 * Turns an HTTP answer into data or an error, by meaning rather than by status (PROTOCOL §2.4–2.5, §18).
 * Order matters and is the point of this file:
 * 1. 429 and 503 are the rate limit. A 503 is nginx's HTML page without `Retry-After`; it is never parsed.
 * 2. Other 5xx are an outage, whatever the body (a proxy's HTML 502 must not read as "no such account").
 * 3. 3xx: redirects are not followed, and the CRM API does not redirect: unexpected.
 * 4. 402 is "cannot pay" (PROTOCOL §18), whatever the body.
 * 5. HTML (a body starting with `<`, or 405 + text/html) is the page of a host with no account.
 * 6. Then JSON: `success: false` by its `errorMsg`; `success: true` through the endpoint's schema.
 * @module
 */
import type { z } from 'zod';
import { CrmErrorDetails, CrmErrorMsg, MISSING_PARAMETER_PATTERN } from '../protocol/index.js';
import {
  AccessDeniedError,
  AccountNotFoundError,
  ApiKeyInvalidError,
  ApiKeyMissingError,
  CrmRejectedError,
  CrmUnavailableError,
  CrmValidationFailedError,
  PaymentRequiredError,
  RateLimitedError,
  truncate,
  UnexpectedResponseError,
  type CrmCallTarget,
} from './errors.js';
import { parseRetryAfter } from './retry.js';
import type { CrmHttpResponse } from './transport.js';

const MAX_ERROR_MSG = 200;

/** Validates a successful answer with `schema`, or throws the error the answer means. */
export function classifyResponse<Schema extends z.ZodType>(
  response: CrmHttpResponse,
  schema: Schema,
  target: CrmCallTarget,
  /** Removes secrets (the API key) from any CRM text that may end up in a message. */
  redact: (text: string) => string = (text) => text,
): z.output<Schema> {
  const { status } = response;
  if (status === 429 || status === 503) {
    throw new RateLimitedError({ ...baseOf(target, status), retryAfterMs: parseRetryAfter(response.retryAfter) });
  }
  const isHtml = /^\s*</.test(response.body) || /text\/html/i.test(response.contentType);
  if (status >= 500) {
    throw new CrmUnavailableError({ ...baseOf(target, status), errorMsg: isHtml ? undefined : envelopeOf(response.body, redact)?.errorMsg });
  }
  if (status >= 300 && status < 400) throw new UnexpectedResponseError({ ...baseOf(target, status), problems: ['redirect (not followed)'] });
  if (status === 402) {
    const envelope = isHtml ? undefined : envelopeOf(response.body, redact);
    throw new PaymentRequiredError({ ...baseOf(target, status), errorMsg: envelope?.errorMsg, errors: envelope?.errors });
  }
  if (isHtml) throw new AccountNotFoundError({ ...baseOf(target, status), errorMsg: CrmErrorMsg.AccountNotFound });

  let json: unknown;
  try {
    json = JSON.parse(response.body);
  } catch {
    throw new UnexpectedResponseError({ ...baseOf(target, status), problems: ['not JSON'] });
  }
  if (typeof json !== 'object' || json === null || !('success' in json)) {
    throw new UnexpectedResponseError({ ...baseOf(target, status), problems: ['no "success" field'] });
  }
  if ((json as { success: unknown }).success !== true) {
    const envelope = readEnvelope(json as Record<string, unknown>, redact);
    throw errorForMessage(baseOf(target, status), envelope.errorMsg, envelope.errors);
  }
  if (status >= 400) throw new UnexpectedResponseError({ ...baseOf(target, status), problems: [`"success": true with HTTP ${status}`] });
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    // Paths and issue kinds only: the values may be anything, including data the caller should not log.
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`);
    throw new UnexpectedResponseError({ ...baseOf(target, status), problems });
  }
  return parsed.data;
}

interface Envelope {
  readonly errorMsg: string | undefined;
  readonly errors: CrmErrorDetails | undefined;
}

function envelopeOf(body: string, redact: (text: string) => string): Envelope | undefined {
  try {
    const json: unknown = JSON.parse(body);
    return typeof json === 'object' && json !== null ? readEnvelope(json as Record<string, unknown>, redact) : undefined;
  } catch {
    return undefined;
  }
}

function readEnvelope(json: Record<string, unknown>, redact: (text: string) => string): Envelope {
  const errorMsg = typeof json.errorMsg === 'string' ? truncate(redact(json.errorMsg), MAX_ERROR_MSG) : undefined;
  const details = CrmErrorDetails.safeParse(json.errors);
  const errors = details.success ? (JSON.parse(redact(JSON.stringify(details.data))) as CrmErrorDetails) : undefined;
  return { errorMsg, errors };
}

type Base = CrmCallTarget & { readonly status: number };

/** What every error of an answer carries; made only on the way to an error (a success needs none). */
const baseOf = (target: CrmCallTarget, status: number): Base => ({ ...target, status });

/** The class of a `success: false` answer, by its `errorMsg` (the way the vendor's clients do it). */
function errorForMessage(base: Base, errorMsg: string | undefined, errors: CrmErrorDetails | undefined) {
  const init = { ...base, errorMsg, errors };
  const message = (errorMsg ?? '').trim();
  switch (message) {
    case CrmErrorMsg.ApiKeyMissing:
      return new ApiKeyMissingError(init);
    case CrmErrorMsg.ApiKeyWrong:
      return new ApiKeyInvalidError(init);
    case CrmErrorMsg.AccessDenied:
    case CrmErrorMsg.Forbidden:
      return new AccessDeniedError(init);
    case CrmErrorMsg.AccountNotFound:
    case 'Account does not exist':
      return new AccountNotFoundError(init);
    case CrmErrorMsg.EntityFormat:
    case CrmErrorMsg.ValidationError:
    case CrmErrorMsg.InputParameters:
      return new CrmValidationFailedError(init);
    default:
      if (MISSING_PARAMETER_PATTERN.test(message)) return new CrmValidationFailedError(init);
      return new CrmRejectedError(init);
  }
}
