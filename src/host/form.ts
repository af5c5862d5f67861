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

/** The form's fields minus the ones the kit itself uses. */
export function settingsFrom(form: Form): Record<string, unknown> {
  const { account: _a, apiKey: _k, _csrf: _c, lang: _l, clientId: _i, ...rest } = form;
  return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, text(value)]));
}
