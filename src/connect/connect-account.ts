/**
 * The old connection method, steps 3–6 of the seed, with no HTTP inside.
 *
 * Order, and how each gap between two steps is recovered (docs/connect-flow.md has the long form):
 * 1. checks (URL policy, api-versions, credentials, settings) write nothing: a failure leaves no trace;
 * 2. what the CRM is to hold is staged (`stageConnect`; the connection is created `pending` when new) BEFORE the
 *    CRM hears its clientId, so the CRM can never hold a registration the module does not know, and an existing
 *    connection keeps its working key and settings;
 * 3. `edit` registers it. It is an upsert keyed by `code`, so a crash or failure here is repaired by the next
 *    attempt (same clientId). When its answer is lost, the registration is read back to learn the truth;
 * 4. the stage is committed only after the CRM confirmed the registration, and the connection is `active` once
 *    `onConnected` returned.
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
import { observeStep } from '../observability/telemetry.js';
import { accountKey, registrationLock } from './account-lock.js';
import { commitStage, completeConnection, dropStage, newStageId, recordUnconfirmed, sendRegistration } from './reconcile.js';

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
    // Anyone may submit the form: its CRM calls use only a share of the account's budget.
    unauthenticated: true,
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
  /** Work on behalf of someone not yet authenticated (the connect form): see `ConnectKit.openCrm`. */
  readonly unauthenticated?: boolean;
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
  let crm: CrmClient;
  let checked: { apiVersion: string; scopes: readonly string[]; settings: Readonly<Record<string, unknown>> };
  try {
    // Until the key has proven itself, the calls of an unauthenticated submit use only a share of the account's
    // budget (a junk key fails here, at its first call); a key that opens the API with the rights the module needs
    // is the account's own, and the rest of the work is the account's connection's.
    const probe = kit.openCrm(request.accountUrl, request.apiKey, { unauthenticated: request.unauthenticated === true });
    // Step 4.1: the key opens the API and the version the module needs is there.
    const apiVersion = await observeStep(kit, 'check.api_versions', () => checkApiVersion(probe, module.apiVersion));
    // Step 4.2: the key has the rights the module needs.
    const credentials = await observeStep(kit, 'check.credentials', () => checkRights(probe, module));
    crm = request.unauthenticated === true ? kit.openCrm(request.accountUrl, request.apiKey) : probe;
    // Step 4.3: the module's own settings (unless deferred).
    const settings = await observeStep(kit, 'check.settings', async () =>
      request.settings === undefined
        ? ((await store.findByAccount(request.accountUrl, module.code))?.settings ?? {})
        : await checkModuleSettings(kit, crm, credentials, { settings: request.settings, locale: request.locale }));
    checked = { apiVersion, scopes: credentials.scopes, settings };
  } catch (error) {
    return { ok: false, failure: failureFromError(error, request.locale, kit.logger, [request.apiKey]) };
  }
  // Step 5, one attempt per account at a time (account-lock.ts).
  return registrationLock(store).run(accountKey(module.code, request.accountUrl), () => register(kit, crm, request, checked));
}

/**
 * Step 5: stage what the CRM is to hold, send it, and commit it only once the CRM took it (reconcile.ts).
 * The connection is saved (`pending` when new) BEFORE the CRM hears its clientId, so the CRM never holds a
 * registration the module does not know; its live key and settings change only after the CRM accepted the new
 * ones, so a failed re-connect leaves the working connection as it was.
 */
async function register(
  kit: ConnectKit,
  crm: CrmClient,
  request: EstablishRequest,
  checked: { apiVersion: string; scopes: readonly string[]; settings: Readonly<Record<string, unknown>> },
): Promise<EstablishResult> {
  const { module, store } = kit;
  let staged: Connection | undefined;
  const stageId = newStageId();
  try {
    const saved = await store.stageConnect(
      {
        moduleCode: module.code,
        accountUrl: request.accountUrl,
        apiKey: request.apiKey,
        settings: checked.settings,
        apiVersion: checked.apiVersion,
        scopes: checked.scopes,
        newClientId: kit.newClientId(),
      },
      stageId,
    );
    staged = saved.connection;
    // "First" for the hooks means never completed before, whichever attempt completes it.
    const first = staged.connectedAt === null;
    // Deferred settings the module requires but does not have yet: registered switched off and left `pending`
    // until the person saves them on the settings page (`changeSettings` completes it; docs/simple-connection.md).
    const complete = request.settings !== undefined || settingsComplete(module, checked.settings);
    const payload = registrationPayload(module, { clientId: staged.clientId, settings: checked.settings }, { locale: request.locale, active: complete });
    const sent = await observeStep(kit, 'registration', () => sendRegistration(kit, crm, payload));
    if (!sent.ok) {
      const failure = failureFromError(sent.error, request.locale, kit.logger, [staged.clientId, request.apiKey]);
      if (sent.unconfirmed) await recordUnconfirmed(kit, staged, failure.code);
      else await dropStage(kit, staged, stageId, failure.code);
      return { ok: false, failure };
    }
    let registered = await commitStage(kit, staged, stageId, { complete, activity: sent.activity, active: complete });
    if (complete) registered = await observeStep(kit, 'hook.on_connected', () => completeConnection(kit, registered, crm, stageId));
    kit.logger.info({ connectionId: registered.id, created: first, complete, readBack: sent.readBack }, 'account connected');
    return { ok: true, connection: registered, created: first };
  } catch (error) {
    return { ok: false, failure: failureFromError(error, request.locale, kit.logger, staged ? [staged.clientId, request.apiKey] : [request.apiKey]) };
  }
}

/**
 * Runs `onConnected` for a connection completed elsewhere (kept for callers of the earlier API): see
 * `completeConnection` in reconcile.ts, which also records the completion.
 */
export async function runOnConnected(kit: ConnectKit, connection: Connection, crm: CrmClient): Promise<Connection> {
  return completeConnection(kit, connection, crm);
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
