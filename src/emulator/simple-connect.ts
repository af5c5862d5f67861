/**
 * The CRM's side of the simple connection (PROTOCOL §13.2–13.4): fetch the module's config, issue an API key with
 * exactly the scopes it asks for, POST `register` with the HMAC token, and report where to send the browser.
 * Server side, since the emulator's pages have no JavaScript.
 * @module
 */
import { Agent, request } from 'undici';
import { ConnectionConfigResponse, RegisterResponse, simpleConnectionToken } from '../protocol/index.js';
import { localhostAwareLookup } from './activity.js';

/** Module answers are read up to this size; a config or register answer is a few hundred bytes. */
const BODY_LIMIT = 64 * 1024;

export type SimpleConnectOutcome =
  | { readonly ok: true; readonly accountUrl: string; readonly scopes: readonly string[] }
  | {
      readonly ok: false;
      readonly stage: 'config' | 'key' | 'register';
      /** What the emulator says went wrong (no secret in it). */
      readonly message: string;
      /** The module's own `errorMsg`, shown to the person as the CRM would. */
      readonly moduleError?: string;
    };

export interface SimpleConnectInput {
  readonly configUrl: string;
  readonly secret: string;
  /** `http://{name}.localhost:{port}/`: the account URL with a trailing slash (§13.4 says it may carry one). */
  readonly systemUrl: string;
  /** Creates the account's key with exactly these scopes; throws when it cannot (unknown scope). */
  issueKey(scopes: readonly string[]): string;
  revokeKey(apiKey: string): void;
}

export interface SimpleConnector {
  connect(input: SimpleConnectInput): Promise<SimpleConnectOutcome>;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly json: unknown;
}

function moduleErrorOf(json: unknown): string | undefined {
  if (json && typeof json === 'object' && typeof (json as { errorMsg?: unknown }).errorMsg === 'string') {
    return ((json as { errorMsg: string }).errorMsg).slice(0, 500);
  }
  return undefined;
}

export function createSimpleConnector(options: { readonly timeoutMs: number }): SimpleConnector {
  const agent = new Agent({ connect: { lookup: localhostAwareLookup as never }, keepAliveTimeout: 1000 });

  async function call(url: string, init: { method: 'GET' | 'POST'; form?: Record<string, string> }): Promise<Answer> {
    const response = await request(url, {
      method: init.method,
      dispatcher: agent,
      headers: init.form ? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } : { accept: 'application/json' },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = (await response.body.text()).slice(0, BODY_LIMIT);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, json };
  }

  const unreachable = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

  return {
    async connect(input) {
      // Step 1: the config (GET configUrl).
      let config: Answer;
      try {
        config = await call(input.configUrl, { method: 'GET' });
      } catch (error) {
        return { ok: false, stage: 'config', message: `The module's config URL did not answer (${unreachable(error)})` };
      }
      const parsedConfig = ConnectionConfigResponse.safeParse(config.json);
      if (config.status < 200 || config.status >= 300 || !parsedConfig.success) {
        const moduleError = moduleErrorOf(config.json);
        return {
          ok: false,
          stage: 'config',
          message: `The module's config answer is not usable (HTTP ${config.status})`,
          ...(moduleError ? { moduleError } : {}),
        };
      }
      const { scopes, registerUrl } = parsedConfig.data;

      // Step 2: a key with exactly the requested scopes.
      let apiKey: string;
      try {
        apiKey = input.issueKey(scopes);
      } catch (error) {
        return { ok: false, stage: 'key', message: `No API key could be issued for the requested scopes: ${error instanceof Error ? error.message : String(error)}` };
      }

      // Step 3: register, with token = HMAC-SHA256(secret, apiKey).
      const register = JSON.stringify({ systemUrl: input.systemUrl, apiKey, token: simpleConnectionToken(input.secret, apiKey) });
      let answer: Answer;
      try {
        answer = await call(registerUrl, { method: 'POST', form: { register } });
      } catch (error) {
        input.revokeKey(apiKey);
        return { ok: false, stage: 'register', message: `The module's register URL did not answer (${unreachable(error)})` };
      }
      const parsed = RegisterResponse.safeParse(answer.json);
      if (answer.status < 200 || answer.status >= 300 || !parsed.success) {
        // A failed registration must not leave a working key behind.
        input.revokeKey(apiKey);
        const moduleError = moduleErrorOf(answer.json);
        return {
          ok: false,
          stage: 'register',
          message: `The module refused the connection (HTTP ${answer.status})`,
          ...(moduleError ? { moduleError } : {}),
        };
      }
      return { ok: true, accountUrl: parsed.data.accountUrl, scopes };
    },
    close: () => agent.close(),
  };
}
