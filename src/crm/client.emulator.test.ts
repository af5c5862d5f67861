/**
 * The client against the CRM emulator (issue 3, "Done when"): each method, each error class (fault injection
 * and keys with missing rights), retries and backoff, the total deadline, and the rate limit: 30 calls to one
 * account take ≥ 2 s with no 503, and 10 accounts do not wait on each other.
 * `Retry-After` is covered in `client.test.ts`: the emulator's faults cannot set response headers.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { classifyResponse } from './classify.js';
import { createCrmClient } from './client.js';
import {
  AccessDeniedError,
  AccountNotFoundError,
  ApiKeyInvalidError,
  ApiKeyMissingError,
  CrmRejectedError,
  CrmUnavailableError,
  CrmValidationFailedError,
  NetworkError,
  PaymentRequiredError,
  RateLimitedError,
  TimeoutError,
  UnexpectedResponseError,
} from './errors.js';
import { CredentialsResponse } from '../protocol/index.js';
import { createMemoryRateLimiter } from './rate-limiter.js';
import { noRetries, rapidRetriesForTests, type RetryPolicy } from './retry.js';
import { createCrmTransport, type CrmTransport } from './transport.js';
import type { AccountUrl } from './types.js';

let emulator: EmulatorHandle;
let transport: CrmTransport;
let account: { name: string; url: string; apiKey: string };
let counter = 0;

before(async () => {
  emulator = await startEmulator({ port: 0 });
  transport = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: createMemoryRateLimiter() });
});
after(async () => {
  await transport.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  counter += 1;
  account = emulator.createAccount({ name: `acc${counter}` });
});

const client = (apiKey = account.apiKey, retry: RetryPolicy = noRetries, t: CrmTransport = transport) =>
  createCrmClient({ accountUrl: account.url, apiKey, transport: t, retry });

const MODULE = {
  code: 'demo-1',
  integrationCode: 'demo',
  active: true,
  name: 'Demo',
  clientId: 'client-0001',
  baseUrl: 'https://module.example',
  actions: { activity: '/activity' },
  accountUrl: 'https://module.example/settings',
};

describe('each method against the emulator', () => {
  it('apiVersions, credentials, systemInfo, sites', async () => {
    const crm = client();
    assert.ok((await crm.apiVersions()).versions.includes('5.0'));
    const credentials = await crm.credentials();
    assert.ok(credentials.scopes.includes('integration_write'));
    const info = await crm.systemInfo();
    assert.equal(typeof info.systemVersion, 'string');
    assert.ok(Object.keys(await crm.sites()).includes('main'));
  });

  it('edit (201 then 200), integrationModule, findIntegrationModule, updateScopes', async () => {
    const crm = client();
    assert.equal(await crm.findIntegrationModule(MODULE.code), undefined);
    assert.equal((await crm.editIntegrationModule(MODULE)).created, true);
    assert.equal((await crm.editIntegrationModule({ ...MODULE, name: 'Demo 2' })).created, false);
    const stored = await crm.integrationModule(MODULE.code);
    assert.equal(stored.name, 'Demo 2');
    assert.equal(stored.clientId, MODULE.clientId);
    assert.equal((await crm.findIntegrationModule(MODULE.code))?.code, MODULE.code);
    const newKey = await crm.updateScopes(MODULE.code, ['integration_read', 'integration_write', 'order_read']);
    assert.notEqual(newKey, account.apiKey);
    const scopes = (await client(newKey).credentials()).scopes;
    assert.ok(scopes.includes('order_read'));
  });

  it('findIntegrationModule surfaces the 404 of an account without API v5 instead of "not registered"', async () => {
    const legacy = emulator.createAccount({ name: `legacy${counter}`, apiVersions: ['4.0'] });
    const crm = createCrmClient({ accountUrl: legacy.url as AccountUrl, apiKey: legacy.apiKey, transport, retry: noRetries });
    await assert.rejects(
      crm.findIntegrationModule(MODULE.code),
      (error: unknown) => error instanceof CrmRejectedError && error.status === 404 && error.errorMsg === 'API method not found',
    );
    // A wrong key on that account is still a key error (the emulator checks the key before the missing method).
    const wrong = createCrmClient({ accountUrl: legacy.url as AccountUrl, apiKey: 'not-a-real-key', transport, retry: noRetries });
    await assert.rejects(wrong.findIntegrationModule(MODULE.code), ApiKeyInvalidError);
  });
});

describe('each error class against the emulator', () => {
  it('unknown account → AccountNotFoundError (the 405 HTML page)', async () => {
    const crm = createCrmClient({ accountUrl: emulator.accountUrl('nosuchaccount'), apiKey: 'x', transport, retry: noRetries });
    await assert.rejects(crm.credentials(), AccountNotFoundError);
  });

  it('wrong and revoked keys → ApiKeyInvalidError', async () => {
    await assert.rejects(client('not-a-real-key').credentials(), ApiKeyInvalidError);
    const { apiKey } = emulator.createApiKey(account.name, { scopes: ['integration_read'] });
    await client(apiKey).credentials();
    emulator.revokeApiKey(account.name, apiKey);
    await assert.rejects(client(apiKey).credentials(), ApiKeyInvalidError);
  });

  it('no key at all → ApiKeyMissingError (the transport used bare; the client refuses an empty key itself)', async () => {
    const response = await transport.request({ accountUrl: account.url as AccountUrl, method: 'GET', path: '/api/credentials', apiKey: '' });
    assert.throws(() => classifyResponse(response, CredentialsResponse, { method: 'GET', path: '/api/credentials' }), ApiKeyMissingError);
  });

  it('a key without integration rights → AccessDeniedError', async () => {
    const { apiKey } = emulator.createApiKey(account.name, { scopes: ['order_read'] });
    await assert.rejects(client(apiKey).editIntegrationModule(MODULE), AccessDeniedError);
    await assert.rejects(client(apiKey).integrationModule(MODULE.code), AccessDeniedError);
  });

  const faultCases: readonly [string, Parameters<EmulatorHandle['addFault']>[0], new (...args: never[]) => Error][] = [
    ['validation (400 entity format)', { path: '/api/credentials', status: 400, body: { success: false, errorMsg: 'Errors in the entity format', errors: { code: 'bad' } } }, CrmValidationFailedError],
    ['payment (402)', { path: '/api/credentials', status: 402, body: { success: false, errorMsg: 'Failed to activate module', errors: ['Your account has insufficient funds to activate integration module'] } }, PaymentRequiredError],
    ['rate limit (503 HTML)', { path: '/api/credentials', status: 503, body: '<html>503</html>', contentType: 'text/html' }, RateLimitedError],
    ['rate limit (429)', { path: '/api/credentials', status: 429, body: '' }, RateLimitedError],
    ['outage (500)', { path: '/api/credentials', status: 500 }, CrmUnavailableError],
    ['network (connection reset)', { path: '/api/credentials', reset: true }, NetworkError],
    ['unexpected (not JSON)', { path: '/api/credentials', status: 200, body: 'hello' }, UnexpectedResponseError],
    ['unexpected (wrong shape)', { path: '/api/credentials', status: 200, body: { success: true, scopes: 42 } }, UnexpectedResponseError],
    ['account not found (405 HTML)', { path: '/api/credentials', status: 405, body: '<html>405 Not Allowed</html>', contentType: 'text/html' }, AccountNotFoundError],
  ];
  for (const [label, fault, expected] of faultCases) {
    it(`${label} → ${expected.name}`, async () => {
      emulator.addFault({ account: account.name, ...fault });
      await assert.rejects(client().credentials(), (error: unknown) => {
        assert.ok(error instanceof expected, `got ${String(error)}`);
        assert.ok(!(error as Error).message.includes(account.apiKey));
        return true;
      });
    });
  }

  it('timeout (a slow answer) → TimeoutError', async () => {
    const slow = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: false, requestTimeoutMs: 200 });
    try {
      emulator.addFault({ account: account.name, path: '/api/credentials', delayMs: 1000, times: 1 });
      await assert.rejects(client(account.apiKey, noRetries, slow).credentials(), (error: unknown) => error instanceof TimeoutError && error.phase === 'request');
    } finally {
      await slow.close();
    }
  });
});

describe('retries against the emulator', () => {
  const apiCalls = (path: string) => emulator.requests(account.name).filter((entry) => entry.path === path);

  it('a GET retries two 503s and succeeds', async () => {
    emulator.addFault({ account: account.name, path: '/api/credentials', status: 503, body: '<html></html>', contentType: 'text/html', times: 2 });
    await client(account.apiKey, rapidRetriesForTests).credentials();
    assert.deepEqual(apiCalls('/api/credentials').map((entry) => entry.status), [503, 503, 200]);
  });

  it('edit retries a dropped connection and a 500, and the upsert leaves one registration', async () => {
    emulator.addFault({ account: account.name, path: `/api/v5/integration-modules/${MODULE.code}/edit`, reset: true, times: 1 });
    emulator.addFault({ account: account.name, path: `/api/v5/integration-modules/${MODULE.code}/edit`, status: 500, times: 1 });
    await client(account.apiKey, rapidRetriesForTests).editIntegrationModule(MODULE);
    assert.equal(apiCalls(`/api/v5/integration-modules/${MODULE.code}/edit`).length, 3);
    assert.equal(emulator.integrationModules(account.name).length, 1);
  });

  it('backs off exponentially between attempts', async () => {
    emulator.addFault({ account: account.name, path: '/api/credentials', status: 500, times: 2 });
    const policy: RetryPolicy = { ...rapidRetriesForTests, minDelayMs: 200, maxDelayMs: 1000, factor: 2, jitter: 0 };
    const started = Date.now();
    await client(account.apiKey, policy).credentials();
    const took = Date.now() - started;
    assert.ok(took >= 600, `200 + 400 ms of backoff, took ${took}`);
    // Generous for a loaded CI machine; still far below what an unbounded backoff (or ignored maxDelayMs) costs.
    assert.ok(took < 5000, `took ${took}`);
  });

  it('does not retry a refused key', async () => {
    await assert.rejects(client('wrong', rapidRetriesForTests).credentials(), ApiKeyInvalidError);
    assert.equal(apiCalls('/api/credentials').length, 1);
  });

  it('the total deadline ends the call', async () => {
    emulator.addFault({ account: account.name, path: '/api/credentials', delayMs: 3000 });
    const started = Date.now();
    await assert.rejects(
      client(account.apiKey, { ...rapidRetriesForTests, deadlineMs: 400 }).credentials(),
      (error: unknown) => error instanceof TimeoutError && error.phase === 'deadline',
    );
    // Well below the 3,000 ms the emulator holds the answer: the deadline, not the answer, ended the call.
    const took = Date.now() - started;
    assert.ok(took < 2500, `took ${took} ms`);
  });
});

describe('rate limiting against the emulator (10 requests/s per account)', () => {
  it('30 calls to one account take at least 2 s and earn no 503', async () => {
    const crm = client(); // noRetries: a 503 would surface as an error
    const started = Date.now();
    await Promise.all(Array.from({ length: 30 }, () => crm.credentials()));
    const took = Date.now() - started;
    assert.ok(took >= 2000, `took ${took} ms`);
    const statuses = emulator.requests(account.name).map((entry) => entry.status);
    assert.equal(statuses.length, 30);
    assert.ok(statuses.every((status) => status === 200), `statuses: ${statuses.join(',')}`);
  });

  it('two clients of one account share the budget', async () => {
    const [a, b] = [client(), client()];
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).credentials()));
    assert.ok(emulator.requests(account.name).every((entry) => entry.status === 200));
  });

  it('10 accounts do not wait on each other', async () => {
    const accounts = Array.from({ length: 10 }, (_, i) => emulator.createAccount({ name: `par${counter}x${i}` }));
    const started = Date.now();
    await Promise.all(
      accounts.map(async (acc) => {
        const crm = createCrmClient({ accountUrl: acc.url, apiKey: acc.apiKey, transport, retry: noRetries });
        await Promise.all(Array.from({ length: 10 }, () => crm.credentials()));
      }),
    );
    const took = Date.now() - started;
    // One shared 10/s budget would need at least 9 s for 100 calls; separate budgets need no waiting at all.
    assert.ok(took < 5000, `100 calls over 10 accounts took ${took} ms`);
    for (const acc of accounts) assert.ok(emulator.requests(acc.name).every((entry) => entry.status === 200));
  });
});
