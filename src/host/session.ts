/**
 * The settings page's session: which connection this browser opened from the CRM. A signed cookie holds the
 * connection's opaque id (never its clientId, which is a secret) and an expiry.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'rcmk_session';

export interface SessionOptions {
  readonly path: string;
  readonly secure: boolean;
  readonly ttlSeconds: number;
}

export function startSession(reply: FastifyReply, connectionId: string, options: SessionOptions): void {
  const expires = Date.now() + options.ttlSeconds * 1000;
  reply.setCookie(SESSION_COOKIE, `${connectionId}|${expires}`, {
    signed: true,
    httpOnly: true,
    // Lax: the CRM opens the page with a cross-site top-level POST, then we redirect to a GET, which carries it.
    sameSite: 'lax',
    secure: options.secure,
    path: options.path,
    maxAge: options.ttlSeconds,
  });
}

/** The connection id of a valid, unexpired session, or `undefined`. */
export function readSession(request: FastifyRequest): string | undefined {
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) return undefined;
  const unsigned = request.unsignCookie(cookie);
  if (!unsigned.valid || !unsigned.value) return undefined;
  const [connectionId, expires] = unsigned.value.split('|');
  if (!connectionId || !expires || Number(expires) < Date.now()) return undefined;
  return connectionId;
}

export function endSession(reply: FastifyReply, options: Pick<SessionOptions, 'path'>): void {
  reply.clearCookie(SESSION_COOKIE, { path: options.path });
}

/**
 * Starts the session and sends the browser to the clean settings page (post/redirect/get), keeping `?lang=`: the
 * one way in, whether the CRM posted a clientId or the simple connection handed over a login ticket.
 */
export function enterSettings(
  reply: FastifyReply,
  connectionId: string,
  options: SessionOptions & { readonly settingsPath: string },
  lang: string | undefined,
): FastifyReply {
  startSession(reply, connectionId, options);
  return reply.redirect(`${options.settingsPath}${lang ? `?lang=${encodeURIComponent(lang)}` : ''}`, 303);
}
