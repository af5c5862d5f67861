/**
 * The client against small node:http servers on 127.0.0.1 that answer exactly what each case needs:
 * classification by meaning, retries, timeouts, size limit, redirects, pooling, logging, key hygiene.
 * (The emulator-driven tests are in `client.emulator.test.ts`.)
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { createCrmClient } from './client.js';
import {
  AccessDeniedError,
  AccountNotFoundError,
  ApiKeyInvalidError,
  ApiKeyMissingError,
  CrmApiError,
  CrmHttpError,
  CrmRejectedError,
  CrmUnavailableError,
  CrmValidationFailedError,
  NetworkError,
  PaymentRequiredError,
  RateLimitedError,
  TimeoutError,
  UnexpectedResponseError,
} from './errors.js';
import { nextDelayMs, noRetries, parseRetryAfter, rapidRetriesForTests, type RetryPolicy } from './retry.js';
import { createCrmTransport, type CrmLogger, type CrmTransportOptions } from './transport.js';

const KEY = 'Sup3rSecretKeyValue0123456789abcd';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void;

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(handler: Handler) {
  const seen: Seen[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body, seen.length);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const handle = {
    port,
    url: `http://acc.localhost:${port}`,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const html = (res: ServerResponse, status: number, body = '<html><body>nginx</body></html>') => {
  res.writeHead(status, { 'content-type': 'text/html' });
  res.end(body);
};

function clientFor(url: string, retry: RetryPolicy = noRetries, transport: Partial<CrmTransportOptions> = {}) {
  const t = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: false, ...transport });
  servers.push({ close: () => t.close() });
  return createCrmClient({ accountUrl: url, apiKey: ` ${KEY} `, transport: t, retry, random: () => 0 });
}

const CREDENTIALS = { success: true, scopes: ['integration_read'], credentials: [], siteAccess: 'access_full' };

describe('requests', () => {
  it('GET: key in X-API-KEY only, JSON accepted, *.localhost reached without DNS', async () => {
    const s = await serve((_req, res) => json(res, 200, CREDENTIALS));
    const crm = clientFor(s.url);
    assert.equal(crm.accountUrl, s.url);
    const result = await crm.credentials();
    assert.deepEqual(result.scopes, ['integration_read']);
    const [request] = s.seen;
    assert.equal(request?.method, 'GET');
    assert.equal(request?.url, '/api/credentials');
    assert.equal(request?.headers['x-api-key'], KEY, 'key trimmed and sent in the header');
    assert.equal(request?.headers.host, `acc.localhost:${s.port}`);
    assert.ok(!request?.url.includes(KEY));
  });

  it('edit: form-encoded body with the module as JSON in `integrationModule`; 201 → created', async () => {
    const s = await serve((_req, res, _body, n) => json(res, n === 1 ? 201 : 200, { success: true, info: n === 1 ? [] : { mgBot: { token: 't' } } }));
    const crm = clientFor(s.url);
    const module = { code: 'demo-1', integrationCode: 'demo', active: true, name: 'Demo', clientId: 'c1', accountUrl: 'https://m.example/s' };
    assert.deepEqual(await crm.editIntegrationModule(module), { created: true, info: [] });
    assert.deepEqual(await crm.editIntegrationModule(module), { created: false, info: { mgBot: { token: 't' } } });
    const first = s.seen[0]!;
    assert.equal(first.method, 'POST');
    assert.equal(first.url, '/api/v5/integration-modules/demo-1/edit');
    assert.match(String(first.headers['content-type']), /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(first.body);
    assert.deepEqual(JSON.parse(form.get('integrationModule') ?? ''), module);
  });

  it('edit: invalid module data is refused before any request', async () => {
    const s = await serve((_req, res) => json(res, 200, { success: true }));
    const crm = clientFor(s.url);
    await assert.rejects(
      crm.editIntegrationModule({ code: 'x-1', integrationCode: 'demo', name: 'N', clientId: 'c' }),
      (error: unknown) => error instanceof CrmValidationFailedError && JSON.stringify(error.errors).includes('Code prefix'),
    );
    assert.equal(s.seen.length, 0);
  });

  it('update-scopes: `requires` JSON field; returns the new key', async () => {
    const s = await serve((_req, res) => json(res, 200, { success: true, apiKey: 'new-key' }));
    const crm = clientFor(s.url);
    assert.equal(await crm.updateScopes('demo', ['integration_read', 'integration_write']), 'new-key');
    assert.deepEqual(JSON.parse(new URLSearchParams(s.seen[0]!.body).get('requires') ?? ''), {
      scopes: ['integration_read', 'integration_write'],
    });
  });

  it('sites, system info, api versions, module GET; findIntegrationModule → undefined for an unknown code', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/api/v5/reference/sites') return json(res, 200, { success: true, sites: { main: { code: 'main', name: 'Main' } } });
      if (req.url === '/api/system-info') return json(res, 200, { success: true, systemVersion: '8', publicUrl: 'https://a.retailcrm.ru' });
      if (req.url === '/api/api-versions') return json(res, 200, { success: true, versions: ['4.0', '5.0'] });
      if (req.url === '/api/v5/integration-modules/known')
        return json(res, 200, { success: true, integrationModule: { code: 'known', name: 'K', clientId: 'c', active: true } });
      if (req.url === '/api/v5/integration-modules/gone') return json(res, 404, { success: false, errorMsg: 'Not found' });
      if (req.url === '/api/v5/integration-modules/nomethod') return json(res, 404, { success: false, errorMsg: 'API method not found' });
      if (req.url === '/api/v5/integration-modules/badfield')
        return json(res, 400, { success: false, errorMsg: 'Errors in the entity format', errors: { code: 'bad' } });
      return json(res, 400, { success: false, errorMsg: 'Errors in the input parameters' });
    });
    const crm = clientFor(s.url);
    assert.deepEqual(Object.keys(await crm.sites()), ['main']);
    assert.equal((await crm.systemInfo()).publicUrl, 'https://a.retailcrm.ru');
    assert.deepEqual((await crm.apiVersions()).versions, ['4.0', '5.0']);
    const known = await crm.integrationModule('known');
    assert.equal(known.freeze, false, 'schema defaults applied');
    assert.equal(await crm.findIntegrationModule('unknown'), undefined);
    assert.equal(await crm.findIntegrationModule('gone'), undefined);
    // Other 404s and 400s are not "not registered".
    await assert.rejects(crm.findIntegrationModule('nomethod'), (e: unknown) => e instanceof CrmRejectedError && e.status === 404);
    await assert.rejects(crm.findIntegrationModule('badfield'), CrmValidationFailedError);
    await assert.rejects(crm.integrationModule('unknown'), CrmValidationFailedError);
  });

  it('refuses an empty key or one that cannot be a header, without a request', async () => {
    const t = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: false });
    assert.throws(() => createCrmClient({ accountUrl: 'http://a.localhost:1', apiKey: '  ', transport: t }), ApiKeyMissingError);
    assert.throws(
      () => createCrmClient({ accountUrl: 'http://a.localhost:1', apiKey: 'abc\r\nX-Evil: 1', transport: t }),
      (error: unknown) => error instanceof ApiKeyInvalidError && !error.message.includes('Evil'),
    );
    await t.close();
  });
});

describe('errors by meaning, not by status', () => {
  type Reply = (res: ServerResponse) => void;
  const cases: readonly [string, Reply, new (...args: never[]) => Error, ((e: never) => boolean)?][] = [
    ['405 + HTML page of an unknown host', (res) => html(res, 405), AccountNotFoundError],
    ['200 with an HTML body', (res) => html(res, 200), AccountNotFoundError],
    ['404 "Account does not exist."', (res) => json(res, 404, { success: false, errorMsg: 'Account does not exist.' }), AccountNotFoundError],
    ['403 missing key', (res) => json(res, 403, { success: false, errorMsg: '"apiKey" is missing.' }), ApiKeyMissingError],
    ['403 wrong key', (res) => json(res, 403, { success: false, errorMsg: 'Wrong "apiKey" value.' }), ApiKeyInvalidError],
    ['404 wrong key (status differs, meaning same)', (res) => json(res, 404, { success: false, errorMsg: 'Wrong "apiKey" value.' }), ApiKeyInvalidError],
    ['403 access denied', (res) => json(res, 403, { success: false, errorMsg: 'Access denied.' }), AccessDeniedError],
    ['403 key restricted by IP', (res) => json(res, 403, { success: false, errorMsg: 'Forbidden' }), AccessDeniedError],
    [
      '400 validation with per-field errors',
      (res) => json(res, 400, { success: false, errorMsg: 'Errors in the entity format', errors: { code: 'Code prefix must match integrationCode' } }),
      CrmValidationFailedError,
      (e: CrmValidationFailedError) => (e.errors as Record<string, string>).code === 'Code prefix must match integrationCode' && /code: Code prefix/.test(String(e.params.details)),
    ],
    ["400 Parameter 'x' is missing", (res) => json(res, 400, { success: false, errorMsg: "Parameter 'by' is missing" }), CrmValidationFailedError],
    [
      '402 insufficient funds',
      (res) => json(res, 402, { success: false, errorMsg: 'Failed to activate module', errors: ['Your account has insufficient funds to activate integration module'] }),
      PaymentRequiredError,
      (e: PaymentRequiredError) => Array.isArray(e.errors) && e.status === 402,
    ],
    ['404 API method not found', (res) => json(res, 404, { success: false, errorMsg: 'API method not found' }), CrmRejectedError],
    ['503 HTML (rate limit), never parsed', (res) => html(res, 503), RateLimitedError, (e: RateLimitedError) => e.retryAfterMs === undefined],
    ['503 with a JSON-looking body is still the rate limit', (res) => json(res, 503, '{"success":true,"scopes":[]}'), RateLimitedError],
    ['429 with Retry-After', (res) => json(res, 429, '', { 'retry-after': '3' }), RateLimitedError, (e: RateLimitedError) => e.retryAfterMs === 3000],
    ['500 Application error', (res) => json(res, 500, { success: false, errorMsg: 'Application error' }), CrmUnavailableError, (e: CrmUnavailableError) => e.errorMsg === 'Application error'],
    ['502 HTML from a proxy is an outage, not a missing account', (res) => html(res, 502), CrmUnavailableError],
    ['200 not JSON', (res) => json(res, 200, 'oops'), UnexpectedResponseError],
    ['200 JSON without success', (res) => json(res, 200, { scopes: [] }), UnexpectedResponseError],
    ['200 wrong shape', (res) => json(res, 200, { success: true, scopes: 'all' }), UnexpectedResponseError, (e: UnexpectedResponseError) => e.problems[0] === 'scopes: invalid_type'],
    ['302 redirect (not followed)', (res) => { res.writeHead(302, { location: 'http://127.0.0.1:1/' }); res.end(); }, UnexpectedResponseError],
  ];

  for (const [label, reply, expected, extra] of cases) {
    it(`${label} → ${expected.name}`, async () => {
      const s = await serve((_req, res) => reply(res));
      const crm = clientFor(s.url);
      await assert.rejects(crm.credentials(), (error: unknown) => {
        assert.ok(error instanceof expected, `got ${String(error)}`);
        assert.ok(!(error as Error).message.includes(KEY));
        if (extra) assert.ok(extra(error as never), 'details on the error');
        return true;
      });
      assert.equal(s.seen.length, 1, 'noRetries: one request');
    });
  }

  it('layers: validation/denied are CrmApiError, outage/unexpected are CrmHttpError', () => {
    const target = { method: 'GET', path: '/p' };
    assert.ok(new AccessDeniedError(target) instanceof CrmApiError);
    assert.ok(new CrmUnavailableError(target) instanceof CrmHttpError);
    assert.equal(new AccessDeniedError(target).code, 'RCMK_ACCESS_DENIED');
  });

  it('a CRM that echoes the key gets it redacted from errorMsg, errors and the message', async () => {
    const s = await serve((_req, res) => json(res, 403, { success: false, errorMsg: `Wrong "apiKey" value ${KEY}`, errors: { apiKey: KEY } }));
    const crm = clientFor(s.url);
    await assert.rejects(crm.credentials(), (error: unknown) => {
      assert.ok(error instanceof CrmRejectedError);
      assert.ok(!JSON.stringify({ m: error.message, e: error.errorMsg, r: error.errors, p: error.params }).includes(KEY));
      assert.match(error.errorMsg ?? '', /\[redacted\]/);
      return true;
    });
  });
});

describe('retries', () => {
  it('GET retries 503, 429 and 500, then succeeds', async () => {
    const s = await serve((_req, res, _b, n) => {
      if (n === 1) return html(res, 503);
      if (n === 2) return json(res, 429, '');
      if (n === 3) return json(res, 500, { success: false, errorMsg: 'Service overloaded.' });
      json(res, 200, CREDENTIALS);
    });
    const crm = clientFor(s.url, rapidRetriesForTests);
    assert.deepEqual((await crm.credentials()).scopes, ['integration_read']);
    assert.equal(s.seen.length, 4);
  });

  it('honours Retry-After', async () => {
    const s = await serve((_req, res, _b, n) => (n === 1 ? json(res, 429, '', { 'retry-after': '1' }) : json(res, 200, CREDENTIALS)));
    const crm = clientFor(s.url, rapidRetriesForTests);
    const started = Date.now();
    await crm.credentials();
    assert.ok(Date.now() - started >= 990, `waited ${Date.now() - started} ms`);
    assert.equal(s.seen.length, 2);
  });

  it('gives up with the last error when retries run out', async () => {
    const s = await serve((_req, res) => html(res, 503));
    const crm = clientFor(s.url, rapidRetriesForTests);
    await assert.rejects(crm.credentials(), RateLimitedError);
    assert.equal(s.seen.length, 1 + rapidRetriesForTests.retries);
  });

  it('never retries "your input is wrong"', async () => {
    for (const reply of [
      (res: ServerResponse) => json(res, 403, { success: false, errorMsg: 'Wrong "apiKey" value.' }),
      (res: ServerResponse) => html(res, 405),
      (res: ServerResponse) => json(res, 400, { success: false, errorMsg: 'Errors in the entity format' }),
      (res: ServerResponse) => json(res, 402, { success: false }),
    ]) {
      const s = await serve((_req, res) => reply(res));
      await assert.rejects(clientFor(s.url, rapidRetriesForTests).credentials());
      assert.equal(s.seen.length, 1);
    }
  });

  it('edit (an upsert) is retried after a 500; update-scopes is not, but is after a 503', async () => {
    const edit = await serve((_req, res, _b, n) => (n === 1 ? json(res, 500, '') : json(res, 200, { success: true, info: [] })));
    await clientFor(edit.url, rapidRetriesForTests).editIntegrationModule({ code: 'd', name: 'D', clientId: 'c' });
    assert.equal(edit.seen.length, 2);

    const scopes500 = await serve((_req, res, _b, n) => (n === 1 ? json(res, 500, '') : json(res, 200, { success: true, apiKey: 'k2' })));
    await assert.rejects(clientFor(scopes500.url, rapidRetriesForTests).updateScopes('d', ['integration_read']), CrmUnavailableError);
    assert.equal(scopes500.seen.length, 1, 'a second call could issue a second key');

    const scopes503 = await serve((_req, res, _b, n) => (n === 1 ? html(res, 503) : json(res, 200, { success: true, apiKey: 'k2' })));
    assert.equal(await clientFor(scopes503.url, rapidRetriesForTests).updateScopes('d', ['integration_read']), 'k2');
    assert.equal(scopes503.seen.length, 2);
  });

  it('the total deadline ends a call that keeps failing slowly', async () => {
    const s = await serve((_req, res) => setTimeout(() => html(res, 503), 150));
    const policy: RetryPolicy = { ...rapidRetriesForTests, retries: 100, deadlineMs: 500 };
    const started = Date.now();
    await assert.rejects(clientFor(s.url, policy).credentials(), (error: unknown) => error instanceof TimeoutError || error instanceof RateLimitedError);
    const took = Date.now() - started;
    // Lower bound: the deadline was waited for. Upper bound: generous for a loaded machine, yet far below the
    // 100 retries × 150 ms the policy would otherwise allow.
    assert.ok(took >= 450 && took < 2500, `took ${took} ms`);
    // It retried (≥ 2; a loaded machine may fit fewer than the 3-4 attempts of an idle one), and no attempt began after the deadline.
    assert.ok(s.seen.length >= 2 && s.seen.length <= 4, `${s.seen.length} attempts`);
  });

  it('the deadline cuts a hanging request: TimeoutError (deadline)', async () => {
    const s = await serve(() => undefined);
    const started = Date.now();
    await assert.rejects(
      clientFor(s.url, { ...rapidRetriesForTests, deadlineMs: 300 }).credentials(),
      (error: unknown) => error instanceof TimeoutError && error.phase === 'deadline',
    );
    // The server never answers, and the request timeout is 15 s: only the 300 ms deadline can end the call this soon.
    const took = Date.now() - started;
    assert.ok(took < 2500, `took ${took} ms`);
  });

  it('backoff: exponential with jitter, Retry-After wins, stops at the deadline', () => {
    const policy: RetryPolicy = { name: 't', retries: 4, minDelayMs: 100, maxDelayMs: 500, factor: 2, jitter: 0.5, deadlineMs: 10_000, rateLimitedMinDelayMs: 0, maxRetryAfterMs: 2000 };
    const e = { code: 'RCMK_CRM_UNAVAILABLE' as const, retryAfterMs: undefined };
    assert.deepEqual([0, 1, 2, 3].map((r) => nextDelayMs(policy, r, e, 10_000, () => 0)), [100, 200, 400, 500]);
    assert.deepEqual([0, 1, 2, 3].map((r) => nextDelayMs(policy, r, e, 10_000, () => 1)), [50, 100, 200, 250]);
    assert.equal(nextDelayMs(policy, 4, e, 10_000), undefined, 'no retries left');
    assert.equal(nextDelayMs(policy, 0, { ...e, retryAfterMs: 1500 }, 10_000, () => 0), 1500);
    assert.equal(nextDelayMs(policy, 0, { ...e, retryAfterMs: 5000 }, 10_000), undefined, 'Retry-After beyond the policy');
    assert.equal(nextDelayMs(policy, 2, e, 300, () => 0), undefined, 'past the deadline');
    assert.equal(nextDelayMs({ ...policy, rateLimitedMinDelayMs: 1000 }, 0, { code: 'RCMK_RATE_LIMITED', retryAfterMs: undefined }, 10_000, () => 0), 1000);
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 7_000), 3000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('transport', () => {
  it('no answer: connection refused → NetworkError (before send)', async () => {
    const s = await serve(() => undefined);
    await s.close();
    await assert.rejects(clientFor(s.url).credentials(), (error: unknown) => error instanceof NetworkError && error.beforeSend);
  });

  it('a connection dropped mid-request → NetworkError, not marked as unsent', async () => {
    const s = await serve((req) => req.socket.destroy());
    await assert.rejects(clientFor(s.url).credentials(), (error: unknown) => error instanceof NetworkError && !error.beforeSend);
  });

  it('per-request timeout → TimeoutError (request)', async () => {
    const s = await serve(() => undefined);
    await assert.rejects(
      clientFor(s.url, noRetries, { requestTimeoutMs: 200 }).credentials(),
      (error: unknown) => error instanceof TimeoutError && error.phase === 'request',
    );
  });

  it('a body that trickles in past a long budget is cut (undici only times out between chunks)', async () => {
    let timer: NodeJS.Timeout | undefined;
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"success":true,"scopes":["');
      timer = setInterval(() => res.write('x'), 200); // a chunk well inside undici's per-chunk timeout, forever
    });
    const started = Date.now();
    try {
      // 3.5 s: above the precise-timer threshold, so the shared body sweeper is what ends it.
      await assert.rejects(
        clientFor(s.url, noRetries, { requestTimeoutMs: 3500 }).credentials(),
        (error: unknown) => error instanceof TimeoutError && error.phase === 'request',
      );
    } finally {
      clearInterval(timer);
    }
    const took = Date.now() - started;
    assert.ok(took >= 3400 && took < 6000, `took ${took} ms`);
  });

  it('an answer over the size limit → NetworkError', async () => {
    const s = await serve((_req, res) => json(res, 200, { success: true, scopes: ['x'.repeat(5000)] }));
    await assert.rejects(
      clientFor(s.url, noRetries, { maxResponseBytes: 1000 }).credentials(),
      (error: unknown) => error instanceof NetworkError && /too large/.test(error.message),
    );
  });

  it('keeps connections alive: ten sequential calls share one connection, concurrent ones get their own', async () => {
    const s = await serve((_req, res) => json(res, 200, CREDENTIALS));
    const crm = clientFor(s.url);
    for (let i = 0; i < 10; i += 1) await crm.credentials();
    // undici frees a socket one turn after its response ended; without the transport's wait for that turn the
    // second call opened a second connection (a second TLS handshake to the account, on every connect).
    assert.equal(s.connections(), 1);
    await Promise.all([crm.credentials(), crm.credentials(), crm.credentials()]);
    assert.equal(s.connections(), 3, 'calls in flight together are not queued behind one socket');
  });

  it('logs method, path, status and duration, never the key', async () => {
    const s = await serve((_req, res, _b, n) => (n === 1 ? json(res, 200, CREDENTIALS) : json(res, 403, { success: false, errorMsg: KEY })));
    const lines: { level: string; object: Record<string, unknown>; message: string }[] = [];
    const logger: CrmLogger = {
      debug: (object, message) => lines.push({ level: 'debug', object, message }),
      warn: (object, message) => lines.push({ level: 'warn', object, message }),
    };
    const crm = clientFor(s.url, noRetries, { logger });
    await crm.credentials();
    await assert.rejects(crm.credentials());
    const first = lines[0]?.object.crm as Record<string, unknown>;
    assert.equal(first.method, 'GET');
    assert.equal(first.path, '/api/credentials');
    assert.equal(first.status, 200);
    assert.equal(typeof first.durationMs, 'number');
    assert.ok(!JSON.stringify(lines).includes(KEY));
  });

  it('works with a real pino logger', async () => {
    const { pino } = await import('pino');
    const chunks: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (chunk: string) => chunks.push(chunk) });
    const s = await serve((_req, res) => json(res, 200, CREDENTIALS));
    await clientFor(s.url, noRetries, { logger }).credentials();
    assert.match(chunks.join(''), /"path":"\/api\/credentials".*"status":200/);
    assert.ok(!chunks.join('').includes(KEY));
  });
});
