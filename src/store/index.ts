/**
 * The connection store: contract, Kysely implementation (SQLite / PostgreSQL), keyring, sealing, rotation.
 * Drivers load lazily: importing this module loads neither better-sqlite3 nor pg.
 * @see docs/store.md
 * @module
 */
export type {
  Connection,
  ConnectionEvent,
  ConnectionEventType,
  ConnectionPatch,
  ConnectionState,
  ConnectionStore,
  ConnectInput,
  ConnectDraft,
  NewConnectDraft,
  NewEvent,
  StagedRegistration,
  StageInput,
} from './types.js';
export { KyselyConnectionStore, classifyStoreError, type KyselyConnectionStoreOptions, type StoreDialect } from './kysely-connection-store.js';
export {
  openConnectionStore,
  openStoreDatabase,
  resolveStoreTarget,
  type OpenConnectionStoreOptions,
  type StoreDatabaseOptions,
  type StoreTarget,
} from './open-connection-store.js';
export { migrateToLatest, storeMigrations } from './migrate.js';
export {
  KEYRING_ENV,
  generateKeyEntry,
  keyringFromKeys,
  loadKeyring,
  parseKeyring,
  type Keyring,
  type LoadKeyringOptions,
  type LoadedKeyring,
} from './keyring.js';
export { createSealer, type SealedField, type Sealer } from './seal.js';
export { rotateKeys, type RotateKeysOptions, type RotateKeysResult } from './rotate-keys.js';
export type { StoreDatabase } from './schema.js';
