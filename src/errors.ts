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
  // Callbacks from the CRM (src/callbacks)
  CallbackInvalid: 'RCMK_CALLBACK_INVALID',
  CallbackRefused: 'RCMK_CALLBACK_REFUSED',
  CallbackFailed: 'RCMK_CALLBACK_FAILED',
  ConnectionInactive: 'RCMK_CONNECTION_INACTIVE',
  RegistrationUnconfirmed: 'RCMK_REGISTRATION_UNCONFIRMED',
  TooManyAttempts: 'RCMK_TOO_MANY_ATTEMPTS',
  // Simple connection
  TokenInvalid: 'RCMK_TOKEN_INVALID',
  RequestReplayed: 'RCMK_REQUEST_REPLAYED',
  // Storage and secrets (src/store)
  StoreConflict: 'RCMK_STORE_CONFLICT',
  StoreUnavailable: 'RCMK_STORE_UNAVAILABLE',
  KeyringMissing: 'RCMK_KEYRING_MISSING',
  KeyringInvalid: 'RCMK_KEYRING_INVALID',
  SealBroken: 'RCMK_SEAL_BROKEN',
  // The local CRM emulator's control API (src/emulator)
  EmulatorRequestInvalid: 'RCMK_EMULATOR_REQUEST_INVALID',
  EmulatorNotFound: 'RCMK_EMULATOR_NOT_FOUND',
  EmulatorConflict: 'RCMK_EMULATOR_CONFLICT',
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

// Storage and secrets (src/store)

/** An optimistic update lost: the stored version moved, or a unique key (account + module code) is taken. */
export class StoreConflictError extends KitError {
  readonly code = ErrorCode.StoreConflict;
}

/** The database did not answer (connection refused, file cannot be opened, busy for too long). */
export class StoreUnavailableError extends KitError {
  readonly code = ErrorCode.StoreUnavailable;
}

/** Production start-up without `MODULE_SECRET_KEYS`. */
export class KeyringMissingError extends KitError {
  readonly code = ErrorCode.KeyringMissing;
}

/** `MODULE_SECRET_KEYS` is malformed; `reason` says what is wrong and never quotes key material. */
export class KeyringInvalidError extends KitError {
  readonly code = ErrorCode.KeyringInvalid;
  constructor(readonly reason: string) {
    super(`Invalid keyring (MODULE_SECRET_KEYS): ${reason}`, { params: { reason } });
  }
}

/** A sealed value could not be opened: its key is not in the keyring, or the value was altered or moved. */
export class SealBrokenError extends KitError {
  readonly code = ErrorCode.SealBroken;
}

/** No connection with this id (or clientId) is stored. */
export class ConnectionNotFoundError extends KitError {
  readonly code = ErrorCode.ConnectionNotFound;
}

export function isKitError(error: unknown): error is KitError {
  return error instanceof KitError;
}
