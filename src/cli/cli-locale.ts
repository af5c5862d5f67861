/**
 * The language of the CLI's messages, picked once per run before commander parses anything (it reads options only
 * as it reaches them, and its own errors must already be in the right language): `--lang`, else
 * `RETAILCRM_MODULE_KIT_LANG`, else the POSIX locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), else English.
 * Imports nothing but src/i18n, so main.ts can use it before zod is known to load.
 * @module
 */
import { DEFAULT_LOCALE, isLocale, type Locale } from '../i18n/index.js';

export const LANG_ENV = 'RETAILCRM_MODULE_KIT_LANG';
export const DEBUG_ENV = 'RETAILCRM_MODULE_KIT_DEBUG';

export type CliLocaleChoice = { readonly locale: Locale } | { readonly invalid: string };

/** `ru`, `ru_RU.UTF-8`, `es-ES`, `RU@latin` → the language, when it is one of ours. */
export function localeFromTag(tag: string | undefined): Locale | undefined {
  const language = (tag ?? '').trim().toLowerCase().split(/[_.@-]/)[0];
  return isLocale(language) ? language : undefined;
}

/**
 * The last `--lang <x>` or `--lang=<x>` before `--` (commander lets a later flag win, and stops at `--`).
 * `null` when absent; `''` when given without a value.
 */
export function langFlag(argv: readonly string[]): string | null {
  let found: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === '--lang') found = argv[++i] ?? '';
    else if (arg.startsWith('--lang=')) found = arg.slice('--lang='.length);
  }
  return found;
}

/**
 * POSIX order: the first of LC_ALL, LC_MESSAGES, LANG that is set and not empty decides, so `LC_ALL=C` means
 * English even when LANG says Russian.
 */
export function posixLocale(env: NodeJS.ProcessEnv): Locale {
  const decisive = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value !== undefined && value.trim() !== '');
  return localeFromTag(decisive) ?? DEFAULT_LOCALE;
}

/**
 * An invalid `--lang` is the person's mistake (a usage error); an unusable `RETAILCRM_MODULE_KIT_LANG` is ambient
 * and only passed over, like an unknown POSIX locale.
 */
export function pickCliLocale(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliLocaleChoice {
  const flag = langFlag(argv);
  if (flag !== null) return isLocale(flag) ? { locale: flag } : { invalid: flag };
  return { locale: localeFromTag(env[LANG_ENV]) ?? posixLocale(env) };
}
