/**
 * Opening the connection store from the command line: `--database` or `DATABASE_URL`, the keyring from
 * `MODULE_SECRET_KEYS` (or the development keyring under `--data-dir` outside production).
 */
import { loadKeyring } from '../store/keyring.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import type { ConnectionStore } from '../store/types.js';

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
