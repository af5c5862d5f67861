/**
 * Opening the connection store from the command line: `--database` or `DATABASE_URL`, the keyring from
 * `MODULE_SECRET_KEYS` (or the development keyring under `--data-dir` outside production).
 */
import { loadKeyring } from '../store/keyring.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import type { ConnectionStore } from '../store/types.js';
import { CliFailure, type CliMessageKey } from './cli-command.js';

export interface StoreFlags {
  database?: string;
  dataDir: string;
}

export const isProduction = (): boolean => process.env.NODE_ENV === 'production';

export async function openStoreFromFlags(flags: StoreFlags, options: { migrate?: boolean } = {}): Promise<ConnectionStore> {
  const { keyring } = loadKeyring({ production: isProduction(), dataDir: flags.dataDir });
  return openConnectionStore({
    keyring,
    databaseUrl: flags.database ?? process.env.DATABASE_URL,
    dataDir: flags.dataDir,
    migrate: options.migrate ?? true,
  });
}

/** SQLite's and PostgreSQL's words for a table of the kit's that was never created. */
const MISSING_TABLE = /no such table: rcmk_|relation "rcmk_\w+" does not exist/i;

/**
 * Runs `work` on a store that may never have been migrated (these commands do not migrate it), turning the
 * database's raw "no such table" into what to do.
 */
export async function explainMissingTables<T>(work: () => Promise<T>, key: CliMessageKey = 'cli.storeTablesMissing'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error && MISSING_TABLE.test(error.message)) throw new CliFailure(key);
    throw error;
  }
}
