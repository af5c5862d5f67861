/**
 * The pages' security headers: built once for routes without a policy of their own, left to @fastify/helmet for
 * routes that set one, and the same headers either way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { crmSources, securityHeaders } from './security.js';

async function app() {
  const server = Fastify({ logger: false });
  await securityHeaders(server, crmSources({ allowedDomains: new Set(['retailcrm.ru']), boxHosts: new Set(['crm.example.com']), allowLocal: false }));
  server.get('/page', async () => 'page');
  server.get('/own', { helmet: { referrerPolicy: { policy: 'same-origin' } } }, async () => 'own');
  server.get('/none', { helmet: false }, async () => 'none');
  return server;
}

describe('security headers', () => {
  it('a page gets the policy: nothing but our styles, framed and submitted only to the CRM, no referrer', async () => {
    const server = await app();
    const response = await server.inject('/page');
    const csp = response.headers['content-security-policy'] as string;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'self' https:\/\/\*\.retailcrm\.ru https:\/\/crm\.example\.com/);
    assert.match(csp, /form-action 'self' https:\/\/\*\.retailcrm\.ru/);
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], undefined, 'frame-ancestors governs framing');
    // The same headers on every request, not only the first (the middleware is built once and reused).
    const again = await server.inject('/page');
    assert.equal(again.headers['content-security-policy'], csp);
    await server.close();
  });

  it("a route's own helmet option is honoured: merged over the pages' policy, or no headers with `false`", async () => {
    const server = await app();
    const own = await server.inject('/own');
    assert.equal(own.headers['referrer-policy'], 'same-origin');
    assert.match(own.headers['content-security-policy'] as string, /default-src 'none'/);
    const none = await server.inject('/none');
    assert.equal(none.headers['content-security-policy'], undefined);
    assert.equal(none.headers['referrer-policy'], undefined);
    await server.close();
  });
});
