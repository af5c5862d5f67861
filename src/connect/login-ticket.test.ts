import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveKey, issueLoginTicket, LOGIN_TICKET_TTL_MS, verifyLoginTicket } from './login-ticket.js';

const key = deriveKey('partner-secret', 'login-ticket');
const now = new Date('2026-05-01T10:00:00Z');
const id = '6f1c7a0e-8d2b-4c55-9b0e-2f5a1e3d4c6b';

describe('login tickets', () => {
  it('a fresh ticket verifies and names its connection; it holds no secret, only the opaque id', () => {
    const ticket = issueLoginTicket(key, id, now);
    const check = verifyLoginTicket(key, ticket, new Date(now.getTime() + 1000));
    assert.equal(check.ok, true);
    assert.equal(check.ok && check.connectionId, id);
    assert.equal(check.ok && check.expiresAt.getTime(), now.getTime() + LOGIN_TICKET_TTL_MS);
    assert.doesNotMatch(ticket, /partner-secret/);
  });

  it('two tickets for one connection differ (each has its own nonce, so each is single-use on its own)', () => {
    assert.notEqual(issueLoginTicket(key, id, now), issueLoginTicket(key, id, now));
  });

  it('refuses an expired ticket', () => {
    const ticket = issueLoginTicket(key, id, now);
    assert.deepEqual(verifyLoginTicket(key, ticket, new Date(now.getTime() + LOGIN_TICKET_TTL_MS)), { ok: false, reason: 'expired' });
  });

  it('refuses a tampered ticket: another connection id, a later expiry, a changed MAC, another key', () => {
    const ticket = issueLoginTicket(key, id, now);
    const [v, , exp, nonce, mac] = ticket.split('.') as [string, string, string, string, string];
    const otherId = Buffer.from('another-connection').toString('base64url');
    const later = (Number.parseInt(exp, 36) + 3_600_000).toString(36);
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [[v, otherId, exp, nonce, mac], [v, ticket.split('.')[1], later, nonce, mac], [v, ticket.split('.')[1], exp, nonce, flipped]])
      assert.deepEqual(verifyLoginTicket(key, forged.join('.'), now), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifyLoginTicket(deriveKey('other-secret', 'login-ticket'), ticket, now), { ok: false, reason: 'mismatch' });
  });

  it('refuses malformed input without throwing', () => {
    for (const bad of ['', 'x', 'v1.a.b.c', 'v2.a.zz.n.m', 'v1.a.ZZ!.n.m', `${'a'.repeat(600)}.b.c.d.e`])
      assert.deepEqual(verifyLoginTicket(key, bad, now), { ok: false, reason: 'malformed' });
  });

  it('keys for different purposes differ', () => {
    assert.notDeepEqual(deriveKey('s', 'login-ticket'), deriveKey('s', 'register-claim'));
    assert.equal(deriveKey('s', 'ticket-claim').length, 32);
  });
});
