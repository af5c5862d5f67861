/**
 * API keys of emulated accounts: generation, masking, and the rights check every API method runs.
 * @see ../../../shared/PROTOCOL.md §2.2, §4, §18 (scopes)
 */
import { randomInt } from 'node:crypto';
import { credentialsForScopes, type SiteAccess } from '../protocol/index.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const API_KEY_LENGTH = 32;

/** 32 random alphanumeric characters, like the keys the CRM issues (length is not a rule, §2.2). */
export function generateApiKey(): string {
  let key = '';
  for (let i = 0; i < API_KEY_LENGTH; i++) key += ALPHABET[randomInt(ALPHABET.length)];
  return key;
}

/** What logs, the request journal and the admin list show instead of a key. */
export function maskApiKey(key: string | undefined): string | null {
  if (key === undefined || key === '') return null;
  return `${key.slice(0, 4)}…`;
}

export interface ApiKeyRecord {
  /** Internal id used in admin URLs, so the key itself never appears in a URL. */
  readonly id: string;
  readonly key: string;
  readonly scopes: readonly string[];
  /** Legacy paths given explicitly at creation (older accounts have only these). */
  readonly explicitCredentials: readonly string[];
  /** What `/api/credentials` reports: explicit paths plus those implied by the scopes (§18). */
  readonly credentials: readonly string[];
  readonly siteAccess: SiteAccess;
  readonly sitesAvailable: readonly string[];
  readonly createdAt: string;
  revoked: boolean;
}

export function makeApiKeyRecord(input: {
  id: string;
  scopes: readonly string[];
  credentials: readonly string[];
  siteAccess: SiteAccess;
  sitesAvailable: readonly string[];
}): ApiKeyRecord {
  const scopes = [...new Set(input.scopes)];
  const explicitCredentials = [...new Set(input.credentials)];
  return {
    id: input.id,
    key: generateApiKey(),
    scopes,
    explicitCredentials,
    credentials: [...new Set([...credentialsForScopes(scopes), ...explicitCredentials])],
    siteAccess: input.siteAccess,
    sitesAvailable: [...new Set(input.sitesAvailable)],
    createdAt: new Date().toISOString(),
    revoked: false,
  };
}

/**
 * A method's required right: a scope, or (older keys) its legacy credential path, which has no version segment.
 * `null` means any valid key may call it.
 */
export interface Right {
  readonly scope: string;
  readonly legacyPath: string;
}

export function keyHasRight(key: ApiKeyRecord, right: Right | null): boolean {
  if (right === null) return true;
  return key.scopes.includes(right.scope) || key.credentials.includes(right.legacyPath);
}
