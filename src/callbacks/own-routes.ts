/**
 * A module's own routes inside the kit's scope, for what no declaration covers (a "Sync now" button, a page of
 * its own, an endpoint the CRM's JS extension calls): they get the kit's form parser and CSRF protection, the
 * connection lookup within the module and the settings page's session. And a slot on the settings page for the
 * module's own content.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import type { ConnectKit } from '../connect/kit.js';
import type { CrmClient } from '../crm/types.js';
import type { SafeHtml } from '../html/html.js';
import type { Locale } from '../i18n/index.js';
import type { Connection } from '../store/types.js';

export interface ModuleRouteTools {
  readonly kit: ConnectKit;
  /**
   * The connection of the settings page's session: set when the CRM opened the module's page for this person.
   * `undefined` when there is none (answer 401 or send them back to the CRM).
   */
  sessionConnection(request: FastifyRequest): Promise<Connection | undefined>;
  /** This module's connection with this clientId (never another module's sharing the store). */
  connectionByClientId(clientId: string): Promise<Connection | undefined>;
  /** A client for the connection's account. */
  crmOf(connection: Connection): CrmClient;
  /** Checks the `_csrf` field of a form post; the settings-page section's forms carry it (`csrfField`). */
  readonly csrfProtection: preValidationHookHandler;
  /** The full path of `path` under the module's base path: for links and form actions. */
  at(path: string): string;
  /** Sends the person back to the settings page (303), with an optional notice text shown there once. */
  backToSettings(reply: FastifyReply, locale?: Locale): FastifyReply;
}

/** Registers the module's own routes; called once, inside the kit's Fastify scope. */
export type ModuleRoutes = (app: FastifyInstance, tools: ModuleRouteTools) => void | Promise<void>;

export interface SettingsSectionContext {
  readonly connection: Connection;
  readonly crm: CrmClient;
  readonly locale: Locale;
  /** A hidden `_csrf` input (and the page's language) for forms posting to the module's own routes. */
  readonly csrfField: SafeHtml;
  /** The full path of one of the module's own routes. */
  at(path: string): string;
}

/**
 * The module's content on its settings page, under the kit's own sections. Build it with the `html` template
 * tag (values are escaped); a plain string is shown as text.
 */
export type SettingsSection = (context: SettingsSectionContext) => SafeHtml | string | Promise<SafeHtml | string>;
