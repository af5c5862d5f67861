/**
 * `retailcrm-module-kit emulator`: runs the CRM emulator with one account and serves until Ctrl-C.
 * @module
 */
import { Option } from 'commander';
import { ACCOUNT_NAME_PATTERN } from '../../emulator/control-schemas.js';
import { startEmulator } from '../../emulator/index.js';
import { translate } from '../../i18n/index.js';
import { CliUsageError, parsePort, untilStopSignal, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';

interface EmulatorFlags {
  port: number;
  host: string;
  account: string;
  rateLimit: boolean;
  rateLimitBy: 'ip' | 'key';
}

/** Loopback names and addresses: the only hosts where the emulator is reachable from this machine alone. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

export const emulatorCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    program
      .command('emulator')
      .description(say('cli.help.emulator.description'))
      .option('--port <port>', say('cli.help.emulator.option.port'), parsePort, 7700)
      .option('--host <host>', say('cli.help.shared.option.host'), '127.0.0.1')
      .option('--account <name>', say('cli.help.emulator.option.account'), 'demo')
      .option('--no-rate-limit', say('cli.help.emulator.option.rateLimit'))
      .addOption(new Option('--rate-limit-by <source>', say('cli.help.emulator.option.rateLimitBy')).choices(['ip', 'key']).default('ip'))
      .action(async (flags: EmulatorFlags) => {
        if (!ACCOUNT_NAME_PATTERN.test(flags.account)) {
          throw new CliUsageError('cli.accountNameInvalid', { value: flags.account });
        }
        if (!isLoopbackHost(flags.host)) {
          io.err(translate(io.locale ?? 'en', 'cli.hostWarning', { host: flags.host }));
        }
        const crm = await startEmulator({
          port: flags.port,
          host: flags.host,
          rateLimit: flags.rateLimit ? { by: flags.rateLimitBy } : false,
        });
        const { url, apiKey } = crm.createAccount({ name: flags.account });
        io.out('CRM emulator is running.');
        io.out(`  account:     ${url}`);
        // Printed once on purpose: this is the demo account's administrator key for local development.
        io.out(`  API key:     ${apiKey}`);
        io.out(`  marketplace: ${crm.marketplaceUrl(flags.account)}`);
        io.out(`  control API: ${crm.controlUrl}/_emulator/`);
        io.out('Press Ctrl-C to stop.');
        const signal = await untilStopSignal();
        io.out(`Stopping (${signal})…`);
        await crm.close();
      });
  },
};
