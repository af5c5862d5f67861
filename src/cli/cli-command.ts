/**
 * The shape of one CLI command, so `main.ts` stays a thin registry: each file in `commands/` exports one
 * `CliCommand`, and `commands/index.ts` lists them.
 * @module
 */
import type { Command } from 'commander';

/** Where a command writes; tests pass their own. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CliCommand {
  /** Adds the command (name, options, action) to the program. The action may run until a signal arrives. */
  register(program: Command, io: CliIo): void;
}

/** A wrong flag value or combination: printed as one line, exit code 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Parses a TCP port flag (0 = any free port). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new CliUsageError(`--port must be a number from 0 to 65535, got "${value}"`);
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
