/**
 * Serves the declared callbacks and the module's own routes inside the module host (thin adapters over
 * `dispatchCallback` and the module's `routes`). The callbacks live in a child scope whose error handler answers
 * in the CRM's envelope: a body the parser refuses (wrong content type, too large, malformed) is a 4xx
 * `{ success: false, errorMsg }`, never an HTML page or a 5xx.
 * @module
 */
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { withConnectionCrm } from '../connect/connection-crm.js';
import { findOwnByClientId, findOwnById } from '../connect/kit.js';
import { ErrorCode } from '../errors.js';
import type { AccountUrl } from '../crm/types.js';
import { errorMessage } from '../i18n/index.js';
import type { HostContext } from '../host/plugin.js';
import { readSession, sessionStillValid } from '../host/session.js';
import { dispatchCallback } from './dispatch.js';
import { refuseRepeatedNow } from '../host/input.js';
import { NOSNIFF } from '../host/server-routes.js';
import { observeCallback } from '../observability/telemetry.js';
import { MultipartError, multipartBoundary, parseMultipartFields } from '../protocol/index.js';
import type { ModuleRouteTools } from './own-routes.js';

/** What a refused body is named in the message (a field list elsewhere; here the body as a whole). */
const PARSE_FAILURE: Readonly<Record<number, string>> = { 400: 'body', 413: 'body (size)', 415: 'body (Content-Type)' };

export async function callbackRoutes(app: FastifyInstance, host: HostContext, options: { readonly bodyLimit: number }): Promise<void> {
  const { kit } = host;
  await app.register(formbody, { bodyLimit: options.bodyLimit });
  // Multipart with text fields too (INTEGRATIONS §26 #5: the CRM's encoding is not confirmed; accept both).
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: options.bodyLimit }, (request, body, done) => {
    const boundary = multipartBoundary(request.headers['content-type']);
    try {
      if (boundary === undefined) throw new MultipartError('no boundary');
      done(null, parseMultipartFields(body as string, boundary));
    } catch {
      done(Object.assign(new Error('malformed multipart body'), { statusCode: 400 }), undefined);
    }
  });
  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) request.log.error({ err: error }, 'callback failed');
      else request.log.warn({ status, code: error.code }, 'callback body refused');
      const code = status === 500 ? ErrorCode.CallbackFailed : ErrorCode.CallbackInvalid;
      return reply.code(status).header(...NOSNIFF).send({ success: false, errorMsg: errorMessage('en', code, { details: PARSE_FAILURE[status] ?? 'body' }) });
    });
    for (const declared of kit.module.callbacks) {
      const action = `${declared.group}.${declared.action}`;
      scope.route({
        method: declared.method,
        url: declared.path,
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          // A field given twice is refused, as on every route of the kit (the last one would win).
          refuseRepeatedNow(request);
          const source = declared.method === 'GET' ? request.query : request.body;
          const fields = source && typeof source === 'object' && !Array.isArray(source) ? (source as Record<string, unknown>) : {};
          const outcome = await observeCallback(kit, action, () => dispatchCallback(kit, declared, fields));
          const log = { callback: action, status: outcome.status, connectionId: outcome.connectionId };
          if (outcome.status < 400) request.log.info(log, 'callback handled');
          else request.log.warn(log, outcome.body.success ? 'callback refused' : outcome.body.errorMsg);
          if (outcome.file) {
            const { contentType, body, fileName } = outcome.file;
            if (fileName) reply.header('content-disposition', `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"`);
            return reply.code(200).type(contentType).header(...NOSNIFF).send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
          }
          return reply.code(outcome.status).header(...NOSNIFF).send(outcome.body);
        },
      });
    }
  });
}

/** Runs the module's `routes` in the host's scope, with the tools they need. */
export async function moduleOwnRoutes(app: FastifyInstance, host: HostContext): Promise<void> {
  const { kit } = host;
  const routes = kit.module.routes;
  if (!routes) return;
  const settingsPath = host.at(kit.module.paths.settings);
  const tools: ModuleRouteTools = Object.freeze<ModuleRouteTools>({
    kit,
    async sessionConnection(request: FastifyRequest) {
      // The settings page's own rule: a session the connection's disconnect ended no longer counts.
      const session = readSession(request, host.session);
      const found = session ? await findOwnById(kit, session.connectionId) : undefined;
      return found && session && sessionStillValid(session, found) ? found : undefined;
    },
    connectionByClientId: (clientId: string) => findOwnByClientId(kit, clientId),
    crmOf: (connection) => kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey),
    csrfProtection: app.csrfProtection,
    at: host.at,
    backToSettings: (reply, locale) => reply.redirect(`${settingsPath}${locale ? `?lang=${locale}` : ''}`, 303),
  });
  await routes(app, tools);
}

/** The module's own section of the settings page, rendered, or '' without one. */
export async function settingsSectionHtml(
  host: HostContext,
  input: { connection: import('../store/types.js').Connection; locale: import('../i18n/index.js').Locale; csrfField: import('../html/html.js').SafeHtml },
): Promise<import('../html/html.js').SafeHtml | string> {
  const section = host.kit.module.settingsSection;
  if (!section) return '';
  try {
    return await section(withConnectionCrm(host.kit, input.connection, { connection: input.connection, locale: input.locale, csrfField: input.csrfField, at: host.at }));
  } catch (error) {
    // A failing section (the CRM down, a bug) must not lock the person out of the settings page: shown without it.
    host.kit.logger.error({ err: error, connectionId: input.connection.id }, 'settingsSection failed');
    return '';
  }
}
