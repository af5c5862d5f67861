/**
 * The simple connection's page side (PROTOCOL §13): the exchange of a login ticket for the settings page's session.
 * Its config and register endpoints, which the CRM calls server to server, are in `server-routes.ts`; the flow
 * itself is in `src/connect/simple-connection.ts`.
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors.js';
import { errorMessage } from '../i18n/index.js';
import { messagePage } from './pages/layout.js';
import type { HostContext } from './plugin.js';
import { endSession } from './session.js';
import type { Connection } from '../store/types.js';

/**
 * `GET settings?ticket=…`: a valid, unexpired, unused ticket is claimed and its connection returned; the caller
 * shows the confirmation page (no GET opens a session), whose button opens the session. Anything else: the
 * localized "session missing" page (401), the same for every reason so the page tells an attacker nothing, and
 * `undefined`.
 */
export async function redeemLoginTicket(host: HostContext, request: FastifyRequest, reply: FastifyReply, ticket: string): Promise<Connection | undefined> {
  const redemption = host.simple ? await host.simple.redeemTicket(ticket) : ({ ok: false, reason: 'malformed' } as const);
  if (!redemption.ok) {
    request.log.warn({ reason: redemption.reason }, 'settings: login ticket refused');
    endSession(reply, host.session);
    const locale = host.locale(request);
    await reply
      .code(401)
      .type('text/html')
      .header('cache-control', 'no-store')
      .send(messagePage(host.page(request, locale), errorMessage(locale, ErrorCode.SessionMissing)));
    return undefined;
  }
  request.log.info({ connectionId: redemption.connection.id }, 'settings: login ticket redeemed; asking to confirm');
  return redemption.connection;
}
