/**
 * `retailcrm-module-kit dev`: the emulator and a module side by side, connected through the Marketplace.
 * `npm run dev` is this command with its defaults.
 * @module
 */
import { startDevEnvironment } from '../../dev/dev-environment.js';
import { parsePort, untilStopSignal, type CliCommand } from '../cli-command.js';

interface DevFlags {
  port: number;
  emulatorPort: number;
  host: string;
  dataDir: string;
  module?: string;
}

export const devCommand: CliCommand = {
  register(program, io) {
    program
      .command('dev')
      .description('Run the CRM emulator and a module together (default: the bundled example) until Ctrl-C')
      .option('--port <port>', 'module port', parsePort, 7800)
      .option('--emulator-port <port>', 'emulator port', parsePort, 7700)
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option('--data-dir <dir>', 'where the SQLite database and the development keyring live', '.data')
      .option('--module <file>', 'a .js/.mjs file, or .ts with tsx installed, exporting createModule(baseUrl) (default: the bundled example)')
      .action(async (flags: DevFlags) => {
        const dev = await startDevEnvironment({
          port: flags.port,
          emulatorPort: flags.emulatorPort,
          host: flags.host,
          dataDir: flags.dataDir,
          ...(flags.module ? { modulePath: flags.module } : {}),
        });
        io.out(`The CRM emulator and the module "${dev.definition.integrationCode}" are running.`);
        io.out('');
        io.out(`  1. Open the Marketplace:   ${dev.marketplaceUrl}`);
        io.out('  2. Click Connect on the module card; the account address is filled in for you.');
        // Printed on purpose: development keys of the local emulator, for pasting into the form.
        io.out(`  3. Paste this API key:     ${dev.apiKey}`);
        io.out(`     (to see the rights error, use ${dev.weakApiKey}, which lacks ${dev.weakKeyLacks})`);
        io.out(`  4. You land on the account's integration list: ${dev.accountUrl}/admin/integration/list`);
        io.out('');
        io.out(`  module:   ${dev.module.url}   data: ${flags.dataDir}/`);
        io.out(`  API keys: ${dev.accountUrl}/admin/api-keys`);
        io.out('Press Ctrl-C to stop.');
        const signal = await untilStopSignal();
        io.out(`Stopping (${signal})…`);
        await dev.close();
      });
  },
};
