/**
 * `retailcrm-module-kit dev`: the emulator and modules side by side, connected through the Marketplace (by
 * default the three bundled examples). `npm run dev` is this command with its defaults.
 * @module
 */
import { startDevEnvironment } from '../../dev/dev-environment.js';
import { parsePort, untilStopSignal, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';

interface DevFlags {
  port: number;
  emulatorPort: number;
  host: string;
  dataDir: string;
  module?: string[];
}

/** Commander calls this once per `--module`, so the flag may be repeated. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export const devCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    program
      .command('dev')
      .description(say('cli.help.dev.description'))
      .option('--port <port>', say('cli.help.dev.option.port'), parsePort, 7800)
      .option('--emulator-port <port>', say('cli.help.dev.option.emulatorPort'), parsePort, 7700)
      .option('--host <host>', say('cli.help.shared.option.host'), '127.0.0.1')
      .option('--data-dir <dir>', say('cli.help.dev.option.dataDir'), '.data')
      .option('--module <file>', say('cli.help.dev.option.module'), collect)
      .action(async (flags: DevFlags) => {
        const dev = await startDevEnvironment({
          port: flags.port,
          emulatorPort: flags.emulatorPort,
          host: flags.host,
          dataDir: flags.dataDir,
          ...(flags.module ? { modulePaths: flags.module } : {}),
        });
        const codes = dev.modules.map(({ definition }) => `"${definition.integrationCode}"`);
        io.out(`The CRM emulator and the module${codes.length > 1 ? 's' : ''} ${codes.join(', ')} are running.`);
        io.out('');
        io.out(`  1. Open the Marketplace:   ${dev.marketplaceUrl}`);
        io.out(`  2. Click Connect on ${codes.length > 1 ? 'a' : 'the'} module card; the account address is filled in for you.`);
        // Printed on purpose: development keys of the local emulator, for pasting into the form.
        io.out(`  3. Paste this API key:     ${dev.apiKey}`);
        io.out(`     (to see the rights error, use ${dev.weakApiKey}, which lacks ${dev.weakKeyLacks})`);
        io.out(`  4. You land on the account's integration list: ${dev.accountUrl}/admin/integration/list`);
        io.out('');
        // Each line starts `module:   <url>`, the shape scripts and tests read the first module's address from.
        const width = Math.max(...dev.modules.map(({ definition }) => definition.integrationCode.length));
        for (const { module, definition, dataDir } of dev.modules)
          io.out(`  module:   ${module.url}   ${definition.integrationCode.padEnd(width)}   data: ${dataDir}/`);
        io.out(`  API keys: ${dev.accountUrl}/admin/api-keys`);
        io.out('Press Ctrl-C to stop.');
        const signal = await untilStopSignal();
        io.out(`Stopping (${signal})…`);
        await dev.close();
      });
  },
};
