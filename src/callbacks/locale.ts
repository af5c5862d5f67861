/**
 * The account's language as the CRM reported it (`system_language` of the `settings` callback, §19): used for
 * the texts the CRM user sees when the request itself names no language.
 * @module
 */
import { isLocale, type Locale } from '../i18n/index.js';
import type { Connection } from '../store/types.js';

/** `"RU"` → `ru`; `undefined` when the account's language is none of the kit's (en, ru, es) or not reported yet. */
export function crmLocale(connection: Pick<Connection, 'crmSettings'> | undefined): Locale | undefined {
  const language = (connection?.crmSettings?.system_language as { value?: unknown } | undefined)?.value;
  if (typeof language !== 'string') return undefined;
  // The CRM writes `RU`; some accounts may write `ru_RU` or `en-GB`: the first two letters name the language.
  const code = language.slice(0, 2).toLowerCase();
  return isLocale(code) ? code : undefined;
}
