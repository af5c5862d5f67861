import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { callEmulator } from './http-client.js';
import { startEmulator, type EmulatorHandle } from './index.js';

describe('emulator rate limit over HTTP (10/s per IP per account, 503 HTML)', () => {
  // The limiter runs on an injected clock: frozen during a burst, so exactly the budget passes however slowly a
  // loaded CI machine delivers the requests; stepped by the test where spacing matters.
  let clock = 0;
  let crm: EmulatorHandle;
  const keys: Record<string, string> = {};
  const hit = (account: string, path = '/api/credentials', apiKey = keys[account]) =>
    callEmulator(crm.port, `${account}.localhost:${crm.port}`, path, { apiKey });

  before(async () => {
    crm = await startEmulator({ port: 0, now: () => clock });
    for (const name of ['burst', 'spread', 'tight', 'one', 'two', 'tel']) keys[name] = crm.createAccount({ name }).apiKey;
  });
  after(() => crm.close());

  it('a burst of 30 gets exactly 10 through and 20 answers 503 with an HTML body and no Retry-After', async () => {
    const replies = await Promise.all(Array.from({ length: 30 }, () => hit('burst')));
    const limited = replies.filter((r) => r.status === 503);
    assert.equal(replies.filter((r) => r.status === 200).length, 10);
    assert.equal(limited.length, 20);
    for (const r of limited) {
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.match(r.text, /503 Service Temporarily Unavailable/);
      assert.equal(r.headers['retry-after'], undefined);
    }
    const journal = crm.requests('burst');
    assert.equal(journal.filter((e) => e.status === 503).length, 20);
  });

  it('25 calls 110 ms apart all pass (any 1 s holds at most 10 of them; a stricter or coarser limiter fails)', async () => {
    // Calls i and i+10 are 1,100 ms apart: an exact 10/s sliding window admits every one, while a limiter that
    // counts 10 per window longer than 1.1 s, or fewer than 10 per second, refuses some from the 11th on.
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      clock = 10_000 + i * 110;
      statuses.push((await hit('spread')).status);
    }
    assert.deepEqual(statuses, Array(25).fill(200));
  });

  it('the 11th call within one second is refused, and passes once the first is a second old', async () => {
    const at = async (ms: number) => {
      clock = 20_000 + ms;
      return (await hit('tight')).status;
    };
    for (let i = 0; i < 10; i++) assert.equal(await at(i * 90), 200, `call ${i}`);
    assert.equal(await at(999), 503, '11th call inside the second of the first');
    assert.equal(await at(1000), 200, 'the first call is now a second old');
    assert.equal(await at(1001), 503, 'the second call (at 90 ms) is not');
  });

  it('two accounts do not share a budget', async () => {
    clock = 30_000;
    const replies = await Promise.all([...Array.from({ length: 10 }, () => hit('one')), ...Array.from({ length: 10 }, () => hit('two'))]);
    assert.deepEqual(replies.map((r) => r.status), Array(20).fill(200));
    assert.equal((await hit('one')).status, 503);
  });

  it('telephony methods get 40/s', async () => {
    clock = 40_000;
    const replies = await Promise.all(Array.from({ length: 45 }, () => hit('tel', '/api/v5/telephony/call/event')));
    assert.equal(replies.filter((r) => r.status === 503).length, 5);
  });

  it('per-key mode gives each key its own budget', async () => {
    const byKey = await startEmulator({ port: 0, rateLimit: { by: 'key' }, now: () => 0 });
    try {
      const a = byKey.createAccount({ name: 'keyed' }).apiKey;
      const b = byKey.createApiKey('keyed').apiKey;
      const call = (apiKey: string) => callEmulator(byKey.port, `keyed.localhost:${byKey.port}`, '/api/api-versions', { apiKey });
      const replies = await Promise.all([...Array.from({ length: 10 }, () => call(a)), ...Array.from({ length: 10 }, () => call(b))]);
      assert.deepEqual(replies.map((r) => r.status), Array(20).fill(200));
      assert.equal((await call(a)).status, 503);
    } finally {
      await byKey.close();
    }
  });
});

describe('emulator faults', () => {
  let crm: EmulatorHandle;
  let key: string;
  const hit = (path = '/api/credentials', method: 'GET' | 'POST' = 'GET') =>
    callEmulator(crm.port, `demo.localhost:${crm.port}`, path, { apiKey: key, method });

  before(async () => {
    crm = await startEmulator({ port: 0, rateLimit: false });
    key = crm.createAccount({ name: 'demo' }).apiKey;
    crm.createAccount({ name: 'other' });
  });
  after(() => crm.close());

  it('answers with the fault status and body the given number of times, then normally', async () => {
    crm.addFault({ path: '/api/credentials', status: 500, body: { success: false, errorMsg: 'Application error' }, times: 2 });
    assert.equal((await hit()).status, 500);
    const second = await hit();
    assert.equal(second.status, 500);
    assert.deepEqual(second.json, { success: false, errorMsg: 'Application error' });
    assert.equal((await hit()).status, 200);
    assert.equal(crm.faults().length, 0);
  });

  it('supports a string body with a content type, e.g. a 402 or an HTML error page', async () => {
    crm.addFault({ path: '/api/credentials', status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' });
    const reply = await hit();
    assert.equal(reply.status, 502);
    assert.match(String(reply.headers['content-type']), /^text\/html/);
    assert.equal(reply.text, '<html>bad gateway</html>');
    crm.clearFaults();
    assert.equal((await hit()).status, 200);
  });

  it('matches by account, method and path prefix (trailing *)', async () => {
    crm.addFault({ account: 'other', path: '/api/*', status: 503 });
    assert.equal((await hit()).status, 200);
    crm.clearFaults();
    crm.addFault({ method: 'post', path: '/api/v5/*', status: 402 });
    assert.equal((await hit('/api/v5/reference/sites')).status, 200);
    assert.equal((await hit('/api/v5/integration-modules/x/edit', 'POST')).status, 402);
    crm.clearFaults();
  });

  it('delays a call and then lets it through', async () => {
    crm.addFault({ path: '/api/credentials', delayMs: 300, times: 1 });
    const started = performance.now();
    const reply = await hit();
    assert.equal(reply.status, 200);
    assert.ok(performance.now() - started >= 280, 'the call was not delayed');
  });

  it('delays and then answers the fault status (a slow error)', async () => {
    crm.addFault({ path: '/api/credentials', delayMs: 200, status: 504, times: 1 });
    const started = performance.now();
    assert.equal((await hit()).status, 504);
    assert.ok(performance.now() - started >= 180);
  });

  it('drops the connection on a reset fault, and records it', async () => {
    crm.addFault({ path: '/api/credentials', reset: true, times: 1 });
    await assert.rejects(
      request(`http://127.0.0.1:${crm.port}/api/credentials`, { headers: { host: `demo.localhost:${crm.port}`, 'x-api-key': key } }),
      (error: Error & { code?: string }) => /SocketError|ECONNRESET|UND_ERR_SOCKET|other side closed/i.test(`${error.name} ${error.code} ${error.message}`),
    );
    const last = crm.requests('demo').at(-1);
    assert.equal(last?.status, 0);
    assert.ok(last?.fault);
    assert.equal((await hit()).status, 200);
  });

  it('an after-fault lets the call run, then loses its answer: the edit is stored although the module saw 500 or a reset', async () => {
    const code = 'after-fault';
    const registration = { code, name: 'After', clientId: 'client-after', active: true };
    const edit = (clientId: string) =>
      callEmulator(crm.port, `demo.localhost:${crm.port}`, `/api/v5/integration-modules/${code}/edit`, {
        apiKey: key,
        form: { integrationModule: JSON.stringify({ ...registration, clientId }) },
      });
    crm.addFault({ path: `/api/v5/integration-modules/${code}/edit`, after: true, status: 500, times: 1 });
    assert.equal((await edit('client-one')).status, 500);
    assert.equal(crm.integrationModules('demo').find((m) => m.code === code)?.clientId, 'client-one');
    crm.addFault({ path: `/api/v5/integration-modules/${code}/edit`, after: true, reset: true, times: 1 });
    await assert.rejects(edit('client-two'));
    assert.equal(crm.integrationModules('demo').find((m) => m.code === code)?.clientId, 'client-two');
    assert.equal((await edit('client-three')).status, 200);
  });

  it('keeps a rule without times until it is deleted', async () => {
    const { id } = crm.addFault({ path: '/api/api-versions', status: 500 });
    for (let i = 0; i < 3; i++) assert.equal((await hit('/api/api-versions')).status, 500);
    crm.removeFault(id);
    assert.equal((await hit('/api/api-versions')).status, 200);
  });

  it('refuses a rule that would do nothing', () => {
    assert.throws(() => crm.addFault({ path: '/api/credentials' }), { code: 'RCMK_EMULATOR_REQUEST_INVALID' });
  });
});
