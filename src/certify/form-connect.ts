/**
 * The old connection method as the CRM and a person perform it (PROTOCOL §10): the CRM opens the module's
 * connect page with `?account=`, the person fills in the API key (and the module's own fields) and submits.
 * @module
 */
import { type BrowserClient, type HtmlForm, readForms, visibleText } from './browser-client.js';
import { CertifyReason } from './report.js';

type Opened =
  | { readonly ok: true; readonly form: HtmlForm; readonly accountField: string; readonly text: string }
  | { readonly ok: false; readonly reason: CertifyReason; readonly detail: string };

const words = (text: string): string[] => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1);

const withoutSlash = (url: string) => url.replace(/\/+$/, '');

export async function openConnectForm(browser: BrowserClient, connectUrl: string, accountUrl: string): Promise<Opened> {
  const url = new URL(connectUrl);
  url.searchParams.set('account', `${accountUrl}/`);
  const page = await browser.get(url.toString());
  if (page.status !== 200) return { ok: false, reason: CertifyReason.FormMissing, detail: `HTTP ${page.status} for ${url.pathname}?account=…` };
  const forms = readForms(page.body, url.toString()).filter((f) => f.method === 'post');
  const keyed = forms.find((f) => f.inputs.some(isKeyInput)) ?? forms[0];
  if (!keyed) return { ok: false, reason: CertifyReason.FormMissing, detail: 'the page has no POST form' };
  const prefilled = keyed.inputs.find((i) => withoutSlash(i.value) === withoutSlash(accountUrl));
  if (!prefilled) return { ok: false, reason: CertifyReason.AccountNotPrefilled, detail: 'no field of the form carries the account from ?account=' };
  return { ok: true, form: keyed, accountField: prefilled.name, text: visibleText(page.body) };
}

function isKeyInput(input: { name: string; type: string }): boolean {
  return input.type === 'password' || /api.?key|key/i.test(input.name);
}

export type FormOutcome =
  | { readonly kind: 'returned'; readonly location: string }
  | {
      readonly kind: 'stayed';
      readonly status: number;
      /** The page's alert, or its visible text. */
      readonly text: string;
      /** Words the answer shows that the untouched form did not: where a message for the person would be. */
      readonly newWords: readonly string[];
      readonly html: boolean;
    };

/** Opens the form, fills it like a person and submits; follows redirects that stay on the module. */
export async function connectByForm(
  browser: BrowserClient,
  connectUrl: string,
  accountUrl: string,
  apiKey: string,
  fields: Readonly<Record<string, string>>,
): Promise<FormOutcome> {
  const opened = await openConnectForm(browser, connectUrl, accountUrl);
  if (!opened.ok) return { kind: 'stayed', status: 0, text: opened.detail, newWords: [], html: false };
  const { form } = opened;
  const submit = new URLSearchParams(form.fields);
  const keyField = form.inputs.find((i) => i.name !== opened.accountField && isKeyInput(i));
  if (keyField) submit.set(keyField.name, apiKey);
  for (const [name, value] of Object.entries(fields)) submit.set(name, value);
  let answer = await browser.postForm(form.action, submit);
  const moduleOrigin = new URL(form.action).origin;
  for (let hops = 0; hops < 3 && answer.status >= 300 && answer.status < 400 && answer.location; hops += 1) {
    const next = new URL(answer.location, form.action);
    if (next.origin !== moduleOrigin) return { kind: 'returned', location: next.toString() };
    answer = await browser.get(next.toString());
  }
  const before = new Set(words(opened.text));
  const contentType = String(answer.headers['content-type'] ?? '');
  return {
    kind: 'stayed',
    status: answer.status,
    text: alertText(answer.body) ?? visibleText(answer.body),
    newWords: [...new Set(words(visibleText(answer.body)))].filter((w) => !before.has(w)),
    html: /^text\/html\b/i.test(contentType),
  };
}

/** The page's alerts (`role="alert"`), which is where a readable error belongs; `undefined` when there is none. */
function alertText(html: string): string | undefined {
  const alerts = [...html.matchAll(/<(\w+)\b[^>]*role="alert"[^>]*>([\s\S]*?)<\/\1>/gi)].map((m) => visibleText(m[2] ?? '')).filter(Boolean);
  return alerts.length > 0 ? alerts.join(' · ') : undefined;
}
