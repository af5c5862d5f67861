/**
 * Every CLI command, in the order `--help` lists them. Add a command by adding its file and one line here.
 * @module
 */
import type { CliCommand } from '../cli-command.js';
import { certifyCommand } from './certify.js';
import { checkCommand } from './check.js';
import { connectionsCommand } from './connections.js';
import { devCommand } from './dev.js';
import { emulatorCommand } from './emulator.js';
import { initCommand } from './init.js';
import { jobsCommand } from './jobs.js';
import { fleetCommand } from './fleet.js';
import { keysCommand } from './keys.js';
import { migrateCommand } from './migrate.js';
import { startCommand } from './start.js';

export const commands: readonly CliCommand[] = [
  initCommand,
  devCommand,
  startCommand,
  emulatorCommand,
  checkCommand,
  certifyCommand,
  connectionsCommand,
  migrateCommand,
  keysCommand,
  jobsCommand,
  fleetCommand,
];
