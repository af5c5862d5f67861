/**
 * Sealing of secrets at rest (AES-256-GCM) and the keyed lookup hash of clientIds (HMAC-SHA256).
 *
 * Sealed format: `v1.<keyId>.<nonce, base64url>.<ciphertext+tag, base64url>`, with a random 12-byte nonce and, as
 * associated data, the format, key id, row id and field name, so a sealed value moved to another row or another
 * column (an API key pasted over a clientId) fails to open.
 *
 * Both the AES key and the HMAC key are derived from each keyring key with HKDF-SHA256 (distinct `info`), once, when
 * the sealer is made. The lookup hash of a row uses the key that sealed the row (`key_id`), and re-sealing re-hashes,
 * so a lookup computes one hash per keyring key (usually one or two) and the row stays findable during and after
 * rotation.
 * @see docs/store.md
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SealBrokenError } from '../errors.js';
import { HitRate } from './hit-rate.js';
import type { Keyring } from './keyring.js';

/** The sealed columns. The name is bound into the ciphertext. */
export type SealedField = 'apiKey' | 'clientId' | 'stagedApiKey' | 'settings' | 'stagedSettings';

const FORMAT = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

interface DerivedKeys {
  readonly seal: Buffer;
  readonly lookup: Buffer;
}

export interface SealerOptions {
  /**
   * How many rows' opened secrets, and how many clientIds' lookup hashes, to keep in memory. A row's entry is used
   * only while its sealed text is unchanged (a sealed text opens to one plaintext only, so a hit is as good as
   * opening); it spares two AES-GCM opens and the HMACs per read of a hot connection. Default 0 (off): it keeps
   * plaintext API keys and clientIds in memory, and since the store opens secrets lazily the hot path gains little.
   */
  readonly openCacheSize?: number;
}

export interface Sealer {
  /** The key id new seals use (the keyring's last key). */
  readonly sealingKeyId: string;
  /** Every key id this sealer can open, sealing key first. */
  readonly keyIds: readonly string[];
  /** Seals `plaintext` for `field` of row `rowId` with the sealing key. */
  seal(plaintext: string, rowId: string, field: SealedField): string;
  /** Opens a sealed value; throws `SealBrokenError` (naming the key id and field, never the value) on any failure. */
  open(sealed: string, rowId: string, field: SealedField): string;
  /** The key id a sealed value names, or `undefined` when it is not in the sealed format. */
  keyIdOf(sealed: string): string | undefined;
  /** The lookup hash of a clientId under key `keyId` (default: the sealing key). */
  lookupHash(clientId: string, keyId?: string): string;
  /** The lookup hashes of a clientId under every key, sealing key first. */
  lookupHashes(clientId: string): string[];
}

function derive(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
}

function aad(keyId: string, rowId: string, field: SealedField): Buffer {
  return Buffer.from(`rcmk.${FORMAT}\0${keyId}\0${rowId}\0${field}`, 'utf8');
}

/** Makes a sealer over `keyring`; derived keys are computed here, once. */
export function createSealer(keyring: Keyring, options: SealerOptions = {}): Sealer {
  const cacheSize = Math.max(0, Math.floor(options.openCacheSize ?? 0));
  // Per field: row id → [sealed text, plaintext]. Keyed by the short row id, so a lookup builds no string.
  const opened: Record<SealedField, Map<string, readonly [string, string]>> = {
    apiKey: new Map(),
    clientId: new Map(),
    stagedApiKey: new Map(),
    settings: new Map(),
    stagedSettings: new Map(),
  };
  // clientId → its lookup hashes: the same clientId arrives with every callback of its account.
  const hashes = new Map<string, string[]>();
  // Admission: while most lookups hit, every miss is cached; when access is spread over far more connections than
  // fit (most lookups miss), only about 1 miss in 16 is, so the cache does not churn the heap for nothing.
  const rate = new HitRate(4096);
  const admit = (): boolean => rate.atLeast(0.5) || Math.random() < 1 / 16;
  const derived = new Map<string, DerivedKeys>();
  for (const id of keyring.ids) {
    const key = keyring.key(id);
    if (!key) continue;
    derived.set(id, { seal: derive(key, 'rcmk/seal/v1'), lookup: derive(key, 'rcmk/lookup/v1') });
  }
  const sealingKeyId = keyring.sealingKeyId;
  const keyIds = Object.freeze([sealingKeyId, ...keyring.ids.filter((id) => id !== sealingKeyId).reverse()]);
  const sealingKeys = derived.get(sealingKeyId) as DerivedKeys;

  function broken(message: string, field: SealedField, cause?: unknown): SealBrokenError {
    return new SealBrokenError(`Cannot open the sealed ${field}: ${message}`, cause === undefined ? undefined : { cause });
  }

  function remember(field: SealedField, rowId: string, sealed: string, plaintext: string): void {
    const map = opened[field];
    // Oldest-first eviction (a Map keeps insertion order): cheap, and enough to keep a hot set.
    if (map.size >= cacheSize && !map.has(rowId)) map.delete(map.keys().next().value as string);
    map.set(rowId, [sealed, plaintext]);
  }

  function openUncached(sealed: string, rowId: string, field: SealedField): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT) throw broken('not in the v1 sealed format', field);
    const [, keyId = '', nonceText = '', bodyText = ''] = parts;
    const keys = derived.get(keyId);
    if (!keys) throw broken(`key "${keyId}" is not in the keyring`, field);
    const nonce = Buffer.from(nonceText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw broken('truncated value', field);
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.seal, nonce);
      decipher.setAAD(aad(keyId, rowId, field));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw broken(`authentication failed with key "${keyId}" (altered, moved to another row, or wrong key)`, field, error);
    }
  }

  return Object.freeze({
    sealingKeyId,
    keyIds,
    seal(plaintext: string, rowId: string, field: SealedField): string {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealingKeys.seal, nonce);
      cipher.setAAD(aad(sealingKeyId, rowId, field));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      const sealed = `${FORMAT}.${sealingKeyId}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
      if (cacheSize > 0) remember(field, rowId, sealed, plaintext);
      return sealed;
    },
    open(sealed: string, rowId: string, field: SealedField): string {
      if (cacheSize === 0) return openUncached(sealed, rowId, field);
      const hit = opened[field].get(rowId);
      if (hit !== undefined && hit[0] === sealed) {
        rate.count(true);
        return hit[1];
      }
      rate.count(false);
      const plaintext = openUncached(sealed, rowId, field);
      if (admit()) remember(field, rowId, sealed, plaintext);
      return plaintext;
    },
    keyIdOf(sealed: string): string | undefined {
      const parts = sealed.split('.');
      return parts.length === 4 && parts[0] === FORMAT ? parts[1] : undefined;
    },
    lookupHash(clientId: string, keyId: string = sealingKeyId): string {
      const keys = derived.get(keyId);
      if (!keys) throw new SealBrokenError(`Cannot hash a clientId: key "${keyId}" is not in the keyring`);
      return createHmac('sha256', keys.lookup).update(clientId, 'utf8').digest('base64url');
    },
    lookupHashes(clientId: string): string[] {
      const hit = cacheSize > 0 ? hashes.get(clientId) : undefined;
      if (hit) return hit;
      const computed = keyIds.map((id) => createHmac('sha256', (derived.get(id) as DerivedKeys).lookup).update(clientId, 'utf8').digest('base64url'));
      if (cacheSize > 0 && admit()) {
        if (hashes.size >= cacheSize) hashes.delete(hashes.keys().next().value as string);
        hashes.set(clientId, Object.freeze(computed) as string[]);
      }
      return computed;
    },
  });
}

/** Constant-time string equality (for comparing an opened clientId with the one asked for). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
