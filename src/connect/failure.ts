/**
 * Turns whatever went wrong in a flow into one value a page can show: a code, the field it belongs to and
 * a localized message that tells the person what to do. Secrets never reach it: error messages of the kit
 * carry none, and unknown errors are replaced by a generic text.
 */
import { ErrorCode, isKitError } from '../errors.js';
import { errorMessage, type Locale, type MessageKey, messages, translate } from '../i18n/index.js';
import { ConnectStepError, type FailureField } from './checks.js';
import type { FlowLogger } from './kit.js';

export interface ConnectFailure {
  readonly code: ErrorCode;
  /** The form field the message belongs beside, if any. */
  readonly field?: FailureField;
  /** Localized, safe to show. */
  readonly message: string;
  /** Localized messages per settings field. */
  readonly fieldErrors: Readonly<Record<string, string>>;
}

const FIELD_OF_CODE: Partial<Record<ErrorCode, FailureField>> = {
  [ErrorCode.AccountUrlInvalid]: 'account',
  [ErrorCode.AccountUrlNotAllowed]: 'account',
  [ErrorCode.AccountAddressBlocked]: 'account',
  [ErrorCode.AccountNotFound]: 'account',
  [ErrorCode.ApiVersionMissing]: 'account',
  [ErrorCode.ApiKeyMissing]: 'apiKey',
  [ErrorCode.ApiKeyInvalid]: 'apiKey',
  [ErrorCode.AccessDenied]: 'apiKey',
  [ErrorCode.RightsMissing]: 'apiKey',
};

/** A failure with a code and its standard message. */
export function failureOf(code: ErrorCode, locale: Locale, params: Record<string, string | number | readonly string[]> = {}): ConnectFailure {
  return { code, field: FIELD_OF_CODE[code], message: errorMessage(locale, code, params), fieldErrors: {} };
}

/** The localized reason an account URL was refused (`accountUrl.reason.<reason>`), or the bare reason. */
export function accountUrlReason(locale: Locale, reason: string): string {
  const key = `accountUrl.reason.${reason}`;
  return key in messages.en ? translate(locale, key as MessageKey) : reason;
}

/**
 * `secrets` (the connection's clientId, a key) are cut out of the message and the field messages: a CRM error
 * may echo what it was sent, and the page must not show it.
 */
export function failureFromError(error: unknown, locale: Locale, logger: FlowLogger, secrets: readonly string[] = []): ConnectFailure {
  const hidden = secrets.filter((secret) => secret.length >= 8);
  const scrub = (text: string) => hidden.reduce((out, secret) => (out.includes(secret) ? out.split(secret).join('[redacted]') : out), text);
  const failure = describeFailure(error, locale, logger, scrub);
  if (hidden.length === 0) return failure;
  return {
    ...failure,
    message: scrub(failure.message),
    fieldErrors: Object.fromEntries(Object.entries(failure.fieldErrors).map(([key, text]) => [key, scrub(text)])),
  };
}

function describeFailure(error: unknown, locale: Locale, logger: FlowLogger, scrub: (text: string) => string): ConnectFailure {
  if (error instanceof ConnectStepError) {
    const custom = typeof error.params.message === 'string' ? error.params.message : undefined;
    return {
      code: error.code,
      field: error.field ?? FIELD_OF_CODE[error.code],
      message: custom ?? errorMessage(locale, error.code, error.params),
      fieldErrors: error.fieldErrors ?? {},
    };
  }
  if (isKitError(error)) {
    logger.warn({ code: error.code, error: scrub(error.message) }, 'connection step failed');
    return failureOf(error.code, locale, error.params);
  }
  // Not ours: log it for the developer, show the person a generic message (the text may hold anything).
  logger.error({ err: error }, 'unexpected error in a connection flow');
  return failureOf(ErrorCode.Internal, locale);
}
