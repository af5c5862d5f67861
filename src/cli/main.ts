#!/usr/bin/env node
/**
 * `retailcrm-module-kit` entry point. Commands live in `commands/` and are listed in `commands/index.ts`.
 * @module
 */
try {
  await import('../zod-version.js');
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exit(1);
}
const { runCli } = await import('./run-cli.js');
process.exitCode = await runCli(process.argv);
