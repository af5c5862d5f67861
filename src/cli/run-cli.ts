/**
 * Builds the program from the registered commands and runs it, turning every failure into one clear line and an
 * exit code: 0 success, 1 failure, 2 usage error.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isKitError } from '../errors.js';
import { CliUsageError, type CliIo } from './cli-command.js';
import { commands } from './commands/index.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

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
  const program = new Command('retailcrm-module-kit')
    .description('Build RetailCRM / Simla.com marketplace modules, and run the CRM locally as an emulator.')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) })
    .showHelpAfterError('(run with --help for usage)');
  for (const command of commands) command.register(program, io);
  return program;
}

/** Runs the CLI with `argv` as in `process.argv` and returns the exit code. */
export async function runCli(argv: readonly string[] = process.argv, io: CliIo = defaultIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through exitOverride with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliUsageError) {
      io.err(`error: ${error.message}`);
      return EXIT_USAGE;
    }
    const code = isKitError(error) ? ` [${error.code}]` : '';
    const message = error instanceof Error ? error.message.split('\n').join(' ') : String(error);
    io.err(`error: ${message}${code}`);
    return EXIT_FAILURE;
  }
}
