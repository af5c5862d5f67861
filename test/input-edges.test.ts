/**
 * The host's input edge (issue 14, item 3): repeated parameters, bodies that are not a browser's form, JSON with
 * numbers where strings go, and request lines Node cannot parse. Each gets a 4xx, never a 500.
 */
import assert from 'node:assert/strict';
import { connect as tcp } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;

async function send(method: 'GET' | 'POST', path: string, body?: { type: string; text: string }, headers: Record<string, string> = {}) {
  const response = await request(`${h.module.url}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': body.type } : {}), ...headers },
    ...(body ? { body: body.text } : {}),
  });
  return { status: response.statusCode, type: String(response.headers['content-type'] ?? ''), text: await response.body.text() };
}

const json = (value: unknown) => ({ type: 'application/json', text: JSON.stringify(value) });
const form = (text: string) => ({ type: 'application/x-www-form-urlencoded', text });

/** What the socket receives for a raw request head. */
function raw(head: Buffer): Promise<string> {
  const port = Number(new URL(h.module.url).port);
  return new Promise((resolve, reject) => {
    const socket = tcp(port, '127.0.0.1', () => socket.write(head));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('input edge: every route validates what it is sent', () => {
  before(async () => {
    h = await startHarness();
    const page = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(done.status, 303);
  });
  after(async () => h.close());

  it('a repeated query parameter is refused with 400 on every page', async () => {
    for (const path of [
      '/settings?clientId=a&clientId=b',
      '/settings?ticket=a&ticket=b',
      '/connect?account=a&account=b',
      '/connect?lang=en&lang=ru',
      '/settings?notice=saved&notice=saved',
    ]) {
      const response = await send('GET', path);
      assert.equal(response.status, 400, path);
      assert.match(response.type, /text\/html/, path);
    }
    const post = await send('POST', '/settings?clientId=a&clientId=b', form('x=1'));
    assert.equal(post.status, 400);
  });

  it('a repeated form field is refused with 400', async () => {
    assert.equal((await send('POST', '/settings', form('clientId=a&clientId=b'))).status, 400);
    const page = await h.client.get(h.connectUrl);
    const csrf = inputValue(page.body, '_csrf') ?? '';
    const response = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: csrf });
    assert.equal(response.status, 303, 'the same form without repeats goes through');
    const fields = new URLSearchParams({ account: h.crmUrl, ...goodSettings, _csrf: csrf }).toString();
    const body = `${fields}&apiKey=a&apiKey=b`;
    const repeated = await request(h.connectUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `_csrf=${h.client.cookie('_csrf')}` }, body });
    assert.equal(repeated.statusCode, 400);
    await repeated.body.dump();
  });

  it('JSON, text and multipart bodies on the HTML routes get 415, whatever they hold', async () => {
    for (const path of ['/connect', '/settings', '/settings/api-key', '/settings/save', '/settings/disconnect']) {
      for (const body of [json({ clientId: 5 }), json({ apiKey: 123 }), json({ x: 1 }), json({ account: 5, apiKey: 123 }), { type: 'text/plain', text: 'clientId=5' }, { type: 'multipart/form-data; boundary=x', text: '--x--' }]) {
        const response = await send('POST', path, body);
        assert.equal(response.status, 415, `${path} ${body.text}`);
        assert.match(response.type, /text\/html/);
      }
    }
    assert.equal((await send('POST', '/settings', undefined)).status, 415, 'no body, no form');
  });

  it('the activity callback answers non-string fields with 400 in the CRM envelope', async () => {
    for (const body of [json({ clientId: 5, activity: '{"active":true,"freeze":false}' }), json({ x: 1 }), json([1, 2]), form('clientId=a&clientId=b&activity=%7B%7D')]) {
      const response = await send('POST', '/activity', body);
      assert.equal(response.status, 400, body.text);
      assert.equal(JSON.parse(response.text).success, false);
    }
  });

  it('a request line with invalid bytes gets a bodiless 400, HEAD or GET', async () => {
    for (const line of ['HEAD /settings\xff HTTP/1.1', 'HEAD /sett ings HTTP/1.1', 'GET /connect\x01 HTTP/1.1']) {
      const answer = await raw(Buffer.from(`${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1'));
      assert.match(answer, /^HTTP\/1\.1 400 /, line);
      const [, bodyText = ''] = answer.split('\r\n\r\n');
      assert.equal(bodyText, '', `no body after ${JSON.stringify(line)}`);
      assert.match(answer, /content-length: 0/i);
    }
    const head = await request(`${h.module.url}/settings%ff`, { method: 'HEAD' });
    assert.equal(head.statusCode, 400);
    await head.body.dump();
  });
});
