/**
 * A browser stand-in for tests: keeps cookies per client, follows no redirect unless asked, and reads an HTML
 * form's fields the way a browser would submit them (text inputs, checked boxes, the selected option).
 * Real HTTP over undici, no mocks.
 * @module
 */
import { request } from 'undici';

export interface FormResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The `Location` header of a redirect. */
  readonly location: string | undefined;
}

/** Form fields as a browser posts them: a repeated name (multi-select) is a list. */
export type FormFields = Readonly<Record<string, string | readonly string[]>>;

export class FormClient {
  readonly #cookies = new Map<string, string>();

  async get(url: string, headers: Record<string, string> = {}): Promise<FormResponse> {
    return this.#send('GET', url, undefined, headers);
  }

  /** Posts `fields` form-encoded, as a browser submits a form. */
  async post(url: string, fields: FormFields, headers: Record<string, string> = {}): Promise<FormResponse> {
    return this.#send('POST', url, encodeForm(fields), headers);
  }

  /** Follows redirects with GETs (post/redirect/get), at most `limit` of them. */
  async follow(response: FormResponse, from: string, limit = 5): Promise<FormResponse> {
    let current = response;
    let url = from;
    for (let i = 0; i < limit && current.location && current.status >= 300 && current.status < 400; i++) {
      url = new URL(current.location, url).href;
      current = await this.get(url);
    }
    return current;
  }

  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  async #send(method: 'GET' | 'POST', url: string, body: string | undefined, headers: Record<string, string>): Promise<FormResponse> {
    const cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await request(url, {
      method,
      body,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
    });
    for (const line of [response.headers['set-cookie'] ?? []].flat()) this.#keepCookie(line);
    const text = await response.body.text();
    const location = response.headers.location;
    return {
      status: response.statusCode,
      headers: response.headers,
      body: text,
      location: typeof location === 'string' ? location : undefined,
    };
  }

  #keepCookie(line: string): void {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
    else this.#cookies.set(name, value);
  }
}

export function encodeForm(fields: FormFields): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const one of typeof value === 'string' ? [value] : value) body.append(name, one);
  }
  return body.toString();
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };
const decode = (text: string) => text.replace(/&(?:amp|quot|#39|lt|gt);/g, (entity) => ENTITIES[entity] ?? entity);
const attribute = (tag: string, name: string) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? decode(match[1] ?? '') : undefined;
};
const hasAttribute = (tag: string, name: string) => new RegExp(`\\s${name}(?:[\\s>=/]|$)`).test(tag);

/**
 * The fields the first form of `html` (or the form whose `action` ends with `action`) would submit as it stands:
 * what a person who changes nothing sends.
 */
export function formFields(html: string, action?: string): Record<string, string | string[]> {
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]);
  const form = action ? forms.find((f) => attribute(/<form\b[^>]*>/.exec(f)?.[0] ?? '', 'action')?.endsWith(action)) : forms[0];
  const fields: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const previous = fields[name];
    fields[name] = previous === undefined ? value : [previous, value].flat();
  };
  if (!form) return fields;
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = attribute(tag, 'name');
    const type = attribute(tag, 'type') ?? 'text';
    if (!name || hasAttribute(tag, 'disabled') || ['submit', 'button', 'reset', 'file', 'image'].includes(type)) continue;
    if ((type === 'checkbox' || type === 'radio') && !hasAttribute(tag, 'checked')) continue;
    add(name, attribute(tag, 'value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : ''));
  }
  for (const [whole, open, body] of form.matchAll(/(<textarea\b[^>]*>)([\s\S]*?)<\/textarea>/g)) {
    const name = attribute(open ?? '', 'name');
    if (name && whole) add(name, decode(body ?? ''));
  }
  for (const [, open, body] of form.matchAll(/(<select\b[^>]*>)([\s\S]*?)<\/select>/g)) {
    const name = attribute(open ?? '', 'name');
    if (!name) continue;
    const options = [...(body ?? '').matchAll(/<option\b([^>]*)>([\s\S]*?)<\/option>/g)];
    const chosen = options.filter(([, attrs]) => hasAttribute(` ${attrs}`, 'selected'));
    const multiple = hasAttribute(open ?? '', 'multiple');
    for (const [, attrs, label] of chosen.length > 0 || multiple ? chosen : options.slice(0, 1))
      add(name, attribute(` ${attrs}`, 'value') ?? decode((label ?? '').trim()));
  }
  return fields;
}

/** The value of a named input in an HTML page (first match). */
export function inputValue(html: string, name: string): string | undefined {
  const tag = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(html)?.[0];
  return tag ? attribute(tag, 'value') : undefined;
}

/** The text of the page's error alert, tags stripped. */
export function alertText(html: string): string | undefined {
  const match = /<div class="alert error" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1];
  return match === undefined ? undefined : decode(match.replace(/<[^>]+>/g, '')).trim();
}

/** The error shown beside each field (`<p class="error" id="{field}-error">`), by field name. */
export function fieldErrors(html: string): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [, name, text] of html.matchAll(/<p class="error" id="([^"]+)-error">([\s\S]*?)<\/p>/g))
    if (name) errors[name] = decode((text ?? '').replace(/<[^>]+>/g, '')).trim();
  return errors;
}
