#!/usr/bin/env node
/**
 * `retailcrm-module-kit` entry point. Commands live in `commands/` and are listed in `commands/index.ts`.
 * @module
 */
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv);
