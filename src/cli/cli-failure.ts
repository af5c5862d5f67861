/**
 * How runCli words a failure: the lines for stderr, in the run's language, and the exit code. Kit errors speak by
 * their code's message, the CLI's own by their key, commander's through commander-messages.ts; anything else is a
 * bug or a library's raw error, which gets a localized frame saying what to do, with its first line as the detail.
 * @module
 */
import { CommanderError } from 'commander';
import { ConfigError, ErrorCode, isKitError, type KitError } from '../errors.js';
import { accountUrlReason } from '../connect/failure.js';
import { isSecretName } from '../host/security.js';
import { errorMessage, type Locale, translate } from '../i18n/index.js';
import { CliFailure, CliMessageError, CliUsageError } from './cli-command.js';
import { commanderMessage } from './commander-messages.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface DescribedFailure {
  readonly exitCode: number;
  readonly lines: readonly string[];
}

/**
 * Passwords in URLs (`postgres://user:pass@…`), and the values of `name=value` pairs whose name is a secret's (the
 * names the request logs redact, src/host/security.ts), cut out of raw error text.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/(\/\/[^/\s:@]*):[^@\s/]*@/g, '$1:***@')
    .replace(/([\w%[\]-]+)=([^&\s]+)/g, (pair: string, name: string) => (isSecretName(name) ? `${name}=***` : pair));
}

const line = (locale: Locale, message: string) => translate(locale, 'cli.error', { message });

const ACCOUNT_URL_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCode.AccountUrlInvalid, ErrorCode.AccountUrlNotAllowed, ErrorCode.AccountAddressBlocked]);

/** The localized text of a kit error; the problems of a ConfigError are its whole point, so they are kept. */
export function kitErrorText(error: KitError, locale: Locale): string {
  if (error instanceof ConfigError) return translate(locale, 'cli.configInvalid', { problems: error.problems.join('; ') });
  const { reason } = error.params;
  // The account URL errors carry a reason code (`malformed`…), which has its own localized text.
  if (ACCOUNT_URL_CODES.has(error.code) && typeof reason === 'string')
    return errorMessage(locale, error.code, { ...error.params, reason: accountUrlReason(locale, reason) });
  return errorMessage(locale, error.code, error.params);
}

/** The whole error with its causes, for RETAILCRM_MODULE_KIT_DEBUG=1; redacted like the line. */
function debugLines(error: unknown): string[] {
  const lines: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    lines.push(redactSecrets(depth === 0 ? text : `caused by: ${text}`));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines;
}

export function describeFailure(error: unknown, locale: Locale, options: { readonly debug?: boolean } = {}): DescribedFailure {
  const debug = options.debug ? debugLines(error) : [];
  if (error instanceof CommanderError) {
    const message = commanderMessage(error, locale);
    if (message === undefined) return { exitCode: error.exitCode === 0 ? EXIT_OK : EXIT_USAGE, lines: [] };
    return { exitCode: EXIT_USAGE, lines: [line(locale, message), translate(locale, 'cli.helpHint')] };
  }
  if (error instanceof CliMessageError) {
    const text = translate(locale, error.key, error.params);
    const code = error instanceof CliFailure && error.code ? ` [${error.code}]` : '';
    // Expected failures: the stack would only point at the check that threw them.
    return { exitCode: error instanceof CliUsageError ? EXIT_USAGE : EXIT_FAILURE, lines: [line(locale, text) + code] };
  }
  if (isKitError(error)) return { exitCode: EXIT_FAILURE, lines: [`${line(locale, kitErrorText(error, locale))} [${error.code}]`, ...debug] };
  const raw = error instanceof Error ? error.message : String(error);
  const first = raw.split('\n').find((text) => text.trim() !== '') ?? (error instanceof Error ? error.name : 'unknown');
  // The frame goes on with its own sentence, so the detail's closing period would double.
  const detail = redactSecrets(first.trim().replace(/\.+$/, ''));
  return { exitCode: EXIT_FAILURE, lines: [line(locale, translate(locale, 'cli.unexpected', { detail })), ...debug] };
}
