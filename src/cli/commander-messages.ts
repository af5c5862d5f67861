/**
 * commander's own errors (unknown option, missing argument…) in the run's language. CommanderError carries only a
 * code and commander's English line, so the names are read back from that line, whose wording commander 14 fixes
 * in lib/command.js; a line this table does not recognise still gets a localized frame around commander's text.
 * @module
 */
import type { CommanderError } from 'commander';
import type { ErrorParams } from '../errors.js';
import { type Locale, translate } from '../i18n/index.js';
import type { CliMessageKey } from './cli-command.js';

/** The codes commander ends a run with when nothing went wrong (--help, --version), or after printing help itself. */
const NOT_FAILURES = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

interface Rule {
  readonly pattern: RegExp;
  readonly key: CliMessageKey;
  readonly params: (match: RegExpExecArray) => ErrorParams;
}

// An unknown option typed as `--name=value` is named without its value: the value may be a key typed in a hurry.
const optionName = (typed: string) => typed.split('=')[0] ?? typed;

const RULES: Readonly<Record<string, readonly Rule[]>> = {
  'commander.unknownOption': [{ pattern: /^error: unknown option '(.+?)'/, key: 'cli.unknownOption', params: (m) => ({ option: optionName(m[1]!) }) }],
  'commander.unknownCommand': [{ pattern: /^error: unknown command '(.+?)'/, key: 'cli.unknownCommand', params: (m) => ({ command: m[1]! }) }],
  'commander.missingArgument': [{ pattern: /^error: missing required argument '(.+?)'/, key: 'cli.missingArgument', params: (m) => ({ argument: m[1]! }) }],
  'commander.optionMissingArgument': [{ pattern: /^error: option '(.+?)' argument missing/, key: 'cli.optionMissingArgument', params: (m) => ({ option: m[1]! }) }],
  'commander.missingMandatoryOptionValue': [
    { pattern: /^error: required option '(.+?)' not specified/, key: 'cli.missingMandatoryOption', params: (m) => ({ option: m[1]! }) },
  ],
  'commander.conflictingOption': [
    {
      pattern: /^error: (?:option|environment variable) '(.+?)' cannot be used with (?:option|environment variable) '(.+?)'/,
      key: 'cli.conflictingOption',
      params: (m) => ({ option: m[1]!, other: m[2]! }),
    },
  ],
  'commander.excessArguments': [
    {
      pattern: /^error: too many arguments(?: for '(.+?)')?\. Expected (\d+) arguments? but got (\d+)\./,
      key: 'cli.excessArguments',
      params: (m) => ({ command: m[1] ?? 'retailcrm-module-kit', expected: m[2]!, received: m[3]! }),
    },
  ],
  'commander.invalidArgument': [
    { pattern: /^error: option '(.+?)' argument '(.*?)' is invalid\./, key: 'cli.invalidOptionValue', params: (m) => ({ option: m[1]!, value: m[2]! }) },
    {
      pattern: /^error: option '(.+?)' value '(.*?)' from env '(.+?)' is invalid\./,
      key: 'cli.invalidEnvValue',
      params: (m) => ({ option: m[1]!, value: m[2]!, env: m[3]! }),
    },
    {
      pattern: /^error: command-argument value '(.*?)' is invalid for argument '(.+?)'\./,
      key: 'cli.invalidArgumentValue',
      params: (m) => ({ value: m[1]!, argument: m[2]! }),
    },
  ],
};

/** Every commander code this module words or deliberately passes over (a test holds it to commander's source). */
export const KNOWN_COMMANDER_CODES: ReadonlySet<string> = new Set([...Object.keys(RULES), ...NOT_FAILURES]);

/**
 * The localized line for a commander error, without the `error:` prefix; `undefined` when the error is no failure
 * to report (help or version shown, or help already printed to stderr by commander itself).
 */
export function commanderMessage(error: CommanderError, locale: Locale): string | undefined {
  if (error.exitCode === 0 || NOT_FAILURES.has(error.code)) return undefined;
  const say = (key: CliMessageKey, params: ErrorParams = {}) => translate(locale, key, params);
  for (const rule of RULES[error.code] ?? []) {
    const match = rule.pattern.exec(error.message);
    if (!match) continue;
    return [say(rule.key, rule.params(match)), ...extras(error.message, say)].join(' ');
  }
  // A commander line this table does not know (a newer commander, a custom InvalidArgumentError): its text, framed.
  const detail = error.message.replace(/^error: /, '').split('\n')[0] ?? '';
  return say('cli.usageInvalid', { detail });
}

/** What commander adds after its sentence: the allowed choices of an option, a "did you mean" guess. */
function extras(message: string, say: (key: CliMessageKey, params?: ErrorParams) => string): string[] {
  const more: string[] = [];
  const choices = /Allowed choices are (.+?)\.$/m.exec(message);
  if (choices) more.push(`(${say('cli.allowedChoices', { choices: choices[1]! })})`);
  const guess = /\(Did you mean (one of )?(.+?)\?\)/.exec(message);
  if (guess) more.push(say(guess[1] ? 'cli.didYouMeanOneOf' : 'cli.didYouMean', { suggestion: guess[2]! }));
  return more;
}
