/**
 * A minimal browser stand-in for integration tests: keeps cookies per host, never follows redirects, and reads
 * hidden fields out of HTML forms. Real HTTP, no mocks.
 */
import { request } from 'undici';

export interface FormResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly location: string | undefined;
}

export class FormClient {
  readonly #cookies = new Map<string, string>();

  async get(url: string, headers: Record<string, string> = {}): Promise<FormResponse> {
    return this.#send('GET', url, undefined, headers);
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<FormResponse> {
    return this.#send('POST', url, new URLSearchParams(fields).toString(), headers);
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
    const setCookie = response.headers['set-cookie'];
    for (const line of [setCookie ?? []].flat()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const text = await response.body.text();
    const location = response.headers.location;
    return {
      status: response.statusCode,
      headers: response.headers,
      body: text,
      location: typeof location === 'string' ? location : undefined,
    };
  }
}

/** The value of a named input in an HTML page (first match). */
export function inputValue(html: string, name: string): string | undefined {
  const tag = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(html)?.[0];
  return tag ? /value="([^"]*)"/.exec(tag)?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"') : undefined;
}

/** The text of the page's error alert, tags stripped. */
export function alertText(html: string): string | undefined {
  const match = /<div class="alert error" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1];
  return match?.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').trim();
}
