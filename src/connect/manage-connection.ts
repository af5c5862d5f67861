/**
 * What the person does on the module's settings page of a connected account: change the API key, change the
 * settings, disconnect. Each re-runs the checks that the change could break, and re-registers the module only
 * when what the CRM holds would change.
 */
import type { Locale } from '../i18n/index.js';
import { ErrorCode } from '../errors.js';
import type { AccountUrl } from '../crm/types.js';
import type { Connection } from '../store/types.js';
import { checkApiVersion, checkRights } from './checks.js';
import { checkModuleSettings, runOnConnected } from './connect-account.js';
import { type ConnectFailure, failureFromError, failureOf } from './failure.js';
import type { ConnectKit } from './kit.js';
import { registrationChanged, registrationPayload } from './registration.js';
import { settingsComplete } from './required-settings.js';
import { stateFromActivity } from './state.js';
import { updateConnection } from './update-connection.js';

export type ManageResult =
  | { readonly ok: true; readonly connection: Connection }
  | { readonly ok: false; readonly failure: ConnectFailure };

/** Replaces the API key after checking the new key as step 4 would. */
export async function changeApiKey(
  kit: ConnectKit,
  connection: Connection,
  newApiKey: string,
  locale: Locale,
): Promise<ManageResult> {
  const apiKey = newApiKey.trim();
  if (!apiKey) return { ok: false, failure: failureOf(ErrorCode.ApiKeyMissing, locale) };
  try {
    const crm = kit.openCrm(connection.accountUrl as AccountUrl, apiKey);
    const apiVersion = await checkApiVersion(crm, kit.module.apiVersion);
    const credentials = await checkRights(crm, kit.module);
    // Step 4.3 again: settings may depend on what the key can reach (e.g. its stores). Settings a simple
    // connection has not received yet are not checked; saving them later checks them.
    if (settingsComplete(kit.module, connection.settings))
      await checkModuleSettings(kit, crm, credentials, { settings: connection.settings, locale });
    const updated = await updateConnection(kit.store, connection, () => ({
      patch: { apiKey, apiVersion, scopes: credentials.scopes },
      events: [{ type: 'key_changed', details: { scopes: credentials.scopes } }],
    }));
    return { ok: true, connection: updated };
  } catch (error) {
    return { ok: false, failure: failureFromError(error, locale, kit.logger) };
  }
}

/** Saves new settings; re-registers when the registration payload they produce differs. */
export async function changeSettings(
  kit: ConnectKit,
  connection: Connection,
  rawSettings: Readonly<Record<string, unknown>>,
  locale: Locale,
): Promise<ManageResult> {
  try {
    const crm = kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey);
    const credentials = await crm.credentials();
    const settings = await checkModuleSettings(kit, crm, credentials, { settings: rawSettings, locale });
    const before = registrationPayload(kit.module, connection, { locale });
    const after = registrationPayload(kit.module, { ...connection, settings }, { locale });
    // A pending connection was registered without the settings it requires (simple connection): valid settings
    // complete it, switching it on in the account (docs/simple-connection.md).
    const completes = connection.state === 'pending';
    const reRegister = completes || (connection.state !== 'disconnected' && registrationChanged(before, after));
    if (reRegister) await crm.editIntegrationModule({ ...after, active: completes || connection.active });
    const updated = await updateConnection(kit.store, connection, (current) => ({
      patch: completes
        ? { settings, active: true, state: stateFromActivity({ active: true, freeze: current.freeze }) }
        : { settings },
      events: [{ type: 'settings_changed', details: { keys: Object.keys(settings), reRegistered: reRegister, completed: completes } }],
    }));
    if (completes) await runOnConnected(kit, updated, crm, true);
    try {
      await kit.module.hooks.onSettingsChanged?.({ connection: updated, crm, previous: connection.settings, settings });
    } catch (error) {
      kit.logger.error({ err: error, connectionId: updated.id }, 'onSettingsChanged failed');
    }
    return { ok: true, connection: updated };
  } catch (error) {
    return { ok: false, failure: failureFromError(error, locale, kit.logger) };
  }
}

/**
 * Switches the module off in the account (edit with `active: false`, as CMS modules do on uninstall; no API
 * deletes a module, PROTOCOL §18) and marks the connection disconnected. Connecting again revives it.
 */
export async function disconnect(kit: ConnectKit, connection: Connection, locale: Locale): Promise<ManageResult> {
  try {
    const crm = kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey);
    await crm.editIntegrationModule(registrationPayload(kit.module, connection, { locale, active: false }));
    const updated = await updateConnection(kit.store, connection, () => ({
      patch: { state: 'disconnected', active: false },
      events: [{ type: 'disconnected', details: {} }],
    }));
    try {
      await kit.module.hooks.onDisconnected?.({ connection: updated, crm });
    } catch (error) {
      kit.logger.error({ err: error, connectionId: updated.id }, 'onDisconnected failed');
    }
    return { ok: true, connection: updated };
  } catch (error) {
    return { ok: false, failure: failureFromError(error, locale, kit.logger) };
  }
}
