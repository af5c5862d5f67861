/**
 * Renders the module's settings from its definition: label, input by kind, help, and the error beside it.
 * Fields sharing a `section` are grouped in a fieldset with that legend. A secret's value is never written back.
 */
import { html, type SafeHtml } from '../../html/html.js';
import { type Locale, translate } from '../../i18n/index.js';
import {
  localize,
  type AnyModuleDefinition,
  type SettingOption,
  settingInput,
  settingOptions,
  settingOptionsLoaded,
  settingRange,
} from '../../connect/module-definition.js';

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

/**
 * The attributes every control carries: what describes it, whether it is invalid, and `autofocus` on the first
 * field in error, so the person lands there without any script.
 */
export const aria = (describedBy: string | undefined, invalid: boolean, focus = false) =>
  html`${describedBy ? html` aria-describedby="${describedBy}"` : ''}${invalid ? html` aria-invalid="true"` : ''}${focus ? html` autofocus` : ''}`;

export interface SettingsFieldsOptions {
  /** Choices read from the account, by field (fields with a loader); a loader field without them is a text box. */
  readonly loadedOptions?: Readonly<Record<string, readonly SettingOption[]>>;
  /** The field to focus (the first in error). */
  readonly focus?: string;
}

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined || value === null || value === '' ? [] : [String(value)];

/** Inputs for every setting of the module, filled with `values`. */
export function settingsFields(
  module: AnyModuleDefinition,
  values: Readonly<Record<string, unknown>>,
  errors: Readonly<Record<string, string>>,
  locale: Locale,
  options: SettingsFieldsOptions = {},
): SafeHtml[] {
  const settings = module.settings;
  if (!settings) return [];
  const rendered: { section: string | undefined; html: SafeHtml }[] = Object.keys(settings.schema.shape).map((key) => {
    const spec = settings.fields[key];
    const label = spec ? localize(spec.label, locale) : key;
    const value = values[key];
    const text = value === undefined || value === null ? '' : Array.isArray(value) ? String(value.at(-1) ?? '') : String(value);
    let kind = settingInput(settings, key);
    const loaded = settingOptionsLoaded(settings, key) ? options.loadedOptions?.[key] : undefined;
    // Options from the account need the key: until it is checked, the person may type the value.
    const waiting = settingOptionsLoaded(settings, key) && loaded === undefined;
    if (waiting) kind = 'text';
    const choices = loaded ?? settingOptions(settings, key);
    const helpParts = [spec?.help ? localize(spec.help, locale) : undefined];
    if (waiting) helpParts.push(translate(locale, 'form.optionsAfterKey'));
    if (kind === 'secret' && text !== '') helpParts.unshift(translate(locale, 'form.secretSet'));
    const help = helpParts.filter(Boolean).join(' ') || undefined;
    const focus = options.focus === key;
    const option = (choice: SettingOption, selected: boolean) =>
      html`<option value="${choice.value}"${selected ? html` selected` : ''}>${choice.label ? localize(choice.label, locale) : choice.value}</option>`;
    const control = (describedBy: string | undefined, invalid: boolean): SafeHtml => {
      const attrs = aria(describedBy, invalid, focus);
      switch (kind) {
        case 'checkbox':
          return html`<input type="checkbox" id="${key}" name="${key}" value="true"${value === true || value === 'true' || value === 'on' ? html` checked` : ''}${attrs}>`;
        case 'select':
          return html`<select id="${key}" name="${key}"${attrs}>
<option value="">${translate(locale, 'form.choose')}</option>
${choices.map((choice) => option(choice, choice.value === text))}
</select>`;
        case 'multiselect': {
          const chosen = new Set(asList(value));
          return html`<select id="${key}" name="${key}" multiple size="${String(Math.min(Math.max(choices.length, 2), 8))}"${attrs}>
${choices.map((choice) => option(choice, chosen.has(choice.value)))}
</select>`;
        }
        case 'number': {
          const range = settingRange(settings, key);
          return html`<input type="number" id="${key}" name="${key}" value="${text}" inputmode="${range.integer ? 'numeric' : 'decimal'}" step="${range.integer ? '1' : 'any'}"${range.min === undefined ? '' : html` min="${String(range.min)}"`}${range.max === undefined ? '' : html` max="${String(range.max)}"`}${attrs}>`;
        }
        case 'textarea':
          return html`<textarea id="${key}" name="${key}" rows="4"${attrs}>${text}</textarea>`;
        case 'url':
          return html`<input type="url" id="${key}" name="${key}" value="${text}" inputmode="url" spellcheck="false"${attrs}>`;
        case 'secret':
          // Never the value: the page says it is set; an empty submit keeps it.
          return html`<input type="password" id="${key}" name="${key}" value="" autocomplete="new-password" spellcheck="false"${attrs}>`;
        default:
          return html`<input type="text" id="${key}" name="${key}" value="${text}"${attrs}>`;
      }
    };
    return {
      section: spec?.section ? localize(spec.section, locale) : undefined,
      html: field({ name: key, label, control, help, error: errors[key], className: kind === 'checkbox' ? 'checkbox' : '' }),
    };
  });
  // Consecutive fields of one section share a fieldset.
  const out: SafeHtml[] = [];
  for (let i = 0; i < rendered.length; ) {
    const section = rendered[i]?.section;
    let j = i;
    while (j < rendered.length && rendered[j]?.section === section) j += 1;
    const group = rendered.slice(i, j).map((entry) => entry.html);
    out.push(section === undefined ? html`${group}` : html`<fieldset class="section"><legend>${section}</legend>${group}</fieldset>`);
    i = j;
  }
  return out;
}
