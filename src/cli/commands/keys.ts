/**
 * `retailcrm-module-kit keys generate|rotate`: keyring entries for `MODULE_SECRET_KEYS`, and re-sealing every stored
 * connection with the keyring's newest (last) key, online.
 * @see docs/store.md ("Rotating keys")
 * @module
 */
import { generateKeyEntry, KEYRING_ENV, loadKeyring } from '../../store/keyring.js';
import { openConnectionStore } from '../../store/open-connection-store.js';
import { rotateKeys } from '../../store/rotate-keys.js';
import { ErrorCode, KeyringInvalidError } from '../../errors.js';
import { CliFailure, CliUsageError, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';
import { explainMissingTables, isProduction, type StoreFlags } from '../store-from-env.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliUsageError('cli.notPositive', { flag: name, value });
    return n;
  };
}

export const keysCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    const group = program.command('keys').description(say('cli.help.keys.description', { env: KEYRING_ENV }));

    group
      .command('generate')
      .description(say('cli.help.keys.generate.description', { env: KEYRING_ENV }))
      .option('--id <id>', say('cli.help.keys.generate.option.id'))
      .action((flags: { id?: string }) => {
        let entry: string;
        try {
          entry = generateKeyEntry(flags.id);
        } catch (error) {
          // The keyring's own message says to fix MODULE_SECRET_KEYS, which this command has not read.
          if (error instanceof KeyringInvalidError && flags.id !== undefined) throw new CliFailure('cli.keyIdInvalid', { value: flags.id }, ErrorCode.KeyringInvalid);
          throw error;
        }
        // Printing the key is the purpose of this command; nothing else in the kit ever prints key material.
        io.out(entry);
      });

    group
      .command('rotate')
      .description(say('cli.help.keys.rotate.description', { env: KEYRING_ENV }))
      .option('--database <url>', say('cli.help.shared.option.database'))
      .option('--data-dir <dir>', say('cli.help.shared.option.dataDir'), '.data')
      .option('--batch-size <n>', say('cli.help.keys.rotate.option.batchSize'), positiveInt('--batch-size'), 500)
      .action(async (flags: StoreFlags & { batchSize: number }) => {
        const { keyring } = loadKeyring({ production: isProduction(), dataDir: flags.dataDir });
        const databaseUrl = flags.database ?? process.env.DATABASE_URL;
        const store = await openConnectionStore({ keyring, dataDir: flags.dataDir, migrate: false, ...(databaseUrl ? { databaseUrl } : {}) });
        try {
          io.out(`Sealing with key "${keyring.sealingKeyId}" (keyring: ${keyring.ids.join(', ')}).`);
          const result = await explainMissingTables(() =>
            rotateKeys(store, keyring, {
              batchSize: flags.batchSize,
              onProgress: (p) => io.out(`  … ${p.scanned} examined, ${p.resealed} re-sealed`),
            }),
          );
          io.out(`Re-sealed ${result.resealed} of ${result.scanned} connections; ${result.current} now sealed by "${result.sealingKeyId}".`);
          if (result.skipped > 0) io.out(`${result.skipped} changed while rotating: run "keys rotate" again.`);
          if (result.failed.length > 0) {
            const ids = `${result.failed.slice(0, 10).join(', ')}${result.failed.length > 10 ? ', …' : ''}`;
            throw new CliFailure('cli.rotateUnopened', { count: result.failed.length, ids });
          }
          if (result.skipped === 0) io.out('Every connection is sealed by the newest key; older keys can be retired once every instance runs with this keyring.');
        } finally {
          await store.close();
        }
      });
  },
};
