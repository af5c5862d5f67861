/**
 * A real module (the kit's host, a SQLite store) reached through a small HTTP proxy, so a test can break one
 * thing the CRM relies on at a time: the proxy rewrites requests and answers on the wire, the way a module in
 * another language might get them wrong; a wrapped store or CRM transport breaks what lives inside.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { defineModule } from '../../src/connect/module-definition.js';
import { createCrmTransport, type CrmHttpRequest, type CrmTransport } from '../../src/crm/transport.js';
import { startModule, type RunningModule } from '../../src/host/start-module.js';
import { simpleConnectionToken } from '../../src/protocol/index.js';
import { generateKeyEntry } from '../../src/store/keyring.js';
import { openConnectionStore } from '../../src/store/open-connection-store.js';
import type { ConnectionStore } from '../../src/store/types.js';
import { testSettings } from '../helpers/module-harness.js';
import { freePort } from '../helpers/ports.js';

export type Break =
  | 'none'
  | 'wrong-envelope'
  | 'unknown-client-500'
  | 'bad-hmac-accepted'
  | 'replay-accepted'
  | 'no-activity-action'
  | 'wrong-register-answer'
  | 'slow-callback'
  | 'reinstall-duplicates'
  | 'account-not-prefilled'
  | 'wrong-key-silent'
  | 'with-callbacks'
  | 'landing-404'
  | 'settings-page-500'
  | 'integration-5xx';

export const SECRET = 'certify-partner-secret';

export interface BrokenModule {
  readonly url: string;
  /** Every clientId the CRM sent the module (to check that no report repeats one). */
  readonly clientIdsSeen: ReadonlySet<string>;
  readonly module: RunningModule;
  close(): Promise<void>;
}

interface Wire {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

export async function startBrokenModule(broken: Break, options: { slowMs?: number } = {}): Promise<BrokenModule> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-certify-'));
  const realStore = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('test') });
  const store: ConnectionStore = broken === 'replay-accepted' ? everyClaimSucceeds(realStore) : realStore;
  const transport = createCrmTransport({ accountUrlPolicy: { allowLocal: true } });
  const module = await startModule({
    module: defineModule({
      integrationCode: 'certify-me',
      name: 'Certify me',
      logo: 'https://module.example/logo.svg',
      baseUrl: url,
      scopes: ['order_read', 'reference_read'],
      settings: testSettings,
      simpleConnection: { secret: SECRET },
    }),
    store,
    transport: rewriteRegistrations(transport, broken),
    cookieSecret: 'a-test-cookie-secret-of-32-characters!',
    logger: false,
  });

  const clientIdsSeen = new Set<string>();
  const proxy = createServer((incoming, outgoing) => {
    void (async () => {
      const wire = await readWire(incoming);
      const sent = new URLSearchParams(wire.body).get('clientId') ?? new URL(wire.path, 'http://m.invalid').searchParams.get('clientId');
      if (sent) clientIdsSeen.add(sent);
      const served = await serveDeclaredCallbacks(broken, wire, store);
      if (served) {
        outgoing.writeHead(served.status, { 'content-type': served.type }).end(served.body);
        return;
      }
      mutateRequest(broken, wire);
      if (broken === 'slow-callback' && wire.path.startsWith('/activity')) await sleep(options.slowMs ?? 1500);
      const response = await request(`${module.url}${wire.path}`, { method: wire.method as 'GET', headers: wire.headers, body: wire.method === 'GET' ? undefined : wire.body });
      const answer: Answer = { status: response.statusCode, headers: {}, body: await response.body.text() };
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) answer.headers[name] = value;
      }
      mutateAnswer(broken, wire, answer);
      outgoing.writeHead(answer.status, answer.headers).end(answer.body);
    })().catch(() => outgoing.writeHead(502).end());
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return {
    url,
    clientIdsSeen,
    module,
    async close() {
      await new Promise<void>((resolve) => (proxy as Server).close(() => resolve()));
      proxy.closeAllConnections();
      await module.close();
      await transport.close();
      await realStore.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function readWire(incoming: IncomingMessage): Promise<Wire> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === 'string' && !['host', 'content-length', 'connection', 'transfer-encoding'].includes(name)) headers[name] = value;
  }
  return { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
}

function mutateRequest(broken: Break, wire: Wire): void {
  if (broken === 'bad-hmac-accepted' && wire.path === '/simple-connection/register') {
    // A module that "verifies" the token against the key it is given, whatever the secret: it accepts anything.
    const form = new URLSearchParams(wire.body);
    const register = JSON.parse(form.get('register') ?? '{}') as { apiKey?: string; token?: string };
    if (register.apiKey) register.token = simpleConnectionToken(SECRET, register.apiKey);
    form.set('register', JSON.stringify(register));
    wire.body = form.toString();
  }
}

function mutateAnswer(broken: Break, wire: Wire, answer: Answer): void {
  const activity = wire.path.startsWith('/activity');
  // A wrong envelope that also echoes the clientId: the report must quote the answer without it.
  if (broken === 'wrong-envelope' && activity && answer.status === 200)
    answer.body = JSON.stringify({ clientId: new URLSearchParams(wire.body).get('clientId'), ok: true });
  if (broken === 'unknown-client-500' && activity && answer.status === 404) {
    answer.status = 500;
    answer.body = '{"success":false,"errorMsg":"Internal error"}';
  }
  if (broken === 'wrong-register-answer' && wire.path === '/simple-connection/register' && answer.status === 200) answer.body = '{"success":true}';
  if (broken === 'settings-page-500' && wire.method === 'POST' && wire.path === '/settings') {
    answer.status = 500;
    answer.body = '<h1>Internal Server Error</h1>';
  }
  // A register answer pointing at a page the module does not serve.
  if (broken === 'landing-404' && wire.path === '/simple-connection/register' && answer.status === 200)
    answer.body = answer.body.replace('/settings?ticket=', '/no-such-page?ticket=');
  // A module that shows the form again, untouched, when the key is wrong: the person never learns why.
  if (broken === 'wrong-key-silent' && wire.method === 'POST' && wire.path === '/connect' && answer.status === 422) {
    answer.status = 200;
    answer.body = answer.body.replace(/<div class="alert error" role="alert">[\s\S]*?<\/div>/g, '').replace(/<p class="error"[^>]*>[\s\S]*?<\/p>/g, '').replace('For your security the key is not shown again; enter it once more.', '');
  }
  if (broken === 'account-not-prefilled' && wire.method === 'GET' && wire.path.startsWith('/connect?')) {
    answer.body = answer.body.replace(/(<input[^>]*name="account"[^>]*value=")[^"]*"/, '$1"');
  }
}

const WITH_CALLBACKS: readonly Break[] = ['with-callbacks', 'integration-5xx'];

/**
 * The settings callback (§19) and a delivery integration's `calculate` and `get`, declared by the registration
 * rewrite below and answered here, as a module with those callbacks would.
 */
async function serveDeclaredCallbacks(broken: Break, wire: Wire, store: ConnectionStore): Promise<{ status: number; type: string; body: string } | undefined> {
  if (!WITH_CALLBACKS.includes(broken)) return undefined;
  const json = (status: number, body: unknown) => ({ status, type: 'application/json', body: JSON.stringify(body) });
  const url = new URL(wire.path, 'http://module.invalid');
  const clientId = wire.method === 'GET' ? url.searchParams.get('clientId') : new URLSearchParams(wire.body).get('clientId');
  const known = clientId ? await store.findByClientId(clientId) : undefined;
  if (url.pathname === '/callback/settings') return known ? json(200, { success: true }) : json(404, { success: false, errorMsg: 'Unknown clientId' });
  if (url.pathname === '/delivery/calculate') {
    if (broken === 'integration-5xx') return { status: 500, type: 'text/html', body: '<h1>Internal Server Error</h1>' };
    return known ? json(200, { success: true, result: [] }) : json(403, { success: false, errorMsg: 'Unknown clientId' });
  }
  if (url.pathname === '/delivery/get') return json(404, { success: false, errorMsg: 'Delivery not found' });
  return undefined;
}

function everyClaimSucceeds(store: ConnectionStore): ConnectionStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'claimOnce') return async () => true;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Breaks what the module sends to the CRM's `integration-modules/{code}/edit`. */
function rewriteRegistrations(transport: CrmTransport, broken: Break): CrmTransport {
  if (broken !== 'no-activity-action' && broken !== 'reinstall-duplicates' && !WITH_CALLBACKS.includes(broken)) return transport;
  const edits = new Map<string, number>();
  const rewrite = (req: CrmHttpRequest): CrmHttpRequest => {
    const json = req.form?.['integrationModule'];
    if (!req.path.endsWith('/edit') || json === undefined) return req;
    const registration = JSON.parse(json) as { actions?: Record<string, string>; clientId?: string; integrations?: Record<string, unknown> };
    if (broken === 'no-activity-action') delete registration.actions?.['activity'];
    if (WITH_CALLBACKS.includes(broken)) {
      registration.actions = { ...registration.actions, settings: '/callback/settings' };
      registration.integrations = { ...registration.integrations, delivery: { actions: { calculate: 'delivery/calculate', get: 'delivery/get' } } };
    }
    const count = (edits.get(req.accountUrl) ?? 0) + 1;
    edits.set(req.accountUrl, count);
    // A module that makes a new connection, with a new clientId, on every install of the same account.
    if (broken === 'reinstall-duplicates' && count > 1) registration.clientId = randomBytes(32).toString('hex');
    return { ...req, form: { ...req.form, integrationModule: JSON.stringify(registration) } };
  };
  return { policy: transport.policy, request: (req) => transport.request(rewrite(req)), close: () => transport.close() };
}
