/**
 * The simple connection's HTTP side (PROTOCOL §13): the config and register endpoints the CRM calls server to
 * server, and the exchange of a login ticket for the settings page's session. The flow itself is in
 * `src/connect/simple-connection.ts`; these handlers only translate.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimpleConnection } from '../connect/simple-connection.js';
import { ErrorCode } from '../errors.js';
import { errorMessage } from '../i18n/index.js';
import { refuseRepeated } from './input.js';
import { messagePage } from './pages/layout.js';
import type { HostContext } from './plugin.js';
import { endSession } from './session.js';
import type { Connection } from '../store/types.js';
import { observeConnect } from '../observability/telemetry.js';

/** Registers `GET paths.simpleConfig` and `POST paths.simpleRegister`. No CSRF: the CRM calls them, not a browser. */
export async function simpleConnectionRoutes(app: FastifyInstance, host: HostContext, simple: SimpleConnection): Promise<void> {
  const { paths } = host.kit.module;

  app.get(paths.simpleConfig, { preValidation: refuseRepeated }, async (_request, reply) => reply.header('cache-control', 'no-store').send(simple.config()));

  app.post(paths.simpleRegister, { preValidation: refuseRepeated }, async (request, reply) => {
    const outcome = await observeConnect(host.kit, 'simple', () => simple.register(request.body ?? {}, host.locale(request)));
    if (!outcome.ok) request.log.warn({ status: outcome.status, code: outcome.code }, 'simple connection refused');
    return reply.code(outcome.status).header('cache-control', 'no-store').send(outcome.body);
  });
}

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
