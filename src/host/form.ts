/**
 * Reading url-encoded forms: values arrive as strings, or arrays when a field repeats.
 */
export type Form = Record<string, string | string[] | undefined>;
export type Query = Record<string, string | undefined>;

/** A single form value as text (repeated fields: the last one). */
export function text(value: string | string[] | undefined): string {
  if (Array.isArray(value)) return value.at(-1) ?? '';
  return value ?? '';
}

/**
 * The form's fields minus the ones the kit itself uses. A repeated field (a multi-select) stays a list; the
 * settings check turns each value into what its field kind expects.
 */
export function settingsFrom(form: Form): Record<string, unknown> {
  const { account: _a, apiKey: _k, _csrf: _c, lang: _l, clientId: _i, draft: _d, ...rest } = form;
  return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, Array.isArray(value) ? [...value] : (value ?? '')]));
}

/**
 * A secret setting left empty means "keep the saved one" (the page never shows it, so the person cannot retype
 * it to keep it).
 */
export function keepSavedSecrets(
  submitted: Readonly<Record<string, unknown>>,
  saved: Readonly<Record<string, unknown>>,
  secretKeys: readonly string[],
): Record<string, unknown> {
  const merged = { ...submitted };
  for (const key of secretKeys) {
    const value = merged[key];
    if ((value === undefined || value === '' || (Array.isArray(value) && value.every((v) => v === ''))) && saved[key] !== undefined)
      merged[key] = saved[key];
  }
  return merged;
}
