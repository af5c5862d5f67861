/**
 * The `settings` callback (PROTOCOL-INTEGRATIONS §19), built in: the CRM reports the account's system settings
 * (language, currency, timezone, working hours…), possibly only the keys that changed. The kit merges them into
 * what the connection holds, then tells the module through `hooks.onCrmSettings`.
 * @module
 */
import type { ConnectKit } from '../connect/kit.js';
import { updateConnection } from '../connect/update-connection.js';
import { CrmSystemSettings } from '../protocol/index.js';
import type { CallbackContext, DeclaredCallback } from './declaration.js';
import { DEFAULT_CALLBACK_TIMEOUT_MS } from './declaration.js';
import { CALLBACK_GROUPS } from './kinds.js';

async function applyCrmSettings(context: CallbackContext<unknown>, kit: ConnectKit): Promise<void> {
  const changed = context.input as CrmSystemSettings;
  const previous = context.connection.crmSettings;
  const updated = await updateConnection(kit.store, context.connection, (current) => {
    const merged = { ...current.crmSettings, ...changed };
    return JSON.stringify(merged) === JSON.stringify(current.crmSettings) ? undefined : { patch: { crmSettings: merged } };
  });
  const hook = kit.module.hooks.onCrmSettings;
  if (!hook) return;
  try {
    await hook({ connection: updated, crm: context.crm, settings: updated.crmSettings as CrmSystemSettings, changed, previous: previous as CrmSystemSettings });
  } catch (error) {
    // The settings are stored either way; a failing hook is the module's bug to see in its logs.
    kit.logger.error({ err: error, connectionId: updated.id }, 'onCrmSettings failed');
  }
}

/** The declaration the kit adds to every module, at `paths.settingsCallback`. */
export function settingsCallback(path: string): DeclaredCallback {
  const kind = CALLBACK_GROUPS.actions.known.settings;
  return Object.freeze({
    group: 'actions',
    action: 'settings',
    path,
    method: kind.method,
    field: kind.field,
    input: kind.input,
    output: undefined,
    whenInactive: kind.whenInactive,
    timeoutMs: DEFAULT_CALLBACK_TIMEOUT_MS,
    handle: applyCrmSettings,
  });
}
