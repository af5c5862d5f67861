/**
 * Step 3 of the seed: the form where the person enters the account address, the API key and the settings.
 * The API key is never written back into the page.
 */
import { html } from '../../html/html.js';
import { translate } from '../../i18n/index.js';
import { localize, type AnyModuleDefinition } from '../../connect/module-definition.js';
import type { ConnectFailure } from '../../connect/failure.js';
import { layout, type PageContext } from './layout.js';
import { field, settingsFields } from './settings-fields.js';

export interface ConnectPageInput {
  readonly module: AnyModuleDefinition;
  readonly action: string;
  readonly csrfToken: string;
  readonly account: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly failure?: ConnectFailure;
}

export function connectPage(page: PageContext, input: ConnectPageInput): string {
  const { locale } = page;
  const { module, failure } = input;
  const name = localize(module.name, locale);
  const title = translate(locale, 'connect.title', { module: name });
  const fieldError = (key: string) => (failure?.field === key ? failure.message : undefined);
  const keyHelp = [
    failure ? translate(locale, 'connect.apiKey.reenter') : undefined,
    translate(locale, 'connect.apiKey.help', { scopes: module.scopes }),
  ].filter(Boolean).join(' ');
  const settings = settingsFields(module, input.settings, failure?.fieldErrors ?? {}, locale);

  return layout(page, title, html`
<header class="page"><img src="${module.logo}" alt=""><h1>${title}</h1></header>
<p>${translate(locale, 'connect.intro')}</p>
${failure ? html`<div class="alert error" role="alert"><strong>${translate(locale, 'form.errorSummary')}:</strong> ${failure.message}</div>` : ''}
<form method="post" action="${input.action}" novalidate>
<input type="hidden" name="_csrf" value="${input.csrfToken}">
<input type="hidden" name="lang" value="${locale}">
${field({
  name: 'account',
  label: translate(locale, 'connect.account.label'),
  help: translate(locale, 'connect.account.help'),
  error: fieldError('account'),
  control: (describedBy, invalid) => html`<input type="text" inputmode="url" id="account" name="account" value="${input.account}" required autocomplete="url" spellcheck="false"${describedBy ? html` aria-describedby="${describedBy}"` : ''}${invalid ? html` aria-invalid="true"` : ''}>`,
})}
${field({
  name: 'apiKey',
  label: translate(locale, 'connect.apiKey.label'),
  help: keyHelp,
  error: fieldError('apiKey'),
  control: (describedBy, invalid) => html`<input type="password" id="apiKey" name="apiKey" value="" required autocomplete="off" spellcheck="false"${describedBy ? html` aria-describedby="${describedBy}"` : ''}${invalid ? html` aria-invalid="true"` : ''}>`,
})}
${settings.length > 0 ? html`<fieldset><legend>${translate(locale, 'connect.settings')}</legend>${settings}</fieldset>` : ''}
<button type="submit">${translate(locale, 'connect.submit')}</button>
</form>`);
}
