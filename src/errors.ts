/**
 * One catalog of every error the kit raises, each with a stable code (logs, HTTP bodies, translations).
 * Never rename a code or reuse a retired one: translations and users' `switch` statements key on them.
 * Messages in `message` are English and safe to show (no secrets, no response bodies); localized text for
 * people comes from `src/i18n` by code.
 */
export const ErrorCode = {
  // Account URL policy (src/crm/account-url.ts)
  AccountUrlInvalid: 'RCMK_ACCOUNT_URL_INVALID',
  AccountUrlNotAllowed: 'RCMK_ACCOUNT_URL_NOT_ALLOWED',
  AccountAddressBlocked: 'RCMK_ACCOUNT_ADDRESS_BLOCKED',
  // What the CRM answered, by meaning (src/crm)
  AccountNotFound: 'RCMK_ACCOUNT_NOT_FOUND',
  ApiKeyMissing: 'RCMK_API_KEY_MISSING',
  ApiKeyInvalid: 'RCMK_API_KEY_INVALID',
  AccessDenied: 'RCMK_ACCESS_DENIED',
  CrmValidationFailed: 'RCMK_CRM_VALIDATION_FAILED',
  PaymentRequired: 'RCMK_PAYMENT_REQUIRED',
  CrmRejected: 'RCMK_CRM_REJECTED',
  RateLimited: 'RCMK_RATE_LIMITED',
  CrmUnavailable: 'RCMK_CRM_UNAVAILABLE',
  NetworkError: 'RCMK_NETWORK_ERROR',
  Timeout: 'RCMK_TIMEOUT',
  UnexpectedResponse: 'RCMK_UNEXPECTED_RESPONSE',
  // The connection flow (src/connect)
  ApiVersionMissing: 'RCMK_API_VERSION_MISSING',
  RightsMissing: 'RCMK_RIGHTS_MISSING',
  SettingsInvalid: 'RCMK_SETTINGS_INVALID',
  FormInvalid: 'RCMK_FORM_INVALID',
  ConnectionNotFound: 'RCMK_CONNECTION_NOT_FOUND',
  CsrfInvalid: 'RCMK_CSRF_INVALID',
  SessionMissing: 'RCMK_SESSION_MISSING',
  // Simple connection
  TokenInvalid: 'RCMK_TOKEN_INVALID',
  RequestReplayed: 'RCMK_REQUEST_REPLAYED',
  // Storage and secrets (src/store)
  StoreConflict: 'RCMK_STORE_CONFLICT',
  StoreUnavailable: 'RCMK_STORE_UNAVAILABLE',
  KeyringMissing: 'RCMK_KEYRING_MISSING',
  KeyringInvalid: 'RCMK_KEYRING_INVALID',
  SealBroken: 'RCMK_SEAL_BROKEN',
  // Configuration
  ConfigInvalid: 'RCMK_CONFIG_INVALID',
  Internal: 'RCMK_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Values a message may interpolate (`{missing}`, `{version}`…). Never put a secret here. */
export type ErrorParams = Readonly<Record<string, string | number | readonly string[]>>;

/** Root of every error the kit throws. Tell them apart with `instanceof` or `code`, never by message. */
export abstract class KitError extends Error {
  abstract readonly code: ErrorCode;
  /** Values for the localized message of this code. */
  readonly params: ErrorParams;

  constructor(message: string, options?: ErrorOptions & { params?: ErrorParams }) {
    super(message, options);
    this.name = new.target.name;
    this.params = options?.params ?? {};
  }
}

/** Invalid options given to a factory; lists every problem at once. */
export class ConfigError extends KitError {
  readonly code = ErrorCode.ConfigInvalid;
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`, { params: { problems } });
  }
}

export function isKitError(error: unknown): error is KitError {
  return error instanceof KitError;
}
