/**
 * Builds the program from the registered commands, its help worded in the run's language (cli-help.ts), and runs it,
 * turning every failure into one clear line in that language (en, ru, es; see cli-locale.ts) and an exit code:
 * 0 success, 1 failure, 2 usage error.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { LOCALES, translate } from '../i18n/index.js';
import type { CliIo } from './cli-command.js';
import { helpText, localizeHelp } from './cli-help.js';
import { describeFailure, EXIT_OK, EXIT_USAGE } from './cli-failure.js';
import { DEBUG_ENV, LANG_ENV, pickCliLocale } from './cli-locale.js';
import { commands } from './commands/index.js';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-failure.js';

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function version(): string {
  // The same relative path works from src/cli (tsx) and dist/cli (built).
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(io: CliIo = defaultIo): Command {
  const say = helpText(io.locale);
  // Before any command is added: subcommands take the help option, help command and help wording from here.
  const program = localizeHelp(new Command('retailcrm-module-kit'), io.locale ?? 'en', version())
    .description(say('cli.help.program.description'))
    // Read by runCli before parsing (pickCliLocale); declared so commander accepts it anywhere on the line.
    .option('--lang <locale>', say('cli.help.program.option.lang', { locales: LOCALES, env: LANG_ENV }))
    .exitOverride()
    // commander's own error line is English: runCli prints it localized instead (outputError is not used for help).
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()), outputError: () => {} });
  for (const command of commands) command.register(program, io);
  return program;
}

/** Runs the CLI with `argv` as in `process.argv` and returns the exit code. `env` picks the language. */
export async function runCli(argv: readonly string[] = process.argv, io: CliIo = defaultIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const choice = pickCliLocale(argv, env);
  if ('invalid' in choice) {
    // No language is known yet, so English.
    io.err(translate('en', 'cli.error', { message: translate('en', 'cli.langInvalid', { locales: LOCALES, value: choice.invalid }) }));
    return EXIT_USAGE;
  }
  const { locale } = choice;
  try {
    await buildProgram({ out: io.out, err: io.err, locale }).parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    const debug = Boolean(env[DEBUG_ENV]) && env[DEBUG_ENV] !== '0';
    const failure = describeFailure(error, locale, { debug });
    for (const line of failure.lines) io.err(line);
    return failure.exitCode;
  }
}
