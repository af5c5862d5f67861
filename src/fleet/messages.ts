/**
 * Texts of fleet health for people (the settings page, the administrators' notification), in en, ru and es.
 * Kept beside the fleet code: nothing else uses them.
 * @module
 */
import type { Locale } from '../i18n/index.js';

const TEXT = {
  en: {
    heading: 'Connection health',
    removed: 'The CRM no longer has this module switched on (it was removed or switched off there). Switch it on again in the CRM’s integration list, or connect again.',
    key_revoked: 'The CRM refuses this connection’s API key (it was deleted or lost its rights). Enter a new key below.',
    degraded: 'The module cannot reach your CRM reliably right now; it keeps retrying. If this lasts, contact the module’s developer.',
    degradedNotice: 'The module “{module}” cannot reach your CRM reliably: {rate}% of its recent requests failed. It keeps retrying; if this lasts, contact the module’s developer.',
  },
  ru: {
    heading: 'Состояние подключения',
    removed: 'В CRM этот модуль больше не включён (его удалили или выключили). Включите его снова в списке интеграций CRM или подключите заново.',
    key_revoked: 'CRM не принимает API-ключ этого подключения (его удалили или у него отняли права). Введите новый ключ ниже.',
    degraded: 'Модуль сейчас не может стабильно связаться с вашей CRM и продолжает попытки. Если это продлится, свяжитесь с разработчиком модуля.',
    degradedNotice: 'Модуль «{module}» не может стабильно связаться с вашей CRM: {rate}% последних запросов не прошли. Он продолжает попытки; если это продлится, свяжитесь с разработчиком модуля.',
  },
  es: {
    heading: 'Estado de la conexión',
    removed: 'El CRM ya no tiene este módulo activado (se eliminó o se desactivó allí). Actívelo de nuevo en la lista de integraciones del CRM o vuelva a conectarlo.',
    key_revoked: 'El CRM rechaza la clave API de esta conexión (se eliminó o perdió permisos). Introduzca una clave nueva abajo.',
    degraded: 'El módulo no puede comunicarse de forma fiable con su CRM ahora mismo; sigue reintentando. Si continúa, contacte con el desarrollador del módulo.',
    degradedNotice: 'El módulo «{module}» no puede comunicarse de forma fiable con su CRM: fallaron el {rate}% de sus solicitudes recientes. Sigue reintentando; si continúa, contacte con el desarrollador del módulo.',
  },
} as const satisfies Record<Locale, Record<string, string>>;

export function fleetText(locale: Locale) {
  return TEXT[locale] ?? TEXT.en;
}

/**
 * The administrators' language, guessed from the account's address (the API does not say): RetailCRM's
 * Russian-speaking domains → ru, Spanish-speaking country domains → es, else en (docs/protocol-decisions.md).
 */
export function localeOfAccount(accountUrl: string): Locale {
  const host = new URL(accountUrl).hostname;
  if (/\.(ru|by|kz|uz|ua)$/.test(host)) return 'ru';
  if (/\.(es|mx|ar|cl|co|pe)$/.test(host)) return 'es';
  return 'en';
}
