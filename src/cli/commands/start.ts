/**
 * `retailcrm-module-kit start`: runs a module in production mode, configured from the environment. Refuses to
 * start without a keyring (`MODULE_SECRET_KEYS`); local account addresses are never allowed here.
 * @module
 */
import { loadModuleFile, serveModuleFileAssets } from '../../dev/module-file.js';
import { ErrorCode } from '../../errors.js';
import { startModule } from '../../host/start-module.js';
import { limiterFromEnv } from '../limiter-from-env.js';
import { loadKeyring } from '../../store/keyring.js';
import { observabilityFromEnv } from '../../observability/from-env.js';
import { CliFailure, parsePort, untilStopSignal, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';

interface StartFlags {
  module: string;
  port?: number;
  host?: string;
}

const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export const startCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    program
      .command('start')
      .description(say('cli.help.start.description'))
      .requiredOption('--module <file>', say('cli.help.start.option.module'))
      .option('--port <port>', say('cli.help.start.option.port'), parsePort)
      .option('--host <host>', say('cli.help.start.option.host'))
      .action(async (flags: StartFlags) => {
        const baseUrl = process.env.MODULE_BASE_URL;
        if (!baseUrl) throw new CliFailure('cli.baseUrlMissing', {}, ErrorCode.ConfigInvalid);
        // Production whatever NODE_ENV says: the keyring is required and local addresses are refused.
        process.env.NODE_ENV = 'production';
        const keyring = loadKeyring({ production: true }).keyring;
        const file = await loadModuleFile(flags.module);
        const limiter = limiterFromEnv();
        const running = await startModule({
          module: file.createModule(baseUrl),
          production: true,
          keyring,
          databaseUrl: process.env.DATABASE_URL,
          port: flags.port ?? (process.env.PORT ? parsePort(process.env.PORT) : 8080),
          host: flags.host ?? process.env.HOST ?? '0.0.0.0',
          accountUrlPolicy: { boxHosts: list(process.env.CRM_BOX_HOSTS) },
          configure: (app) => serveModuleFileAssets(app, file),
          observability: observabilityFromEnv(process.env),
          ...(limiter.rateLimiter ? { rateLimiter: limiter.rateLimiter } : {}),
        });
        io.out(`Module listening on ${running.url}, public address ${baseUrl}`);
        const signal = await untilStopSignal();
        io.out(`Stopping (${signal})…`);
        await running.close();
        limiter.close();
      });
  },
};
