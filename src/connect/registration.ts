/**
 * Step 5 of the seed: the `integrationModule` a connection registers, and the CRM page step 6 returns to.
 * @see ../../../shared/PROTOCOL.md §6, §7, §12
 */
import type { Locale } from '../i18n/index.js';
import { ADMIN_INTEGRATION_LIST_PATH, type IntegrationModuleEdit } from '../protocol/index.js';
import type { Connection } from '../store/types.js';
import { localize, type AnyModuleDefinition } from './module-definition.js';
import { placeCallbackActions } from '../callbacks/registration-actions.js';

/**
 * The registration payload of one connection.
 *
 * `baseUrl` is sent as the bare origin and each action as a full path: whether the CRM joins them by string
 * concatenation or by URL resolution, the callback lands on the same address (docs/protocol-decisions.md).
 */
export function registrationPayload(
  module: AnyModuleDefinition,
  connection: Pick<Connection, 'clientId' | 'settings'>,
  options: { readonly locale: Locale; readonly active?: boolean },
): IntegrationModuleEdit {
  const base = new URL(module.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const integrations =
    typeof module.integrations === 'function'
      ? module.integrations(connection.settings as never)
      : module.integrations;
  const payload = {
    code: module.code,
    integrationCode: module.integrationCode,
    active: options.active ?? true,
    name: localize(module.name, options.locale),
    logo: module.logo,
    clientId: connection.clientId,
    baseUrl: base.origin,
    actions: { activity: `${prefix}${module.paths.activity}` },
    accountUrl: `${module.baseUrl}${module.paths.settings}`,
    ...(integrations ? { integrations: { ...integrations } } : {}),
    ...(module.availableCountries ? { availableCountries: [...module.availableCountries] } : {}),
  };
  // Declared callbacks (the built-in `settings` included) join `activity` in `actions` (docs/guide/callbacks.md).
  return placeCallbackActions(payload, module.callbacks, prefix) as IntegrationModuleEdit;
}

/**
 * True when two payloads differ in anything but the display name (which follows the language of whoever saved
 * last and is not worth a re-registration).
 */
export function registrationChanged(before: IntegrationModuleEdit, after: IntegrationModuleEdit): boolean {
  const { name: _a, ...restBefore } = before;
  const { name: _b, ...restAfter } = after;
  return stableJson(restBefore) !== stableJson(restAfter);
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Step 6's default: the account's integration list (PROTOCOL §12, §18). */
export function defaultRedirectAfterConnect(connection: Pick<Connection, 'accountUrl'>): string {
  return `${connection.accountUrl}${ADMIN_INTEGRATION_LIST_PATH}`;
}
