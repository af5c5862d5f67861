/**
 * The settings page's session: which connection this browser opened from the CRM. A signed cookie holds the
 * connection's opaque id (never its clientId, which is a secret), an expiry and when it was issued.
 *
 * - The cookie is named per module (`rcmk_session_{code}`): two modules on one host (cookies ignore the port)
 *   would otherwise overwrite each other's session.
 * - A session issued at or before `connection.sessionsEndedAt` is refused: disconnecting ends every session of the
 *   connection, in every browser.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The session cookie of a module. Module codes are Latin letters, digits, `-` and `_`: valid in a cookie name. */
export function sessionCookieName(moduleCode: string): string {
  return `rcmk_session_${moduleCode}`;
}

/** The CSRF secret's cookie of a module (the same reason as {@link sessionCookieName}). */
export function csrfCookieName(moduleCode: string): string {
  return `rcmk_csrf_${moduleCode}`;
}

export interface SessionOptions {
  readonly path: string;
  readonly secure: boolean;
  readonly ttlSeconds: number;
  /** {@link sessionCookieName} of the module. */
  readonly cookie: string;
}

export interface Session {
  readonly connectionId: string;
  /** Epoch milliseconds; 0 for cookies written before sessions carried it. */
  readonly issuedAt: number;
}

export function startSession(reply: FastifyReply, connectionId: string, options: SessionOptions): void {
  const now = Date.now();
  const expires = now + options.ttlSeconds * 1000;
  reply.setCookie(options.cookie, `${connectionId}|${expires}|${now}`, {
    signed: true,
    httpOnly: true,
    // Lax: the CRM opens the page with a cross-site top-level POST, then we redirect to a GET, which carries it.
    sameSite: 'lax',
    secure: options.secure,
    path: options.path,
    maxAge: options.ttlSeconds,
  });
}

/** The session of a valid, unexpired cookie, or `undefined`. Whether the connection still accepts it is the caller's check. */
export function readSession(request: FastifyRequest, options: Pick<SessionOptions, 'cookie'>): Session | undefined {
  const cookie = request.cookies[options.cookie];
  if (!cookie) return undefined;
  const unsigned = request.unsignCookie(cookie);
  if (!unsigned.valid || !unsigned.value) return undefined;
  const [connectionId, expires, issued] = unsigned.value.split('|');
  if (!connectionId || !expires || Number(expires) < Date.now()) return undefined;
  const issuedAt = Number(issued ?? 0);
  return { connectionId, issuedAt: Number.isFinite(issuedAt) ? issuedAt : 0 };
}

/** False when the connection ended its sessions after this one was issued (disconnect). */
export function sessionStillValid(session: Session, connection: { readonly sessionsEndedAt: Date | null }): boolean {
  return connection.sessionsEndedAt === null || session.issuedAt > connection.sessionsEndedAt.getTime();
}

export function endSession(reply: FastifyReply, options: Pick<SessionOptions, 'path' | 'cookie'>): void {
  reply.clearCookie(options.cookie, { path: options.path });
}

/**
 * Starts the session and sends the browser to the clean settings page (post/redirect/get), keeping `?lang=`: the
 * one way in, after the CRM's own POST or the confirmation page (`settings-entry.ts`).
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
