/**
 * `retailcrm-module-kit migrate`: brings the connection store's tables to the latest version (also done at start-up
 * unless turned off). Needs no keyring: migrations never touch sealed values.
 * @module
 */
import { migrateToLatest } from '../../store/migrate.js';
import { openStoreDatabase } from '../../store/open-connection-store.js';
import type { CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';
import type { StoreFlags } from '../store-from-env.js';

export const migrateCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    program
      .command('migrate')
      .description(say('cli.help.migrate.description'))
      .option('--database <url>', say('cli.help.shared.option.database'))
      .option('--data-dir <dir>', say('cli.help.migrate.option.dataDir'), '.data')
      .action(async (flags: StoreFlags) => {
        const databaseUrl = flags.database ?? process.env.DATABASE_URL;
        const { db, dialect } = await openStoreDatabase({ dataDir: flags.dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
        try {
          const { results = [] } = await migrateToLatest(db);
          if (results.length === 0) io.out(`The ${dialect} store is up to date.`);
          for (const result of results) io.out(`${result.status === 'Success' ? 'applied' : result.status}: ${result.migrationName}`);
        } finally {
          await db.destroy();
        }
      });
  },
};
