/**
 * The way into the settings page (issue 14, item 4): who may open a connection's settings in a browser.
 *
 * The CRM opens the page with a cross-site top-level form POST carrying the clientId (PROTOCOL §18); that POST
 * cannot carry our CSRF token, so whoever knows a clientId could log a person's browser into that connection
 * (login CSRF: the person then types their own key into a stranger's connection). The entry therefore trusts the
 * browser's `Origin`:
 * - the connection's own account (its stored URL, or a URL the account's `system-info` reports) → the session opens;
 * - another site, another CRM tenant included → 403;
 * - no `Origin`, `null` (a sandboxed frame, a privacy setting) or the module's own → a confirmation page naming the
 *   account ("Open the settings of {account}?") whose button is a same-origin POST with a CSRF token and a signed,
 *   short-lived entry token for that connection. The person sees whose settings they are about to open.
 * No GET opens a session: `?clientId=` and the simple connection's `?ticket=` also lead to the confirmation page.
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConnectKit } from '../connect/kit.js';
import type { AccountUrl } from '../crm/types.js';
import { html } from '../html/html.js';
import { translate } from '../i18n/index.js';
import { localize } from '../connect/module-definition.js';
import type { Connection } from '../store/types.js';
import { layout, type PageContext } from './pages/layout.js';

/** How long the confirmation page's button works. */
export const ENTRY_TTL_MS = 10 * 60 * 1000;

export type EntryVerdict = 'open' | 'confirm' | 'refuse';

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** What to do with a clientId POSTed from `origin` (the `Origin` header, if any). */
export async function judgeEntry(
  kit: ConnectKit,
  connection: Connection,
  origin: string | undefined,
  moduleOrigin: string,
  log: { warn(object: Record<string, unknown>, message: string): void },
): Promise<EntryVerdict> {
  if (!origin || origin === 'null' || origin === moduleOrigin) return 'confirm';
  const normalized = originOf(origin);
  if (!normalized) return 'refuse';
  if (normalized === originOf(connection.accountUrl)) return 'open';
  // Another CRM address may still be this account (its public URL differs from the technical one the module
  // stored): only the account itself can say so. Anything else is not this connection's CRM.
  if (!kit.checkAccountUrl(normalized).ok) return 'refuse';
  try {
    const info = await kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey).systemInfo();
    if ([info.publicUrl, info.technicalUrl].some((url) => originOf(url) === normalized)) return 'open';
  } catch (error) {
    log.warn({ err: error, connectionId: connection.id }, 'settings entry: system-info did not answer; origin not confirmed');
  }
  return 'refuse';
}

/** A signed entry token for the confirmation page's button: this connection, until `ENTRY_TTL_MS` from now. */
export function entryToken(reply: FastifyReply, connectionId: string, now = Date.now()): string {
  return reply.signCookie(`entry|${connectionId}|${now + ENTRY_TTL_MS}`);
}

/** The connection id of a valid, unexpired entry token, or `undefined`. */
export function readEntryToken(request: FastifyRequest, token: string | undefined, now = Date.now()): string | undefined {
  if (!token || token.length > 512) return undefined;
  const unsigned = request.unsignCookie(token);
  if (!unsigned.valid || !unsigned.value) return undefined;
  const [kind, connectionId, expires] = unsigned.value.split('|');
  if (kind !== 'entry' || !connectionId || !(Number(expires) > now)) return undefined;
  return connectionId;
}

export interface ConfirmPageInput {
  readonly kit: ConnectKit;
  readonly connection: Connection;
  readonly action: string;
  readonly csrfToken: string;
  readonly entry: string;
  /** A language the person chose explicitly (`?lang=`), carried to the settings page. */
  readonly lang?: string | undefined;
}

/** "Open the settings of {account}?": one button, a same-origin POST. No data of the connection but its address. */
export function confirmEntryPage(page: PageContext, input: ConfirmPageInput): string {
  const { locale } = page;
  const account = input.connection.accountUrl;
  const module = localize(input.kit.module.name, locale);
  const title = translate(locale, 'entry.title', { account });
  return layout(page, title, html`
<header class="page"><img src="${input.kit.module.logo}" alt=""><h1>${title}</h1></header>
<p>${translate(locale, 'entry.help', { account, module })}</p>
<form method="post" action="${input.action}"><input type="hidden" name="_csrf" value="${input.csrfToken}"><input type="hidden" name="entry" value="${input.entry}">${input.lang ? html`<input type="hidden" name="lang" value="${locale}">` : ''}
<button type="submit" data-entry-confirm>${translate(locale, 'entry.open')}</button></form>`);
}
