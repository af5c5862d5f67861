/**
 * Lifecycle hooks a module may define, named after the seed's steps (STYLE R18).
 * @module
 */
import type { CrmClient } from '../crm/types.js';
import type { Locale } from '../i18n/index.js';
import type { Activity, CredentialsResponse, CrmSystemSettings } from '../protocol/index.js';
import type { Connection } from '../store/types.js';
import type { LocalizedText } from './module-definition.js';

/** A failed settings check: messages per field and/or one for the whole form. */
export interface SettingsRejection {
  readonly ok: false;
  readonly fieldErrors?: Readonly<Record<string, LocalizedText>>;
  readonly message?: LocalizedText;
}
export type SettingsCheck = { readonly ok: true } | SettingsRejection;

export interface ValidateSettingsContext<S> {
  readonly settings: S;
  /** A client for the account being connected, already checked (key works, rights present). */
  readonly crm: CrmClient;
  /** What `GET /api/credentials` answered for the key (scopes, sitesAvailable…). */
  readonly credentials: CredentialsResponse;
  readonly locale: Locale;
}

export interface ConnectedContext {
  /** The connection as committed; a first connection is still `pending` until the hook returned. */
  readonly connection: Connection;
  readonly crm: CrmClient;
  /**
   * True until the hook first returned for this connection (`connection.connectedAt` is `null`), whichever path
   * completes it: the connect flow, the reconciler, or saving the settings a simple connection lacked. False on
   * every later re-connect. At-least-once: a process killed after the hook returned and before that was recorded
   * runs it again with `true`.
   */
  readonly created: boolean;
}

export interface ActivityChangedContext {
  readonly connection: Connection;
  /** A client for the connection's account, opened on first use. */
  readonly crm: CrmClient;
  readonly previous: Activity;
  readonly activity: Activity;
}

export interface SettingsChangedContext<S> {
  readonly connection: Connection;
  /** A client for the connection's account, opened on first use. */
  readonly crm: CrmClient;
  readonly previous: S;
  readonly settings: S;
}

export interface CrmSettingsContext {
  /** The connection, with the merged settings already stored. */
  readonly connection: Connection;
  readonly crm: CrmClient;
  /** Everything the CRM has reported so far, merged (the callback may carry only some keys). */
  readonly settings: CrmSystemSettings;
  /** Only what this callback carried. */
  readonly changed: CrmSystemSettings;
  readonly previous: CrmSystemSettings;
}

export interface DisconnectedContext {
  readonly connection: Connection;
  /** A client for the account, opened on first use (the key may already be revoked). */
  readonly crm: CrmClient;
}

export interface ModuleHooks<S> {
  /** Step 4.3: check the module's own settings, possibly by asking the CRM. Return a rejection, don't throw. */
  validateSettings?(context: ValidateSettingsContext<S>): SettingsCheck | Promise<SettingsCheck>;
  /**
   * After the CRM accepted the registration. Throwing reports a connection error to the person and leaves the
   * connection `pending`, so the next attempt runs this hook again (make it idempotent).
   */
  onConnected?(context: ConnectedContext): void | Promise<void>;
  /** After the CRM switched the module on/off or froze/unfroze it, and the store was updated. */
  onActivityChanged?(context: ActivityChangedContext): void | Promise<void>;
  /** After the person saved new settings on the settings page. */
  onSettingsChanged?(context: SettingsChangedContext<S>): void | Promise<void>;
  /** After the person disconnected the module on its settings page. */
  onDisconnected?(context: DisconnectedContext): void | Promise<void>;
  /** After the CRM reported the account's system settings (the `settings` callback) and they were stored. */
  onCrmSettings?(context: CrmSettingsContext): void | Promise<void>;
}
