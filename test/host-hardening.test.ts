/**
 * The smaller findings of issue 14 (item 7), module side: log redaction that parses the query, a CRM error that
 * echoes the clientId, request/header/idle/keep-alive timeouts, and the Host header check in production.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { defineModule } from '../src/connect/module-definition.js';
import { redactUrl } from '../src/host/security.js';
import { startModule } from '../src/host/start-module.js';
import { KNOWN_SCOPES } from '../src/protocol/index.js';
import { generateKeyEntry, parseKeyring } from '../src/store/keyring.js';
import { openConnectionStore } from '../src/store/open-connection-store.js';
import { alertText, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

describe('log redaction parses the query', () => {
  it('redacts secret parameters however their names are spelled or encoded', () => {
    for (const url of [
      '/settings?clientId=SECRET1',
      '/settings?client%49d=SECRET1',
      '/settings?clientId[]=SECRET1',
      '/settings?clientId%5B%5D=SECRET1',
      '/settings?CLIENTID=SECRET1',
      '/settings?a=1&apiKey=SECRET1&b=2',
      '/settings?api_key=SECRET1',
      '/settings?ticket=SECRET1#frag',
      '/settings?x=1&%63lientId=SECRET1',
      '/settings?entry=SECRET1',
    ]) {
      const redacted = redactUrl(url);
      assert.ok(!redacted.includes('SECRET1'), `${url} → ${redacted}`);
      assert.match(redacted, /\[redacted\]/, url);
    }
    assert.equal(redactUrl('/connect?account=https%3A%2F%2Fdemo.retailcrm.ru&lang=ru'), '/connect?account=https%3A%2F%2Fdemo.retailcrm.ru&lang=ru');
    assert.equal(redactUrl('/settings?clientId=%zz'), '/settings?clientId=[redacted]', 'malformed encoding still redacted');
    assert.equal(redactUrl('/health'), '/health');
  });
});

describe('a CRM error that echoes the clientId does not show it on the page', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('the failure message names the problem without the clientId', async () => {
    const page = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(done.status, 303);
    const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(connection);
    h.emulator.addFault({
      path: '/api/v5/integration-modules/acme-sync/edit',
      status: 400,
      body: { success: false, errorMsg: 'Errors in the entity format', errors: { clientId: `The clientId "${connection.clientId}" is already used` } },
      times: 5,
    });
    const { apiKey } = h.emulator.createApiKey('demo', { scopes: [...KNOWN_SCOPES] });
    const again = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const failed = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey, ...goodSettings, _csrf: inputValue(again.body, '_csrf') ?? '' });
    assert.equal(failed.status, 422);
    assert.match(alertText(failed.body) ?? '', /is already used/);
    assert.ok(!failed.body.includes(connection.clientId), 'the clientId is not on the page');
  });
});

describe('timeouts: a slow client cannot hold a connection', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, { start: { timeouts: { requestMs: 600, headersMs: 400, keepAliveMs: 300, idleMs: 2_000 } } });
  });
  after(async () => h.close());

  /** Milliseconds until the server closes a socket that sends `head`, then a byte every 100 ms; capped at `capMs`. */
  function closedAfter(head: string, trickle: boolean, capMs: number): Promise<number> {
    const port = Number(new URL(h.module.url).port);
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = tcp(port, '127.0.0.1', () => socket.write(head));
      const timer = trickle ? setInterval(() => socket.writable && socket.write('a'), 100) : undefined;
      const done = () => {
        if (timer) clearInterval(timer);
        clearTimeout(cap);
        resolve(Date.now() - started);
      };
      const cap = setTimeout(() => {
        socket.destroy();
        done();
      }, capMs);
      socket.on('data', () => {});
      socket.on('close', done);
      socket.on('error', () => {});
    });
  }

  it('a body that trickles is cut off by the request timeout', async () => {
    const head = 'POST /connect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n';
    const took = await closedAfter(head, true, 5_000);
    assert.ok(took < 3_000, `closed after ${took} ms`);
  });

  it('headers that never end are cut off by the headers timeout', async () => {
    const took = await closedAfter('GET /connect HTTP/1.1\r\nHost: 127.0.0.1\r\n', false, 5_000);
    assert.ok(took < 3_000, `closed after ${took} ms`);
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const took = await closedAfter('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', false, 5_000);
    assert.ok(took < 2_000, `closed after ${took} ms`);
  });
});

describe('production: the Host header must be the module\'s own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-host-'));
  let url = '';
  let close = async () => {};
  before(async () => {
    const keyring = parseKeyring(generateKeyEntry('prod'));
    const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring });
    const module = await startModule({
      module: defineModule({ integrationCode: 'acme-sync', name: 'Acme', logo: 'https://module.example/logo.svg', baseUrl: 'https://module.example', scopes: [] }),
      production: true,
      store,
      keyring,
      cookieSecret: 'a-test-cookie-secret-of-32-characters!',
      logger: false,
    });
    url = module.url;
    close = async () => {
      await module.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  });
  after(async () => close());

  it('another Host gets 421; the module\'s host is served; /health answers any Host', async () => {
    const foreign = await request(`${url}/connect`, { headers: { host: 'evil.example' } });
    assert.equal(foreign.statusCode, 421);
    await foreign.body.dump();
    const own = await request(`${url}/connect`, { headers: { host: 'module.example' } });
    assert.equal(own.statusCode, 200);
    await own.body.dump();
    const probe = await request(`${url}/health`, { headers: { host: '10.0.0.7:8080' } });
    assert.equal(probe.statusCode, 200);
    await probe.body.dump();
  });
});

describe('server-to-server answers carry nosniff, without the pages\' cookies', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('/health, an activity callback (refused or not) and a refused body: nosniff, no set-cookie', async () => {
    const base = h.module.url;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const answers = [
      await request(`${base}/health`),
      await request(`${base}/activity`, { method: 'POST', headers: form, body: 'clientId=unknown&activity=%7B%22active%22%3Atrue%2C%22freeze%22%3Afalse%7D' }),
      await request(`${base}/activity`, { method: 'POST', headers: form, body: 'clientId=a&clientId=b' }),
      await request(`${base}/activity`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<x/>' }),
    ];
    assert.deepEqual(answers.map((a) => a.statusCode), [200, 404, 400, 415]);
    for (const answer of answers) {
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['set-cookie'], undefined);
      assert.match(String(answer.headers['content-type']), /application\/json/);
      await answer.body.dump();
    }
  });
});
