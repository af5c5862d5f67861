/**
 * Sends the activity callback the way the CRM does (PROTOCOL §11.1): a form POST of `clientId`, `activity`
 * (JSON `{"active":…,"freeze":…}`) and `systemUrl` to `baseUrl` + `actions.activity`.
 * @module
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, request } from 'undici';
import { isLocalhostName, type Activity } from '../protocol/index.js';
import type { ActivityDelivery } from './state.js';

const BODY_LIMIT = 2000;

/**
 * `baseUrl` + `actions.activity`, joined with exactly one slash, so a base path prefix is kept
 * (`https://m.example/app` + `/activity` → `https://m.example/app/activity`). An absolute action URL is used as is.
 */
export function callbackUrl(baseUrl: string, action: string): string {
  if (/^https?:\/\//i.test(action)) return action;
  return `${baseUrl.replace(/\/+$/, '')}/${action.replace(/^\/+/, '')}`;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Node cannot resolve `*.localhost` (STACK.md pitfall 13); RFC 6761 lets us treat those names as loopback. */
export function localhostAwareLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  if (isLocalhostName(hostname)) {
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dnsLookup(hostname, options as never, callback as never);
}

export interface CallbackSender {
  send(input: { url: string; clientId: string; activity: Activity; systemUrl: string }): Promise<ActivityDelivery>;
  close(): Promise<void>;
}

export function createCallbackSender(options: { timeoutMs: number }): CallbackSender {
  const agent = new Agent({ connect: { lookup: localhostAwareLookup as never }, keepAliveTimeout: 1000 });
  return {
    async send({ url, clientId, activity, systemUrl }) {
      const at = new Date().toISOString();
      const form = new URLSearchParams({ clientId, activity: JSON.stringify(activity), systemUrl });
      try {
        const response = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        const body = (await response.body.text()).slice(0, BODY_LIMIT);
        const delivered = response.statusCode >= 200 && response.statusCode < 300;
        return { delivered, status: response.statusCode, body, url, activity, at };
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return { delivered: false, status: null, body: null, error: message, url, activity, at };
      }
    },
    close: () => agent.close(),
  };
}
