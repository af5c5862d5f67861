/**
 * Localized messages (en, ru, es: the languages every vendor module ships, PROTOCOL §15).
 * @module
 */
import type { ErrorCode, ErrorParams } from '../errors.js';
import { en, type MessageKey, type Messages } from './en.js';
import { es } from './es.js';
import { ru } from './ru.js';

export const LOCALES = ['en', 'ru', 'es'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
export const messages: Readonly<Record<Locale, Messages>> = Object.freeze({ en, ru, es });
export type { MessageKey, Messages };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * Picks the locale: an explicit choice (e.g. `?lang=ru`) wins, then the best `Accept-Language` match
 * by quality, then English.
 */
export function pickLocale(acceptLanguage: string | undefined, explicit?: string): Locale {
  if (isLocale(explicit)) return explicit;
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0 && !Number.isNaN(entry.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((entry) => entry.lang).find(isLocale) ?? DEFAULT_LOCALE;
}

/** Formats one value for a message: lists are joined with commas. */
function formatParam(value: string | number | readonly string[]): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** The message for `key` in `locale`, with `{name}` placeholders filled from `params`. */
export function translate(locale: Locale, key: MessageKey, params: ErrorParams = {}): string {
  const template = messages[locale][key] ?? messages.en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? formatParam(params[name] as string | number | readonly string[]) : whole,
  );
}

/** The localized, user-facing text for an error code. */
export function errorMessage(locale: Locale, code: ErrorCode, params: ErrorParams = {}): string {
  return translate(locale, `error.${code}` as MessageKey, params);
}
