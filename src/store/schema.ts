/**
 * Table types of the Kysely store. One schema for SQLite and PostgreSQL: booleans are integers 0/1, timestamps are
 * ISO-8601 UTC strings written by the application, JSON is text. Same column types on both dialects, so rows
 * read back identically (STACK pitfall 6).
 * @module
 */
import type { Generated } from 'kysely';

/** Table names carry an `rcmk_` prefix so the store can share a database with the module's own tables. */
export const CONNECTIONS_TABLE = 'rcmk_connections';
export const EVENTS_TABLE = 'rcmk_connection_events';
export const MIGRATION_TABLE = 'rcmk_migration';
export const MIGRATION_LOCK_TABLE = 'rcmk_migration_lock';

export interface ConnectionsTable {
  id: string;
  module_code: string;
  account_url: string;
  /** HMAC-SHA256 (base64url) of the clientId under the lookup key derived from `key_id`; unique. */
  client_id_hash: string;
  client_id_sealed: string;
  api_key_sealed: string;
  /** The keyring key that sealed both secrets and keyed the hash. */
  key_id: string;
  /** JSON text. */
  settings: string;
  state: string;
  active: number;
  freeze: number;
  api_version: string | null;
  /** JSON array text. */
  scopes: string;
  created_at: string;
  updated_at: string;
  version: number;
  /** JSON text (migration 003): the CRM's system settings as last reported; `{}` before the first report. */
  crm_settings?: string;
  /** Migration 004: first completion (ISO-8601); NULL until then. */
  connected_at: string | null;
  /** Migration 004: the staged registration (token, when, sealed key or NULL for "the live key", JSON texts). */
  stage_id: string | null;
  staged_at: string | null;
  staged_api_key_sealed: string | null;
  staged_settings: string | null;
  staged_api_version: string | null;
  staged_scopes: string | null;
  /** Migration 004: sessions issued at or before this instant are refused. */
  sessions_ended_at: string | null;
}

export interface ConnectionEventsTable {
  id: Generated<number>;
  connection_id: string;
  type: string;
  at: string;
  /** JSON text; never a secret. */
  details: string;
}

/** Single-use claims (migration 002): a keyed hash chosen by the caller, never a secret in plaintext. */
export interface ClaimsTable {
  claim: string;
  claimed_at: string;
  expires_at: string | null;
}

/** Connect drafts (migration 020): a checked API key, sealed, held for one browser session for a few minutes. */
export interface ConnectDraftsTable {
  id: string;
  /** A keyed hash of the browser session the draft belongs to; never the cookie itself. */
  binding_hash: string;
  account_url: string;
  api_key_sealed: string;
  /** Sealed JSON of secret settings typed with the key, or NULL. */
  secrets_sealed: string | null;
  created_at: string;
  expires_at: string;
}

export interface StoreDatabase {
  rcmk_connections: ConnectionsTable;
  rcmk_connection_events: ConnectionEventsTable;
  rcmk_claims: ClaimsTable;
  rcmk_connect_drafts: ConnectDraftsTable;
}
