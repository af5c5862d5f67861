/**
 * The page the CRM opens for a connected module (its registered accountUrl): state, settings, API key, events.
 */
import { html, type SafeHtml } from '../../html/html.js';
import { type MessageKey, translate } from '../../i18n/index.js';
import { localize, type AnyModuleDefinition, type SettingOption } from '../../connect/module-definition.js';
import type { ConnectFailure } from '../../connect/failure.js';
import { defaultRedirectAfterConnect } from '../../connect/registration.js';
import { settingsComplete } from '../../connect/required-settings.js';
import type { Connection, ConnectionEvent } from '../../store/types.js';
import { layout, type PageContext } from './layout.js';
import { aria, field, settingsFields } from './settings-fields.js';

export type SettingsNotice = 'saved' | 'keySaved' | 'disconnected';

export interface SettingsPageInput {
  readonly module: AnyModuleDefinition;
  readonly connection: Connection;
  readonly events: readonly ConnectionEvent[];
  readonly csrfToken: string;
  readonly actions: { readonly settings: string; readonly apiKey: string; readonly disconnect: string };
  /** Values to show in the settings form (the stored ones, or what the person just submitted). */
  readonly settingsValues: Readonly<Record<string, unknown>>;
  readonly notice?: SettingsNotice;
  /** The module's own section (`settingsSection`), shown after the connection's facts. */
  readonly moduleSection?: SafeHtml | string;
  /** Which form failed, and how. */
  readonly failure?: { readonly form: 'settings' | 'apiKey' | 'disconnect'; readonly failure: ConnectFailure };
  /** Rendered recent activity (a sparkline), shown under the connection's details when observability is on. */
  readonly recentActivity?: SafeHtml;
  /** Extra sections from the host's `settingsPanels` (job status, fleet health), shown above the events. */
  readonly panels?: readonly SafeHtml[];
  /** Choices read from the account for settings with a loader (see `SettingField.options`). */
  readonly loadedOptions?: Readonly<Record<string, readonly SettingOption[]>>;
}

/**
 * Where a disconnected module is connected again: the CRM's integration list, where its Marketplace lives
 * (docs/protocol-decisions.md, M18).
 */
function marketplaceUrl(connection: Pick<Connection, 'accountUrl'>): string {
  return defaultRedirectAfterConnect(connection);
}

const NOTICE_KEY: Record<SettingsNotice, MessageKey> = {
  saved: 'settings.saved',
  keySaved: 'settings.keySaved',
  disconnected: 'settings.disconnected',
};

export function settingsPage(page: PageContext, input: SettingsPageInput): string {
  const { locale } = page;
  const { module, connection, failure } = input;
  const title = translate(locale, 'settings.title', { module: localize(module.name, locale) });
  const alertFor = (form: 'settings' | 'apiKey' | 'disconnect') =>
    failure?.form === form ? html`<div class="alert error" role="alert">${failure.failure.message}</div>` : '';
  const csrf = html`<input type="hidden" name="_csrf" value="${input.csrfToken}"><input type="hidden" name="lang" value="${locale}">`;
  const settingsErrors = failure?.form === 'settings' ? failure.failure.fieldErrors : {};
  const settings = settingsFields(module, input.settingsValues, settingsErrors, locale, {
    loadedOptions: input.loadedOptions,
    focus: Object.keys(settingsErrors)[0],
  });
  const disconnected = connection.state === 'disconnected';
  const withSettingsForm = settings.length > 0 && !disconnected;
  // With a settings form, the key field and its button belong to it (the `form` attribute): a key change then
  // carries the person's unsaved settings, and the page comes back with them rather than losing them.
  const owner = withSettingsForm ? html` form="settings-form"` : '';
  const keyField = field({
    name: 'apiKey',
    label: translate(locale, 'settings.newKey'),
    help: translate(locale, 'connect.apiKey.help', { scopes: module.scopes }),
    error: failure?.form === 'apiKey' && failure.failure.field === 'apiKey' ? failure.failure.message : undefined,
    control: (describedBy, invalid) => html`<input type="password" id="apiKey" name="apiKey" value="" autocomplete="off"${owner}${aria(describedBy, invalid, invalid)}>`,
  });
  const keyButton = withSettingsForm
    ? html`<button type="submit" form="settings-form" formaction="${input.actions.apiKey}">${translate(locale, 'settings.saveKey')}</button>`
    : html`<button type="submit">${translate(locale, 'settings.saveKey')}</button>`;
  const keySection = html`<h2>${translate(locale, 'settings.changeKey')}</h2>
${alertFor('apiKey')}
${withSettingsForm ? html`<div class="key">${keyField}${keyButton}</div>` : html`<form method="post" action="${input.actions.apiKey}" novalidate>${csrf}${keyField}${keyButton}</form>`}`;

  // The newest address event: a claim the account did not confirm is worth telling the person (item 6, issue 14).
  const addressEvent = input.events.find((e) => e.type === 'account_url_claimed' || e.type === 'account_url_changed');
  const claim = addressEvent?.type === 'account_url_claimed' && typeof addressEvent.details.to === 'string' ? addressEvent.details.to : undefined;

  return layout(page, title, html`
<header class="page"><img src="${module.logo}" alt=""><h1>${title}</h1></header>
${claim ? html`<p class="alert" role="status" data-account-claim>${translate(locale, 'settings.accountClaim', { to: claim, account: connection.accountUrl })}</p>` : ''}
${input.notice ? html`<p class="alert ok" role="status">${translate(locale, NOTICE_KEY[input.notice])}</p>` : ''}
${connection.state === 'pending' && !settingsComplete(module, connection.settings) ? html`<p class="alert" role="status" data-incomplete>${translate(locale, 'settings.incomplete')}</p>` : ''}
<dl>
<dt>${translate(locale, 'settings.account')}</dt><dd>${connection.accountUrl}</dd>
<dt>${translate(locale, 'settings.state')}</dt><dd><span class="state state-${connection.state}" data-state="${connection.state}">${translate(locale, `state.${connection.state}`)}</span></dd>
<dt>${translate(locale, 'settings.apiVersion')}</dt><dd>${connection.apiVersion ?? '—'}</dd>
</dl>
${disconnected
  ? html`<p class="alert" role="status">${translate(locale, 'settings.disconnectedHelp')}</p>
<p><a class="button" href="${marketplaceUrl(connection)}">${translate(locale, 'settings.connectAgain')}</a></p>`
  : html`<p><a href="${defaultRedirectAfterConnect(connection)}">${translate(locale, 'settings.openCrm')}</a></p>`}
${!disconnected && input.moduleSection ? html`<section class="module-section" data-module-section>${input.moduleSection}</section>` : ''}
${input.recentActivity}
${withSettingsForm ? html`<h2>${translate(locale, 'connect.settings')}</h2>
${alertFor('settings')}
<form method="post" action="${input.actions.settings}" id="settings-form" novalidate>${csrf}${settings}
<button type="submit">${translate(locale, 'settings.saveSettings')}</button></form>` : ''}
${disconnected ? '' : keySection}
${connection.state !== 'disconnected' ? html`<h2>${translate(locale, 'settings.disconnectHeading')}</h2>
${alertFor('disconnect')}
<p class="help">${translate(locale, 'settings.disconnectHelp')}</p>
<form method="post" action="${input.actions.disconnect}">${csrf}<button type="submit" class="danger">${translate(locale, 'settings.disconnect')}</button></form>` : ''}
${input.panels ?? ''}
<h2>${translate(locale, 'settings.events')}</h2>
${input.events.length === 0 ? html`<p>${translate(locale, 'settings.noEvents')}</p>` : html`<ol class="events">${input.events.map(
    (event) => html`<li><time datetime="${event.at.toISOString()}">${event.at.toISOString().replace('T', ' ').slice(0, 19)}</time>${translate(locale, `event.${event.type}`)}</li>`,
  )}</ol>`}`);
}
