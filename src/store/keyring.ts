/**
 * The keyring: named 32-byte keys that seal API keys and clientIds at rest.
 *
 * Text form (`MODULE_SECRET_KEYS`): `id1:base64key,id2:base64key`. Every key opens; the **last** entry seals.
 * Order, not the id, decides which key seals, so ids may be any label (`k2026a`, `prod-2`…).
 * @see docs/store.md
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { KeyringInvalidError, KeyringMissingError } from '../errors.js';

/** Name of the environment variable holding the keyring text. */
export const KEYRING_ENV = 'MODULE_SECRET_KEYS';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;

/** A parsed, frozen keyring. Printing it (console.log, JSON, pino) shows key ids only, never key bytes. */
export interface Keyring {
  /** Key ids in keyring order; the last one seals. */
  readonly ids: readonly string[];
  /** The id of the key that seals new values. */
  readonly sealingKeyId: string;
  /** The raw key for `id`, or `undefined`. Key bytes never leave this object except through this call. */
  key(id: string): Buffer | undefined;
}

class FrozenKeyring implements Keyring {
  readonly ids: readonly string[];
  readonly sealingKeyId: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(entries: readonly (readonly [string, Buffer])[]) {
    this.#keys = new Map(entries.map(([id, key]) => [id, Buffer.from(key)]));
    this.ids = Object.freeze(entries.map(([id]) => id));
    this.sealingKeyId = this.ids[this.ids.length - 1] as string;
    Object.freeze(this);
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { ids: readonly string[]; sealingKeyId: string } {
    return { ids: this.ids, sealingKeyId: this.sealingKeyId };
  }

  [inspect.custom](): string {
    return `Keyring { ids: [${this.ids.join(', ')}], sealingKeyId: ${this.sealingKeyId} }`;
  }
}

function decodeKey(text: string): Buffer | undefined {
  const normalized = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]+$/.test(normalized)) return undefined;
  const bytes = Buffer.from(normalized, 'base64');
  // Round-trip check: Buffer.from silently drops stray characters; a typo must not yield a different key.
  if (bytes.toString('base64').replace(/=+$/, '') !== normalized) return undefined;
  return bytes;
}

/**
 * Parses keyring text (`id:base64key,…`; commas, spaces or newlines separate entries).
 * Throws `KeyringInvalidError` naming the entry at fault (by position and id, never by key text).
 * @example
 * const keyring = parseKeyring(process.env.MODULE_SECRET_KEYS ?? '');
 */
export function parseKeyring(text: string): Keyring {
  const parts = text.split(/[\s,]+/).filter((part) => part.length > 0);
  if (parts.length === 0) throw new KeyringInvalidError('no keys given; expected "id:base64key[,id2:base64key]"');
  const entries: [string, Buffer][] = [];
  const seen = new Set<string>();
  parts.forEach((part, index) => {
    const where = `entry ${index + 1}`;
    const colon = part.indexOf(':');
    if (colon < 0) throw new KeyringInvalidError(`${where} has no "id:" prefix; expected "id:base64key"`);
    const id = part.slice(0, colon);
    if (!KEY_ID.test(id)) throw new KeyringInvalidError(`${where}: key id must be 1-32 characters of A-Z a-z 0-9 _ -`);
    if (seen.has(id)) throw new KeyringInvalidError(`key id "${id}" appears twice`);
    seen.add(id);
    const key = decodeKey(part.slice(colon + 1));
    if (!key) throw new KeyringInvalidError(`key "${id}" is not valid base64`);
    if (key.length !== KEY_BYTES) throw new KeyringInvalidError(`key "${id}" is ${key.length} bytes; it must be exactly ${KEY_BYTES}`);
    entries.push([id, key]);
  });
  return new FrozenKeyring(entries);
}

/** Builds a keyring from ids and raw keys (tests, programmatic use). Same checks as `parseKeyring`. */
export function keyringFromKeys(entries: readonly (readonly [string, Buffer])[]): Keyring {
  return parseKeyring(entries.map(([id, key]) => `${id}:${key.toString('base64')}`).join(','));
}

/** A fresh keyring entry `id:base64key` with 32 random bytes; id defaults to `k` + UTC date and time. */
export function generateKeyEntry(id?: string): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const keyId = id ?? `k${stamp}`;
  if (!KEY_ID.test(keyId)) throw new KeyringInvalidError('key id must be 1-32 characters of A-Z a-z 0-9 _ -');
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

export interface LoadKeyringOptions {
  /** In production a missing `MODULE_SECRET_KEYS` is an error; otherwise a development keyring is used. */
  readonly production: boolean;
  /** Where the development keyring lives (`<dataDir>/keyring`). Default `.data`. */
  readonly dataDir?: string;
  /** Environment to read; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadedKeyring {
  readonly keyring: Keyring;
  /** `env`: from MODULE_SECRET_KEYS; `file`: the development keyring was reused; `generated`: it was just created. */
  readonly source: 'env' | 'file' | 'generated';
  /** The development keyring file, when one was used. */
  readonly path?: string;
}

/**
 * Loads the keyring: `MODULE_SECRET_KEYS` when set; in production its absence throws `KeyringMissingError`;
 * in development a keyring is generated once into `<dataDir>/keyring` (mode 0600) and reused afterwards.
 */
export function loadKeyring(options: LoadKeyringOptions): LoadedKeyring {
  const env = options.env ?? process.env;
  const text = env[KEYRING_ENV];
  if (text !== undefined && text.trim() !== '') return { keyring: parseKeyring(text), source: 'env' };
  if (options.production) {
    throw new KeyringMissingError(
      `${KEYRING_ENV} is not set. Generate a key with "retailcrm-module-kit keys generate" and set ${KEYRING_ENV}=<id>:<base64key>.`,
    );
  }
  const dataDir = options.dataDir ?? '.data';
  const path = join(dataDir, 'keyring');
  if (existsSync(path)) return { keyring: parseKeyring(readFileSync(path, 'utf8')), source: 'file', path };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // `wx` fails if another process created the file meanwhile; then read theirs, so both share one keyring.
  try {
    writeFileSync(path, `${generateKeyEntry('dev')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { keyring: parseKeyring(readFileSync(path, 'utf8')), source: 'file', path };
  }
  chmodSync(path, 0o600);
  return { keyring: parseKeyring(readFileSync(path, 'utf8')), source: 'generated', path };
}
