/**
 * The old connection method, steps 3–6 of the seed, with no HTTP inside.
 *
 * Order, and how each gap between two steps is recovered (docs/connect-flow.md has the long form):
 * 1. checks (URL policy, api-versions, credentials, settings) write nothing: a failure leaves no trace;
 * 2. the connection is saved (`pending` when new) BEFORE the CRM hears its clientId, so the CRM can never hold a
 *    registration the module does not know;
 * 3. `edit` registers it. It is an upsert keyed by `code`, so a crash or failure here is repaired by the next
 *    attempt: `saveConnect` finds the account's connection and reuses its clientId;
 * 4. the state becomes `active` only after the CRM confirmed the registration.
 * @see ../../../shared/PROTOCOL.md §10
 */
import { ErrorCode } from '../errors.js';
import type { Locale } from '../i18n/index.js';
import type { AccountUrl, AccountUrlCheck, CrmClient } from '../crm/types.js';
import type { Connection } from '../store/types.js';
import { checkApiVersion, checkRights, coerceSettingsForm, parseSettings, rejectSettings } from './checks.js';
import { accountUrlReason, type ConnectFailure, failureFromError, failureOf } from './failure.js';
import type { ConnectKit } from './kit.js';
import { registrationPayload } from './registration.js';
import { settingsComplete } from './required-settings.js';
import { stateFromActivity } from './state.js';
import { updateConnection } from './update-connection.js';
import { observeStep } from '../observability/telemetry.js';

/** What the person submitted on the connect form (step 3). */
export interface ConnectRequest {
  readonly account: string;
  readonly apiKey: string;
  /** Raw form values of the module's settings. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly locale: Locale;
}

export type ConnectResult =
  | { readonly ok: true; readonly connection: Connection; readonly created: boolean; readonly redirectUrl: string }
  | { readonly ok: false; readonly failure: ConnectFailure };

/** Steps 4–6: check what the person entered, register the module in the account, say where to go next. */
export async function connectAccount(kit: ConnectKit, request: ConnectRequest): Promise<ConnectResult> {
  const account = kit.checkAccountUrl(request.account);
  if (!account.ok) return { ok: false, failure: accountUrlFailure(account, request.locale) };
  const apiKey = request.apiKey.trim();
  if (!apiKey) return { ok: false, failure: failureOf(ErrorCode.ApiKeyMissing, request.locale) };

  const result = await establishConnection(kit, {
    accountUrl: account.url,
    apiKey,
    settings: request.settings,
    locale: request.locale,
  });
  if (!result.ok) return result;
  // Step 6: back to the account.
  return { ...result, redirectUrl: kit.redirectAfterConnect(result.connection) };
}

export interface EstablishRequest {
  readonly accountUrl: AccountUrl;
  readonly apiKey: string;
  /**
   * Raw settings to check (step 4.3), or `undefined` to defer them: the simple connection registers first and
   * the person fills the settings in afterwards. A deferred connect keeps the settings an existing connection has.
   */
  readonly settings: Readonly<Record<string, unknown>> | undefined;
  readonly locale: Locale;
}

export type EstablishResult =
  | { readonly ok: true; readonly connection: Connection; readonly created: boolean }
  | { readonly ok: false; readonly failure: ConnectFailure };

/**
 * Steps 4–5 for a checked account URL and a key. Both connection methods go through here, so they check and
 * register exactly alike.
 */
export async function establishConnection(kit: ConnectKit, request: EstablishRequest): Promise<EstablishResult> {
  const { module, store } = kit;
  let saved: Connection | undefined;
  try {
    const crm = kit.openCrm(request.accountUrl, request.apiKey);
    // Step 4.1: the key opens the API and the version the module needs is there.
    const apiVersion = await observeStep(kit, 'check.api_versions', () => checkApiVersion(crm, module.apiVersion));
    // Step 4.2: the key has the rights the module needs.
    const credentials = await observeStep(kit, 'check.credentials', () => checkRights(crm, module));
    // Step 4.3: the module's own settings (unless deferred).
    const settings = await observeStep(kit, 'check.settings', async () =>
      request.settings === undefined
        ? ((await store.findByAccount(request.accountUrl, module.code))?.settings ?? {})
        : await checkModuleSettings(kit, crm, credentials, { settings: request.settings, locale: request.locale }));

    // Step 5: remember the connection first, then register it in the account.
    const { connection, created } = await store.saveConnect({
      moduleCode: module.code,
      accountUrl: request.accountUrl,
      apiKey: request.apiKey,
      settings,
      apiVersion,
      scopes: credentials.scopes,
      newClientId: kit.newClientId(),
    });
    saved = connection;
    // "First" for the hooks means never activated before: a row created by an attempt that then failed is
    // still a first connection when a later attempt completes it.
    const first = created || connection.state === 'pending';
    // Deferred settings the module requires but does not have yet: registered switched off and left `pending`
    // until the person saves them on the settings page (`changeSettings` completes it; docs/simple-connection.md).
    const complete = request.settings !== undefined || settingsComplete(module, settings);
    await observeStep(kit, 'registration', () => crm.editIntegrationModule(registrationPayload(module, connection, { locale: request.locale, active: complete })));
    const registered = await updateConnection(store, connection, (current) => ({
      patch: complete
        ? { active: true, state: stateFromActivity({ active: true, freeze: current.freeze }) }
        : { active: false, state: 'pending' },
    }));
    if (complete) await observeStep(kit, 'hook.on_connected', () => runOnConnected(kit, registered, crm, first));
    kit.logger.info({ connectionId: registered.id, created: first, complete }, 'account connected');
    return { ok: true, connection: registered, created: first };
  } catch (error) {
    const failure = failureFromError(error, request.locale, kit.logger);
    if (saved) await recordFailure(kit, saved, failure);
    return { ok: false, failure };
  }
}

/**
 * Runs `onConnected`. When it throws, the connection goes back to `pending` (the CRM keeps its registration,
 * whose clientId we know), so the person sees the failure and the next attempt runs the hook again.
 */
export async function runOnConnected(kit: ConnectKit, connection: Connection, crm: CrmClient, created: boolean): Promise<void> {
  const hook = kit.module.hooks.onConnected;
  if (!hook) return;
  try {
    await hook({ connection, crm, created });
  } catch (error) {
    await updateConnection(kit.store, connection, () => ({ patch: { state: 'pending' } }));
    throw error;
  }
}

/** Step 4.3: the schema, then the module's own check (which may ask the CRM). */
export async function checkModuleSettings(
  kit: ConnectKit,
  crm: CrmClient,
  credentials: Awaited<ReturnType<CrmClient['credentials']>>,
  request: Pick<ConnectRequest, 'settings' | 'locale'>,
): Promise<Record<string, unknown>> {
  const settings = parseSettings(kit.module, coerceSettingsForm(kit.module, request.settings), request.locale);
  const verdict = await kit.module.hooks.validateSettings?.({ settings, crm, credentials, locale: request.locale });
  if (verdict && !verdict.ok) rejectSettings(verdict, request.locale);
  return settings;
}

export function accountUrlFailure(check: Extract<AccountUrlCheck, { ok: false }>, locale: Locale): ConnectFailure {
  if (check.reason === 'host_not_allowed') return failureOf(ErrorCode.AccountUrlNotAllowed, locale);
  if (check.reason === 'address_blocked') return failureOf(ErrorCode.AccountAddressBlocked, locale);
  return failureOf(ErrorCode.AccountUrlInvalid, locale, { reason: accountUrlReason(locale, check.reason) });
}

async function recordFailure(kit: ConnectKit, connection: Connection, failure: ConnectFailure): Promise<void> {
  try {
    await kit.store.appendEvent(connection.id, { type: 'registration_failed', details: { code: failure.code } });
  } catch (error) {
    kit.logger.error({ err: error, connectionId: connection.id }, 'could not record a failed registration');
  }
}
