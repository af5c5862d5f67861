/**
 * Reaching an emulated account from Node: Node cannot resolve `*.localhost` (STACK.md pitfall 13), so this
 * connects to the emulator's loopback address and sends `Host: {name}.localhost:{port}`, which is all the
 * emulator routes on. Used by the emulator's tests and handy in scripts.
 * @module
 */
import { request } from 'undici';

export interface EmulatorCall {
  readonly method?: 'GET' | 'POST' | 'DELETE' | 'PUT';
  readonly apiKey?: string;
  /** Query parameters (GET) appended to the path. */
  readonly query?: Readonly<Record<string, string>>;
  /** Form fields, sent url-encoded (how the CRM API takes POST bodies). */
  readonly form?: Readonly<Record<string, string>>;
  /** A JSON body (the control API). */
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EmulatorReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: any;
}

/** Calls `path` on host `host` (e.g. `demo.localhost:7700` or `127.0.0.1:7700`) via 127.0.0.1:`port`. */
export async function callEmulator(port: number, host: string, path: string, call: EmulatorCall = {}): Promise<EmulatorReply> {
  const query = call.query ? `${path.includes('?') ? '&' : '?'}${new URLSearchParams(call.query).toString()}` : '';
  const headers: Record<string, string> = { host, ...call.headers };
  if (call.apiKey !== undefined) headers['x-api-key'] = call.apiKey;
  let body: string | undefined;
  if (call.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(call.form).toString();
  } else if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  }
  const response = await request(`http://127.0.0.1:${port}${path}${query}`, {
    method: call.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}
