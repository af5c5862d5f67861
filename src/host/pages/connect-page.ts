/**
 * Step 3 of the seed: the form where the person enters the account address, the API key and the settings.
 * The API key is never written back into the page: once checked it is held server-side in a draft (the page
 * carries only the draft's id), so the person does not type it again while fixing the rest of the form.
 */
import { html, type SafeHtml } from '../../html/html.js';
import { translate } from '../../i18n/index.js';
import { localize, type AnyModuleDefinition, type SettingOption } from '../../connect/module-definition.js';
import type { ConnectFailure } from '../../connect/failure.js';
import { layout, type PageContext } from './layout.js';
import { aria, field, settingsFields } from './settings-fields.js';

export interface ConnectPageInput {
  readonly module: AnyModuleDefinition;
  readonly action: string;
  readonly csrfToken: string;
  readonly account: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly failure?: ConnectFailure;
  /** The id of the draft holding the checked key (the key itself never reaches the page). */
  readonly draft?: string;
  /** Choices read from the account with the checked key, for settings with a loader. */
  readonly loadedOptions?: Readonly<Record<string, readonly SettingOption[]>>;
  /** The key passed and the settings from the account are shown for the first time: say so, blame nothing. */
  readonly chooseStep?: boolean;
  /** The field to focus when nothing is in error (the first choice loaded from the account). */
  readonly focus?: string;
}

export function connectPage(page: PageContext, input: ConnectPageInput): string {
  const { locale } = page;
  const { module, failure } = input;
  const name = localize(module.name, locale);
  const title = translate(locale, 'connect.title', { module: name });
  const fieldError = (key: string) => (failure?.field === key ? failure.message : undefined);
  const held = input.draft !== undefined;
  const keyHelp = [
    held ? translate(locale, 'connect.apiKey.held') : failure ? translate(locale, 'connect.apiKey.reenter') : undefined,
    translate(locale, 'connect.apiKey.help', { scopes: module.scopes }),
  ].filter(Boolean).join(' ');
  const settingErrors = failure?.fieldErrors ?? {};
  // The error summary links each problem to its field; the first field in error gets the focus (no script).
  const errors: { id: string; message: string }[] = [
    ...(['account', 'apiKey'] as const).flatMap((key) => (fieldError(key) ? [{ id: key, message: fieldError(key) as string }] : [])),
    ...Object.entries(settingErrors).filter(([key]) => key in (module.settings?.schema.shape ?? {})).map(([id, message]) => {
      // A module's own message may not name its field; the summary, read apart from the fields, must.
      const spec = module.settings?.fields[id];
      const label = spec ? localize(spec.label, locale) : id;
      return { id, message: message.includes(label) ? message : `${label}: ${message}` };
    }),
  ];
  const focus = errors[0]?.id ?? input.focus;
  const settings = settingsFields(module, input.settings, settingErrors, locale, { loadedOptions: input.loadedOptions, focus });
  const general = errors.some((error) => error.message === failure?.message) ? '' : failure?.message;
  const summary: SafeHtml | '' = failure
    ? html`<div class="alert error" role="alert"><strong>${translate(locale, 'form.errorSummary')}:</strong> ${general ?? ''}${errors.length > 0 ? html`<ul>${errors.map((error) => html`<li><a href="#${error.id}">${error.message}</a></li>`)}</ul>` : ''}</div>`
    : '';

  return layout(page, title, html`
<header class="page"><img src="${module.logo}" alt=""><h1>${title}</h1></header>
<p>${translate(locale, 'connect.intro')}</p>
${summary}
${input.chooseStep ? html`<p class="alert ok" role="status">${translate(locale, 'connect.chooseStep')}</p>` : ''}
<form method="post" action="${input.action}" novalidate>
<input type="hidden" name="_csrf" value="${input.csrfToken}">
<input type="hidden" name="lang" value="${locale}">
${held ? html`<input type="hidden" name="draft" value="${input.draft}">` : ''}
${field({
  name: 'account',
  label: translate(locale, 'connect.account.label'),
  help: translate(locale, 'connect.account.help'),
  error: fieldError('account'),
  control: (describedBy, invalid) => html`<input type="text" inputmode="url" id="account" name="account" value="${input.account}" required autocomplete="url" spellcheck="false"${aria(describedBy, invalid, focus === 'account')}>`,
})}
${field({
  name: 'apiKey',
  label: translate(locale, 'connect.apiKey.label'),
  help: keyHelp,
  error: fieldError('apiKey'),
  control: (describedBy, invalid) => html`<input type="password" id="apiKey" name="apiKey" value=""${held ? '' : html` required`} autocomplete="off" spellcheck="false"${aria(describedBy, invalid, focus === 'apiKey')}>`,
})}
${settings.length > 0 ? html`<fieldset><legend>${translate(locale, 'connect.settings')}</legend>${settings}</fieldset>` : ''}
<button type="submit">${translate(locale, 'connect.submit')}</button>
</form>`);
}
