/**
 * The shape of one CLI command, so `main.ts` stays a thin registry: each file in `commands/` exports one
 * `CliCommand`, and `commands/index.ts` lists them.
 * @module
 */
import type { Command } from 'commander';
import type { ErrorCode, ErrorParams } from '../errors.js';
import { type Locale, type MessageKey, translate } from '../i18n/index.js';

/** Where a command writes, and in which language; tests pass their own (no locale: English). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly locale?: Locale;
}

/** The CLI's own message keys (`cli.*` in src/i18n). */
export type CliMessageKey = Extract<MessageKey, `cli.${string}`>;

/**
 * A failure the CLI words itself: a message key and its params, printed in the run's language. `message` is the
 * English text, for logs and for callers that never print through runCli. Params never hold a secret.
 */
export abstract class CliMessageError extends Error {
  constructor(readonly key: CliMessageKey, readonly params: ErrorParams = {}) {
    super(translate('en', key, params));
    this.name = new.target.name;
  }
}

export interface CliCommand {
  /**
   * Adds the command (name, options, action) to the program, its help worded by `helpText(io.locale)` (cli-help.ts).
   * The action may run until a signal arrives.
   */
  register(program: Command, io: CliIo): void;
}

/** A wrong flag value or combination: printed as one line, exit code 2. */
export class CliUsageError extends CliMessageError {}

/**
 * The command could not do its job (a check failed, nothing to act on): one line, exit code 1. `code` is the kit
 * error code the line ends with, when the failure is one the kit's catalog names.
 */
export class CliFailure extends CliMessageError {
  constructor(key: CliMessageKey, params: ErrorParams = {}, readonly code?: ErrorCode) {
    super(key, params);
  }
}

/** Parses a TCP port flag (0 = any free port). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new CliUsageError('cli.portInvalid', { value });
  return port;
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
