/**
 * The settings page of a connected module: the CRM opens the registered accountUrl with a top-level form POST
 * carrying `clientId` (PROTOCOL §18). We accept it from the body or the query, keep the connection in a signed
 * session cookie and redirect to a plain GET page (post/redirect/get), so the clientId never stays in the
 * address bar, the history or a log line.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { changeApiKey, changeSettings, disconnect, type ManageResult } from '../connect/manage-connection.js';
import { ErrorCode, isKitError } from '../errors.js';
import { errorMessage, type Locale } from '../i18n/index.js';
import type { Connection } from '../store/types.js';
import { messagePage } from './pages/layout.js';
import { type SettingsNotice, type SettingsPageInput, settingsPage } from './pages/settings-page.js';
import { type Form, keepSavedSecrets, type Query, settingsFrom, text } from './form.js';
import { hasLoadedOptions, loadSettingOptions } from '../connect/setting-options.js';
import { secretSettingKeys } from '../connect/module-definition.js';
import { coerceSettingsForm } from '../connect/checks.js';
import type { AccountUrl } from '../crm/types.js';
import type { HostContext } from './plugin.js';
import { findOwnById, findOwnByClientId } from '../connect/kit.js';
import { endSession, enterSettings, readSession } from './session.js';
import { exchangeLoginTicket } from './simple-connection-routes.js';
import { activitySparklines } from '../observability/svg-charts.js';

const NOTICES: readonly SettingsNotice[] = ['saved', 'keySaved', 'disconnected'];

export async function settingsRoutes(app: FastifyInstance, host: HostContext): Promise<void> {
  const { kit } = host;
  const base = kit.module.paths.settings;
  const actions = { settings: `${base}/save`, apiKey: `${base}/api-key`, disconnect: `${base}/disconnect` };
  const absolute = {
    settings: host.at(actions.settings),
    apiKey: host.at(actions.apiKey),
    disconnect: host.at(actions.disconnect),
  };

  const moduleOrigin = new URL(kit.module.baseUrl).origin;
  const fail = (request: FastifyRequest, reply: FastifyReply, status: number, code: ErrorCode) => {
    const locale = host.locale(request);
    return reply.code(status).type('text/html').send(messagePage(host.page(request, locale), errorMessage(locale, code)));
  };

  const openByClientId = async (request: FastifyRequest, reply: FastifyReply, clientId: string) => {
    const connection = await findOwnByClientId(kit, clientId);
    if (!connection) return fail(request, reply, 404, ErrorCode.ConnectionNotFound);
    request.log.info({ connectionId: connection.id }, 'settings opened from the CRM');
    return enterSettings(reply, connection.id, { ...host.session, settingsPath: host.at(base) }, (request.query as Query).lang);
  };

  /** The session's connection, or `undefined` after answering with the right page. */
  const sessionConnection = async (request: FastifyRequest, reply: FastifyReply): Promise<Connection | undefined> => {
    const id = readSession(request);
    const connection = id ? await findOwnById(kit, id) : undefined;
    if (!connection) {
      if (id) endSession(reply, host.session);
      await fail(request, reply, 401, ErrorCode.SessionMissing);
      return undefined;
    }
    request.log = request.log.child({ connectionId: connection.id });
    return connection;
  };

  /** The account's choices for settings with a loader, with the connection's key; none when it cannot be asked. */
  const settingsChoices = async (connection: Connection, locale: Locale) => {
    if (!hasLoadedOptions(kit.module) || connection.state === 'disconnected') return {};
    try {
      const crm = kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey);
      return await loadSettingOptions(kit.module, { crm, credentials: await crm.credentials(), locale }, kit.logger);
    } catch (error) {
      kit.logger.warn({ connectionId: connection.id, code: isKitError(error) ? error.code : 'unknown' }, 'settings page: could not load choices from the account');
      return {};
    }
  };
  const secretKeys = secretSettingKeys(kit.module);
  const settingKeys = Object.keys(kit.module.settings?.schema.shape ?? {});
  const settingsSubmitted = (body: Form) => settingKeys.some((key) => key in body);
  /** What the settings form sent, with an empty secret meaning "keep the saved one". */
  const submittedSettings = (connection: Connection, body: Form) => keepSavedSecrets(settingsFrom(body), connection.settings, secretKeys);

  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    connection: Connection,
    extra: Partial<Pick<SettingsPageInput, 'notice' | 'failure' | 'settingsValues'>> = {},
    status = 200,
  ) => {
    const locale = host.locale(request);
    const events = await kit.store.listEvents(connection.id, 20);
    const loadedOptions = await settingsChoices(connection, locale);
    return reply
      .code(status)
      .type('text/html')
      .header('cache-control', 'no-store')
      .send(
        settingsPage(host.page(request, locale), {
          module: kit.module,
          connection,
          events,
          csrfToken: reply.generateCsrf(),
          actions: absolute,
          settingsValues: extra.settingsValues ?? connection.settings,
          notice: extra.notice,
          failure: extra.failure,
          recentActivity: activitySparklines(kit.telemetry?.recentActivity?.(connection), locale),
          loadedOptions,
        }),
      );
  };

  app.post(base, async (request, reply) => {
    // The CRM's own page posts here cross-site; another site posting its clientId would log the person into a
    // stranger's connection. A browser's Origin tells them apart ("null" and none are let through: privacy
    // settings may hide the CRM's origin, and the clientId is still required).
    const origin = request.headers.origin;
    if (origin && origin !== 'null' && origin !== moduleOrigin && !kit.checkAccountUrl(origin).ok) {
      request.log.warn({ origin }, 'settings opened from a site that is not a CRM account');
      return fail(request, reply, 403, ErrorCode.ConnectionNotFound);
    }
    const clientId = text((request.body as Form | undefined)?.clientId) || ((request.query as Query).clientId ?? '');
    if (!clientId) return fail(request, reply, 400, ErrorCode.ConnectionNotFound);
    return openByClientId(request, reply, clientId);
  });

  app.get(base, async (request, reply) => {
    const query = request.query as Query;
    if (query.clientId) return openByClientId(request, reply, query.clientId);
    // The simple connection's landing: the CRM redirects here with a login ticket (docs/simple-connection.md).
    if (query.ticket !== undefined) return exchangeLoginTicket(host, request, reply, query.ticket);
    const connection = await sessionConnection(request, reply);
    if (!connection) return reply;
    const notice = NOTICES.find((n) => n === query.notice);
    return render(request, reply, connection, { notice });
  });

  /** One settings-page form: run the change, then redirect with a notice or re-render with the failure. */
  const formRoute = (
    path: string,
    form: 'settings' | 'apiKey' | 'disconnect',
    notice: SettingsNotice,
    change: (connection: Connection, body: Form, locale: Locale) => Promise<ManageResult>,
  ) =>
    app.post(path, { preValidation: app.csrfProtection }, async (request, reply) => {
      const connection = await sessionConnection(request, reply);
      if (!connection) return reply;
      const body = (request.body ?? {}) as Form;
      const locale = host.locale(request);
      // A key typed in the settings form (Enter in the key field submits that form) is a key change, never dropped.
      const asKey = form === 'settings' && text(body.apiKey).trim() !== '';
      const result = asKey ? await changeApiKey(kit, connection, text(body.apiKey), locale) : await change(connection, body, locale);
      const actual = asKey ? 'apiKey' : form;
      // Settings the person changed but did not save travel with a key change: the page comes back with them.
      const unsaved = actual === 'apiKey' && settingsSubmitted(body) ? submittedSettings(connection, body) : undefined;
      const changedUnsaved = unsaved !== undefined && JSON.stringify(coerceSettingsForm(kit.module, unsaved)) !== JSON.stringify(coerceSettingsForm(kit.module, connection.settings));
      if (result.ok && !changedUnsaved) return reply.redirect(`${host.at(base)}?notice=${asKey ? 'keySaved' : notice}&lang=${locale}`, 303);
      if (result.ok) return render(request, reply, result.connection, { notice: 'keySaved', settingsValues: unsaved });
      const settingsValues = actual === 'settings' || unsaved ? submittedSettings(connection, body) : undefined;
      return render(request, reply, connection, { failure: { form: actual, failure: result.failure }, settingsValues }, 422);
    });

  formRoute(actions.settings, 'settings', 'saved', (connection, body, locale) =>
    changeSettings(kit, connection, submittedSettings(connection, body), locale),
  );
  formRoute(actions.apiKey, 'apiKey', 'keySaved', (connection, body, locale) =>
    changeApiKey(kit, connection, text(body.apiKey), locale),
  );
  formRoute(actions.disconnect, 'disconnect', 'disconnected', (connection, _body, locale) =>
    disconnect(kit, connection, locale),
  );
}
