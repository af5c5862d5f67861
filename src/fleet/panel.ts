/**
 * The settings-page notice for a connection fleet health marked (`removed`, `key_revoked`, `degraded`); nothing
 * when it is healthy or was never checked.
 * @module
 */
import type { Kysely } from 'kysely';
import { html, type SafeHtml } from '../html/html.js';
import type { Locale } from '../i18n/index.js';
import type { Connection } from '../store/types.js';
import { FleetStore } from './fleet-store.js';
import { fleetText } from './messages.js';

export function fleetPanel(db: Kysely<any>) {
  const fleet = new FleetStore(db);
  return async (connection: Connection, locale: Locale): Promise<SafeHtml> => {
    const row = await fleet.get(connection.id);
    if (!row || row.health === 'ok') return html``;
    const t = fleetText(locale);
    const health = row.health as 'removed' | 'key_revoked' | 'degraded';
    return html`<h2>${t.heading}</h2><p class="alert error" role="alert" data-health="${health}">${t[health]}</p>`;
  };
}
