/**
 * Everything the module logs while a person connects, the CRM calls back and the settings page is used:
 * structured lines with the connection id, and not one API key or clientId (STYLE: secrets never in logs).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { KNOWN_SCOPES } from '../src/protocol/index.js';
import { inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

describe('logs never contain secrets', () => {
  let h: Harness;
  const lines: string[] = [];

  before(async () => {
    const stream = new PassThrough();
    stream.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    h = await startHarness({}, { logStream: stream });
  });
  after(async () => h.close());

  it('through connect, callbacks, settings and a key change', async () => {
    const form = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const wrongKey = 'AWrongKeyThatMustNotBeLogged0001';
    await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: wrongKey, ...goodSettings, _csrf: inputValue(form.body, '_csrf') ?? '' });
    const again = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(again.body, '_csrf') ?? '' });
    assert.equal(done.status, 303);
    const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(connection);

    await h.emulator.setActivity('demo', 'acme-sync', { active: false });
    // The query form, which lands in the URL: no session from a GET, the confirmation page's button opens it.
    const confirm = await h.client.get(`${h.module.url}/settings?clientId=${connection.clientId}`);
    await h.client.post(`${h.module.url}/settings/open`, { _csrf: inputValue(confirm.body, '_csrf') ?? '', entry: inputValue(confirm.body, 'entry') ?? '' });
    const page = await h.client.get(`${h.module.url}/settings`);
    const newKey = h.emulator.createApiKey('demo', { scopes: [...KNOWN_SCOPES] }).apiKey;
    const changed = await h.client.post(`${h.module.url}/settings/api-key`, { apiKey: newKey, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(changed.status, 303);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the last lines flush

    const all = lines.join('\n');
    assert.ok(lines.length > 10, `expected request logs, got ${lines.length} lines`);
    for (const secret of [h.apiKey, wrongKey, newKey, connection.clientId])
      assert.ok(!all.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the logs`);
    assert.ok(lines.some((line) => line.includes(`"connectionId":"${connection.id}"`)), 'lines carry the connection id');
    assert.ok(lines.some((line) => line.includes('"path":"/api/credentials"') && line.includes('"status":200')), 'CRM calls are logged');
    assert.ok(lines.some((line) => line.includes('clientId=[redacted]')), 'the clientId in a URL is redacted');
    for (const line of lines) JSON.parse(line); // structured: every line is JSON
  });
});
