/**
 * What `certify` needs of a browser and of the CRM's HTTP side: cookies per origin, no redirects followed, a
 * timing of each answer, and reading an HTML form's fields (hidden CSRF tokens, defaults of selects and
 * checkboxes) the way a browser would submit them.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly location: string | undefined;
  readonly ms: number;
}

export class BrowserClient {
  readonly #cookies = new Map<string, Map<string, string>>();
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  get(url: string): Promise<Answer> {
    return this.send('GET', url);
  }

  postForm(url: string, fields: Readonly<Record<string, string>> | URLSearchParams): Promise<Answer> {
    const body = fields instanceof URLSearchParams ? fields : new URLSearchParams(fields as Record<string, string>);
    return this.send('POST', url, body.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
  }

  async send(method: 'GET' | 'POST', url: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    const origin = new URL(url).origin;
    const jar = this.#cookies.get(origin) ?? new Map<string, string>();
    this.#cookies.set(origin, jar);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const started = performance.now();
    const response = await request(url, {
      method,
      body,
      headers: { ...headers, ...(cookie ? { cookie } : {}) },
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    const text = await response.body.text();
    const ms = performance.now() - started;
    for (const line of [response.headers['set-cookie'] ?? []].flat()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = response.headers.location;
    return { status: response.statusCode, headers: response.headers, body: text, location: typeof location === 'string' ? location : undefined, ms };
  }
}

export interface HtmlForm {
  readonly action: string;
  readonly method: string;
  /** Name → value, as a browser submits the form untouched (checked boxes, selected options, defaults). */
  readonly fields: URLSearchParams;
  /** Names of text-like inputs, in order, with their type. */
  readonly inputs: readonly { readonly name: string; readonly type: string; readonly value: string }[];
}

const attr = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  const value = match?.[1] ?? match?.[2] ?? match?.[3];
  return value === undefined ? undefined : decodeEntities(value);
};

export function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
}

/** The page's POST forms, each with the fields a browser would send. */
export function readForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = match[1] ?? '';
    const inner = match[2] ?? '';
    const fields = new URLSearchParams();
    const inputs: { name: string; type: string; value: string }[] = [];
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const tag = input[0];
      const name = attr(tag, 'name');
      if (!name) continue;
      const type = (attr(tag, 'type') ?? 'text').toLowerCase();
      const value = attr(tag, 'value') ?? (type === 'checkbox' ? 'on' : '');
      if (type === 'checkbox' || type === 'radio') {
        if (/\schecked\b/i.test(tag)) fields.append(name, value);
        continue;
      }
      if (type === 'submit' || type === 'button' || type === 'file') continue;
      fields.append(name, value);
      inputs.push({ name, type, value });
    }
    for (const select of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      const name = attr(select[1] ?? '', 'name');
      if (!name) continue;
      const options = [...(select[2] ?? '').matchAll(/<option\b([^>]*)>([\s\S]*?)<\/option>/gi)];
      const chosen = options.find((o) => /\sselected\b/i.test(o[1] ?? '')) ?? options[0];
      if (chosen) fields.append(name, attr(chosen[1] ?? '', 'value') ?? decodeEntities((chosen[2] ?? '').trim()));
    }
    for (const area of inner.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
      const name = attr(area[1] ?? '', 'name');
      if (name) fields.append(name, decodeEntities(area[2] ?? ''));
    }
    forms.push({
      action: new URL(attr(open, 'action') ?? '', pageUrl).toString(),
      method: (attr(open, 'method') ?? 'get').toLowerCase(),
      fields,
      inputs,
    });
  }
  return forms;
}

/** Visible text of a page: tags, scripts and styles removed, entities decoded, spaces collapsed. */
export function visibleText(html: string): string {
  return decodeEntities(
    html
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' '),
  )
    .replace(/\s+/g, ' ')
    .trim();
}
