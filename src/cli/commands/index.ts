/**
 * Every CLI command, in the order `--help` lists them. Add a command by adding its file and one line here.
 * @module
 */
import type { CliCommand } from '../cli-command.js';
import { devCommand } from './dev.js';
import { emulatorCommand } from './emulator.js';

export const commands: readonly CliCommand[] = [devCommand, emulatorCommand];
