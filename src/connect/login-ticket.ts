/**
 * Login tickets: how the person who just connected through the simple connection reaches the settings page.
 *
 * The CRM sends the browser to the accountUrl the register endpoint returned, with a plain GET and no clientId
 * (PROTOCOL §13.2 step 4), so that URL must itself say which connection it opens. It carries a ticket:
 * `v1.<connection id>.<expiry>.<nonce>.<mac>`, the MAC an HMAC-SHA256 over the rest under a key derived from the
 * module's secret. A ticket is short-lived, bound to one connection, and single-use (its nonce is claimed in the
 * store, so a second use fails in every instance). It holds no secret: the connection id is opaque, and neither
 * the clientId nor the API key appears in it.
 * @module
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { safeEqual } from '../store/seal.js';

/** How long a ticket opens the settings page: the CRM redirects at once; two minutes absorb slow hops and clock skew. */
export const LOGIN_TICKET_TTL_MS = 2 * 60 * 1000;

const VERSION = 'v1';

/** A 32-byte key for one purpose, derived from the module's simple-connection secret (HKDF-SHA256). */
export function deriveKey(secret: string, purpose: 'login-ticket' | 'register-claim' | 'ticket-claim'): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `retailcrm-module-kit/${purpose}`, 32));
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

/** A new ticket for `connectionId`, valid until `now + ttlMs`. */
export function issueLoginTicket(key: Buffer, connectionId: string, now: Date, ttlMs = LOGIN_TICKET_TTL_MS): string {
  const body = [
    VERSION,
    Buffer.from(connectionId, 'utf8').toString('base64url'),
    (now.getTime() + ttlMs).toString(36),
    randomBytes(16).toString('base64url'),
  ].join('.');
  return `${body}.${mac(key, body)}`;
}

export type TicketCheck =
  | { readonly ok: true; readonly connectionId: string; readonly nonce: string; readonly expiresAt: Date }
  | { readonly ok: false; readonly reason: 'malformed' | 'mismatch' | 'expired' };

/** Checks form, signature and age; an expected "no" is a value (STYLE R4). Single use is the caller's claim. */
export function verifyLoginTicket(key: Buffer, ticket: string, now: Date): TicketCheck {
  const parts = ticket.split('.');
  if (parts.length !== 5 || ticket.length > 512) return { ok: false, reason: 'malformed' };
  const [version, id, expiry, nonce, signature] = parts as [string, string, string, string, string];
  if (version !== VERSION || !id || !nonce || !/^[0-9a-z]{1,12}$/.test(expiry)) return { ok: false, reason: 'malformed' };
  if (!safeEqual(mac(key, parts.slice(0, 4).join('.')), signature)) return { ok: false, reason: 'mismatch' };
  const expiresAt = new Date(Number.parseInt(expiry, 36));
  if (!(expiresAt.getTime() > now.getTime())) return { ok: false, reason: 'expired' };
  return { ok: true, connectionId: Buffer.from(id, 'base64url').toString('utf8'), nonce, expiresAt };
}
