/**
 * Choices a select loads from the account (`options: async ({ crm, credentials }) => …`): its stores, order types,
 * statuses… Loaded only once the key has passed its checks, with that key, so a key limited to some stores sees
 * only those (the loader decides, from `credentials`).
 * @module
 */
import type { Locale } from '../i18n/index.js';
import type { CrmClient } from '../crm/types.js';
import type { CredentialsResponse } from '../protocol/index.js';
import type { FlowLogger } from './kit.js';
import { type AnyModuleDefinition, type SettingOption, settingOptionsLoaded } from './module-definition.js';

/** True when some setting loads its choices from the account. */
export function hasLoadedOptions(module: AnyModuleDefinition): boolean {
  const settings = module.settings;
  return settings !== undefined && Object.keys(settings.schema.shape).some((key) => settingOptionsLoaded(settings, key));
}

/**
 * Runs every loader. One that fails is logged and left out: its field falls back to a text box rather than
 * blocking the form (the settings check still judges the value).
 */
export async function loadSettingOptions(
  module: AnyModuleDefinition,
  context: { readonly crm: CrmClient; readonly credentials: CredentialsResponse; readonly locale: Locale },
  logger: FlowLogger,
): Promise<Record<string, readonly SettingOption[]>> {
  const settings = module.settings;
  if (!settings) return {};
  const loaded: Record<string, readonly SettingOption[]> = {};
  await Promise.all(
    Object.keys(settings.schema.shape).map(async (key) => {
      const loader = settings.fields[key]?.options;
      if (typeof loader !== 'function') return;
      try {
        const options = await loader(context);
        loaded[key] = Object.freeze(options.map((option) => ({ ...option, value: String(option.value) })));
      } catch (error) {
        logger.warn({ setting: key, error: error instanceof Error ? error.name : typeof error }, 'could not load the choices of a setting');
      }
    }),
  );
  return loaded;
}
