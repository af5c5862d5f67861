/**
 * startModule with a module built from its listening address: the socket listens before the routes exist, so a
 * request arriving then (a load balancer's health probe, a test polling for readiness) must wait, not crash.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { defineModule } from '../connect/module-definition.js';
import { generateKeyEntry } from '../store/keyring.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import { startModule } from './start-module.js';

describe('startModule({ module: (baseUrl) => … })', () => {
  it('builds the module with its real address and holds requests that arrive before it is ready', async () => {
    const store = await openConnectionStore({ databaseUrl: ':memory:', keyring: generateKeyEntry('t') });
    let early: Promise<number> | undefined;
    let seenBaseUrl = '';
    const running = await startModule({
      module: (baseUrl) => {
        seenBaseUrl = baseUrl;
        return defineModule({ integrationCode: 'early', name: 'Early', logo: 'https://e.example/logo.svg', baseUrl });
      },
      port: 0,
      store,
      cookieSecret: 'a-cookie-secret-that-is-long-enough-for-tests',
      logger: false,
      configure: async () => {
        // The socket already listens: this request reaches it while the routes are still being set up.
        early = request(`${seenBaseUrl}/health`).then(async (r) => {
          await r.body.text();
          return r.statusCode;
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
      },
    });
    try {
      assert.equal(running.url, seenBaseUrl);
      assert.equal(running.kit.module.baseUrl, seenBaseUrl);
      assert.equal(await early, 200);
    } finally {
      await running.close();
      await store.close();
    }
  });
});
