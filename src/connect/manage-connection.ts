/**
 * What the person does on the module's settings page of a connected account: change the API key, change the
 * settings, disconnect. Each re-runs the checks that the change could break, and re-registers the module only
 * when what the CRM holds would change.
 */
import type { Locale } from '../i18n/index.js';
import { ErrorCode } from '../errors.js';
import type { AccountUrl } from '../crm/types.js';
import type { Connection, NewEvent } from '../store/types.js';
import { accountKey, registrationLock } from './account-lock.js';
import { checkApiVersion, checkRights } from './checks.js';
import { checkModuleSettings } from './connect-account.js';
import { type ConnectFailure, failureFromError, failureOf } from './failure.js';
import { type ConnectKit, findOwnById } from './kit.js';
import { commitStage, completeConnection, dropStage, newStageId, recordUnconfirmed, sendRegistration } from './reconcile.js';
import { registrationChanged, registrationPayload } from './registration.js';
import { settingsComplete } from './required-settings.js';
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
    return { ok: false, failure: failureFromError(error, locale, kit.logger, [apiKey]) };
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
    return await registrationLock(kit.store).run(accountKey(kit.module.code, connection.accountUrl), async () => {
      const current = (await findOwnById(kit, connection.id)) ?? connection;
      const before = registrationPayload(kit.module, current, { locale });
      const after = registrationPayload(kit.module, { clientId: current.clientId, settings }, { locale });
      // A pending connection was registered without the settings it requires (simple connection), or its
      // onConnected failed: valid settings complete it, switching it on in the account (docs/simple-connection.md).
      const completes = current.state === 'pending';
      const reRegister = completes || (current.state !== 'disconnected' && registrationChanged(before, after));
      const event: NewEvent = { type: 'settings_changed', details: { keys: Object.keys(settings), reRegistered: reRegister, completed: completes } };
      let updated: Connection;
      if (reRegister) {
        // Staged like a re-connect: the stored settings change only once the CRM holds what they register.
        const stageId = newStageId();
        const staged = await updateConnection(kit.store, current, () => ({
          patch: { stage: { id: stageId, settings, apiVersion: current.apiVersion, scopes: current.scopes } },
        }));
        const active = completes || current.active;
        const sent = await sendRegistration(kit, crm, { ...after, active });
        if (!sent.ok) {
          const failure = failureFromError(sent.error, locale, kit.logger, [current.clientId]);
          if (sent.unconfirmed) await recordUnconfirmed(kit, staged, failure.code);
          else await dropStage(kit, staged, stageId, failure.code);
          return { ok: false, failure };
        }
        updated = await commitStage(kit, staged, stageId, { complete: true, activity: sent.activity, active, event });
        if (completes) updated = await completeConnection(kit, updated, crm, stageId);
      } else {
        updated = await updateConnection(kit.store, current, () => ({ patch: { settings }, events: [event] }));
      }
      try {
        await kit.module.hooks.onSettingsChanged?.({ connection: updated, crm, previous: current.settings, settings });
      } catch (error) {
        kit.logger.error({ err: error, connectionId: updated.id }, 'onSettingsChanged failed');
      }
      return { ok: true, connection: updated } as const;
    });
  } catch (error) {
    return { ok: false, failure: failureFromError(error, locale, kit.logger, [connection.clientId]) };
  }
}

/**
 * Switches the module off in the account (edit with `active: false`, as CMS modules do on uninstall; no API
 * deletes a module, PROTOCOL §18) and marks the connection disconnected. Connecting again revives it.
 */
export async function disconnect(kit: ConnectKit, connection: Connection, locale: Locale): Promise<ManageResult> {
  try {
    return await registrationLock(kit.store).run(accountKey(kit.module.code, connection.accountUrl), async () => {
      const current = (await findOwnById(kit, connection.id)) ?? connection;
      const crm = kit.openCrm(current.accountUrl as AccountUrl, current.apiKey);
      const sent = await sendRegistration(kit, crm, registrationPayload(kit.module, current, { locale, active: false }));
      if (!sent.ok) return { ok: false, failure: failureFromError(sent.error, locale, kit.logger, [current.clientId]) } as const;
      const updated = await updateConnection(kit.store, current, () => ({
        // Every settings-page session of the connection ends with it, in every browser; a registration attempt
        // still waiting to be settled is dropped (the CRM now holds the module switched off).
        patch: { state: 'disconnected', active: false, sessionsEndedAt: new Date(), ...(current.staged ? { stage: null } : {}) },
        events: [{ type: 'disconnected', details: {} }],
      }));
      try {
        await kit.module.hooks.onDisconnected?.({ connection: updated, crm });
      } catch (error) {
        kit.logger.error({ err: error, connectionId: updated.id }, 'onDisconnected failed');
      }
      return { ok: true, connection: updated } as const;
    });
  } catch (error) {
    return { ok: false, failure: failureFromError(error, locale, kit.logger, [connection.clientId]) };
  }
}
