/**
 * Step 4 of the seed, one function per check. Each returns what it learnt or throws a `ConnectStepError` that
 * names the exact problem; the flows turn those into values for the person (STYLE R4).
 * @see ../../../shared/PROTOCOL.md §3, §4.2
 */
import { ErrorCode, type ErrorParams, KitError } from '../errors.js';
import { type Locale } from '../i18n/index.js';
import type { CrmClient } from '../crm/types.js';
import { type CredentialsResponse, hasApiMajorVersion } from '../protocol/index.js';
import type { SettingsRejection } from './hooks.js';
import { localize, type AnyModuleDefinition, settingInput } from './module-definition.js';
import { markDefaultMessages, settingIssueMessage } from './settings-messages.js';

/** Which form field a failure belongs to, so the page can show the message beside it. */
export type FailureField = 'account' | 'apiKey' | (string & {});

/** A check that failed in a way the person can fix. */
export class ConnectStepError extends KitError {
  readonly code: ErrorCode;
  constructor(
    code: ErrorCode,
    message: string,
    readonly field?: FailureField,
    params?: ErrorParams,
    /** Localized messages per settings field. */
    readonly fieldErrors?: Readonly<Record<string, string>>,
  ) {
    super(message, { params: params ?? {} });
    this.code = code;
  }
}

/** Step 4.1: the key opens the API, and the module's major version is offered. Returns the version used. */
export async function checkApiVersion(crm: CrmClient, major: number): Promise<string> {
  const { versions } = await crm.apiVersions();
  if (!hasApiMajorVersion(versions, major))
    throw new ConnectStepError(ErrorCode.ApiVersionMissing, `API version ${major} is not available`, 'account', {
      version: major,
    });
  return versions.filter((v) => Number.parseInt(v, 10) === major).sort(compareVersions).at(-1) ?? `${major}.0`;
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/**
 * Step 4.2: the key's rights. Scopes first; only an account that reports no scopes at all is judged by its legacy
 * credential paths (PROTOCOL §4.2, as mg-core does). Lists exactly what is missing.
 */
export async function checkRights(
  crm: CrmClient,
  required: { readonly scopes: readonly string[]; readonly credentials: readonly string[] },
): Promise<CredentialsResponse> {
  const response = await crm.credentials();
  const missing = missingRights(response, required);
  if (missing.length > 0)
    throw new ConnectStepError(ErrorCode.RightsMissing, `The API key lacks: ${missing.join(', ')}`, 'apiKey', {
      missing,
    });
  return response;
}

/** The rights the key lacks: scope names, or legacy paths on an account without scopes. */
export function missingRights(
  granted: Pick<CredentialsResponse, 'scopes' | 'credentials'>,
  required: { readonly scopes: readonly string[]; readonly credentials: readonly string[] },
): string[] {
  if (granted.scopes.length > 0 || required.credentials.length === 0)
    return required.scopes.filter((scope) => !granted.scopes.includes(scope));
  const patterns = granted.credentials.map(credentialMatcher);
  return required.credentials.filter((path) => !patterns.some((matches) => matches(path)));
}

/**
 * Legacy entries may be patterns such as `/api/payment/(updateInvoice|check)` (PROTOCOL §4). Only groups and
 * alternation are honoured; everything else is literal, so an account cannot send us a catastrophic regex.
 */
function credentialMatcher(entry: string): (path: string) => boolean {
  if (!entry.includes('(')) return (path) => path === entry;
  const source = entry.replace(/[.*+?^${}[\]\\]/g, '\\$&');
  try {
    const regex = new RegExp(`^${source}$`);
    return (path) => regex.test(path);
  } catch {
    return (path) => path === entry;
  }
}

/**
 * Turns form strings into the types the settings schema expects: a checkbox is present or absent, a number
 * field's empty string means "not given".
 */
export function coerceSettingsForm(
  module: AnyModuleDefinition,
  raw: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const settings = module.settings;
  if (!settings) return {};
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(settings.schema.shape)) {
    const kind = settingInput(settings, key);
    const raw_ = raw[key];
    if (kind === 'multiselect') {
      // A multi-select sends its field once per chosen option, or not at all when nothing is chosen.
      const list = Array.isArray(raw_) ? raw_ : raw_ === undefined || raw_ === '' ? [] : [raw_];
      values[key] = list.map((item) => (typeof item === 'string' ? item.trim() : item)).filter((item) => item !== '');
      continue;
    }
    const value = Array.isArray(raw_) ? raw_.at(-1) : raw_;
    // A textarea keeps its inner line breaks and spaces; only the ends are trimmed, like every other text.
    const text = typeof value === 'string' ? value.trim() : value;
    switch (kind) {
      case 'checkbox':
        values[key] = text === true || text === 'on' || text === 'true' || text === '1';
        break;
      case 'number':
        values[key] = text === '' || text === undefined ? undefined : typeof text === 'string' ? Number(text) : text;
        break;
      default:
        values[key] = text === '' ? undefined : text;
    }
  }
  return values;
}

/** Step 4.3, first half: the settings schema, with a human message per field in the person's language. */
export function parseSettings(
  module: AnyModuleDefinition,
  values: Readonly<Record<string, unknown>>,
  locale: Locale,
): Record<string, unknown> {
  if (!module.settings) return {};
  const parsed = module.settings.schema.safeParse(values, { error: markDefaultMessages });
  if (parsed.success) return parsed.data;
  const fieldErrors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? '');
    const spec = module.settings.fields[key];
    fieldErrors[key] ??= settingIssueMessage(issue, spec ? localize(spec.label, locale) : key, values[key], locale);
  }
  throw new ConnectStepError(ErrorCode.SettingsInvalid, 'Settings are not valid', Object.keys(fieldErrors)[0], {}, fieldErrors);
}

/** Step 4.3, second half: turns a module's `validateSettings` rejection into a step error. */
export function rejectSettings(rejection: SettingsRejection, locale: Locale): never {
  const fieldErrors: Record<string, string> = {};
  for (const [key, text] of Object.entries(rejection.fieldErrors ?? {})) fieldErrors[key] = localize(text, locale);
  const message = rejection.message ? localize(rejection.message, locale) : undefined;
  throw new ConnectStepError(
    ErrorCode.SettingsInvalid,
    message ?? 'Settings were rejected by the module',
    Object.keys(fieldErrors)[0],
    message ? { message } : {},
    fieldErrors,
  );
}
