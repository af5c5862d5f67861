/**
 * Renders the module's settings from its definition: label, input by kind, help, and the error beside it.
 */
import { html, type SafeHtml } from '../../html/html.js';
import { type Locale, translate } from '../../i18n/index.js';
import { localize, type AnyModuleDefinition, settingInput, settingOptions } from '../../connect/module-definition.js';

/** One labelled input with help and error text wired up for screen readers. */
export function field(options: {
  readonly name: string;
  readonly label: string;
  readonly control: (describedBy: string | undefined, invalid: boolean) => SafeHtml;
  readonly help?: string;
  readonly error?: string;
  readonly className?: string;
}): SafeHtml {
  const helpId = options.help ? `${options.name}-help` : undefined;
  const errorId = options.error ? `${options.name}-error` : undefined;
  const describedBy = [errorId, helpId].filter(Boolean).join(' ') || undefined;
  return html`<div class="field ${options.className ?? ''}">
<label for="${options.name}">${options.label}</label>
${options.control(describedBy, Boolean(options.error))}
${options.error ? html`<p class="error" id="${errorId}">${options.error}</p>` : ''}
${options.help ? html`<p class="help" id="${helpId}">${options.help}</p>` : ''}
</div>`;
}

const aria = (describedBy: string | undefined, invalid: boolean) =>
  html`${describedBy ? html` aria-describedby="${describedBy}"` : ''}${invalid ? html` aria-invalid="true"` : ''}`;

/** Inputs for every setting of the module, filled with `values`. */
export function settingsFields(
  module: AnyModuleDefinition,
  values: Readonly<Record<string, unknown>>,
  errors: Readonly<Record<string, string>>,
  locale: Locale,
): SafeHtml[] {
  const settings = module.settings;
  if (!settings) return [];
  return Object.keys(settings.schema.shape).map((key) => {
    const spec = settings.fields[key];
    const label = spec ? localize(spec.label, locale) : key;
    const help = spec?.help ? localize(spec.help, locale) : undefined;
    const value = values[key];
    const text = value === undefined || value === null ? '' : String(value);
    const kind = settingInput(settings, key);
    const control = (describedBy: string | undefined, invalid: boolean): SafeHtml => {
      switch (kind) {
        case 'checkbox':
          return html`<input type="checkbox" id="${key}" name="${key}" value="true"${value === true || value === 'true' || value === 'on' ? html` checked` : ''}${aria(describedBy, invalid)}>`;
        case 'select':
          return html`<select id="${key}" name="${key}"${aria(describedBy, invalid)}>
<option value="">${translate(locale, 'form.choose')}</option>
${settingOptions(settings, key).map((option) => {
  const optionLabel = spec?.optionLabels?.[option];
  return html`<option value="${option}"${option === text ? html` selected` : ''}>${optionLabel ? localize(optionLabel, locale) : option}</option>`;
})}
</select>`;
        case 'number':
          return html`<input type="number" id="${key}" name="${key}" value="${text}" step="any"${aria(describedBy, invalid)}>`;
        default:
          return html`<input type="text" id="${key}" name="${key}" value="${text}"${aria(describedBy, invalid)}>`;
      }
    };
    return field({ name: key, label, control, help, error: errors[key], className: kind === 'checkbox' ? 'checkbox' : '' });
  });
}
