/**
 * The settings page of a connected module: the CRM opens the registered accountUrl with a top-level form POST
 * carrying `clientId` (PROTOCOL §18). When the POST comes from the connection's own account we keep the connection
 * in a signed session cookie and redirect to a plain GET page (post/redirect/get), so the clientId never stays in
 * the address bar, the history or a log line; otherwise the person confirms first (`settings-entry.ts`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { changeApiKey, changeSettings, disconnect, type ManageResult } from '../connect/manage-connection.js';
import { ErrorCode, isKitError } from '../errors.js';
import { errorMessage, type Locale, translate } from '../i18n/index.js';
import type { Connection } from '../store/types.js';
import { messagePage } from './pages/layout.js';
import { type SettingsNotice, type SettingsPageInput, settingsPage } from './pages/settings-page.js';
import { type Form, keepSavedSecrets, settingsFrom, text } from './form.js';
import { formOnly, readForm, readFormWithLists, readQuery, refuseRepeated, refuseRepeatedExcept } from './input.js';
import { hasLoadedOptions, loadSettingOptions } from '../connect/setting-options.js';
import { listSettingKeys, secretSettingKeys } from '../connect/module-definition.js';
import { coerceSettingsForm } from '../connect/checks.js';
import type { AccountUrl } from '../crm/types.js';
import type { HostContext } from './plugin.js';
import { findOwnById, findOwnByClientId } from '../connect/kit.js';
import { endSession, enterSettings, readSession, sessionStillValid } from './session.js';
import { confirmEntryPage, entryToken, judgeEntry, readEntryToken } from './settings-entry.js';
import { redeemLoginTicket } from './simple-connection-routes.js';
import { activitySparklines } from '../observability/svg-charts.js';
import { settingsSectionHtml } from '../callbacks/routes.js';
import { html } from '../html/html.js';

const csrfField = (token: string, locale: Locale) =>
  html`<input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="lang" value="${locale}">`;

const NOTICES: readonly SettingsNotice[] = ['saved', 'keySaved', 'disconnected'];

export async function settingsRoutes(app: FastifyInstance, host: HostContext): Promise<void> {
  const { kit } = host;
  const base = kit.module.paths.settings;
  const actions = { settings: `${base}/save`, apiKey: `${base}/api-key`, disconnect: `${base}/disconnect`, open: `${base}/open` };
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

  const enter = (request: FastifyRequest, reply: FastifyReply, connection: Connection, lang: string | undefined) =>
    enterSettings(reply, connection.id, { ...host.session, settingsPath: host.at(base) }, lang);

  /** "Open the settings of {account}?": the way in for every entry the module cannot attribute to the account. */
  const confirm = (request: FastifyRequest, reply: FastifyReply, connection: Connection) => {
    const locale = host.locale(request);
    return reply
      .code(200)
      .type('text/html')
      .header('cache-control', 'no-store')
      .send(
        confirmEntryPage(host.page(request, locale), {
          kit,
          connection,
          action: host.at(actions.open),
          csrfToken: reply.generateCsrf(),
          entry: entryToken(reply, connection.id),
          lang: readQuery(request).lang,
        }),
      );
  };

  /** The session's connection, or `undefined` after answering with the right page. */
  const sessionConnection = async (request: FastifyRequest, reply: FastifyReply): Promise<Connection | undefined> => {
    const session = readSession(request, host.session);
    const found = session ? await findOwnById(kit, session.connectionId) : undefined;
    const connection = found && session && sessionStillValid(session, found) ? found : undefined;
    if (!connection) {
      if (session) endSession(reply, host.session);
      const notice = readQuery(request).notice;
      // The page a disconnect lands on: the session that made it is over, the message needs none.
      if (notice === 'disconnected') {
        const locale = host.locale(request);
        await reply.code(200).type('text/html').header('cache-control', 'no-store').send(messagePage(host.page(request, locale), translate(locale, 'settings.disconnected')));
        return undefined;
      }
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
    const locale = host.locale(request, connection);
    const events = await kit.store.listEvents(connection.id, 20);
    const csrfToken = reply.generateCsrf();
    const moduleSection = await settingsSectionHtml(host, { connection, locale, csrfField: csrfField(csrfToken, locale) });
    const panels = await Promise.all(host.settingsPanels.map((panel) => panel(connection, locale)));
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
          csrfToken,
          moduleSection,
          actions: absolute,
          settingsValues: extra.settingsValues ?? connection.settings,
          notice: extra.notice,
          failure: extra.failure,
          recentActivity: activitySparklines(kit.telemetry?.recentActivity?.(connection), locale),
          panels,
          loadedOptions,
        }),
      );
  };

  app.post(base, { onRequest: formOnly, preValidation: refuseRepeated }, async (request, reply) => {
    const clientId = readForm(request).clientId || (readQuery(request).clientId ?? '');
    if (!clientId) return fail(request, reply, 400, ErrorCode.ConnectionNotFound);
    const connection = await findOwnByClientId(kit, clientId);
    if (!connection) return fail(request, reply, 404, ErrorCode.ConnectionNotFound);
    const origin = request.headers.origin;
    const verdict = await judgeEntry(kit, connection, origin, moduleOrigin, request.log);
    if (verdict === 'refuse') {
      request.log.warn({ origin, connectionId: connection.id }, 'settings opened from a site that is not the connection\'s account');
      return fail(request, reply, 403, ErrorCode.ConnectionNotFound);
    }
    if (verdict === 'confirm') return confirm(request, reply, connection);
    request.log.info({ connectionId: connection.id }, 'settings opened from the CRM');
    return enter(request, reply, connection, readQuery(request).lang);
  });

  // The confirmation page's button: same-origin, CSRF-checked, with the entry token it carries.
  app.post(actions.open, { onRequest: formOnly, preValidation: [refuseRepeated, app.csrfProtection] }, async (request, reply) => {
    const form = readForm(request);
    const id = readEntryToken(request, form.entry);
    const connection = id ? await findOwnById(kit, id) : undefined;
    if (!connection) return fail(request, reply, 401, ErrorCode.SessionMissing);
    request.log.info({ connectionId: connection.id }, 'settings opened after confirmation');
    return enter(request, reply, connection, form.lang);
  });

  app.get(base, { preValidation: refuseRepeated }, async (request, reply) => {
    const query = readQuery(request);
    // No GET opens a session: a link carrying a clientId or a ticket leads to the confirmation page.
    if (query.clientId) {
      const connection = await findOwnByClientId(kit, query.clientId);
      if (!connection) return fail(request, reply, 404, ErrorCode.ConnectionNotFound);
      return confirm(request, reply, connection);
    }
    // The simple connection's landing: the CRM redirects here with a login ticket (docs/simple-connection.md).
    if (query.ticket !== undefined) {
      const connection = await redeemLoginTicket(host, request, reply, query.ticket);
      return connection ? confirm(request, reply, connection) : reply;
    }
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
    app.post(path, { onRequest: formOnly, preValidation: [refuseRepeatedExcept(listSettingKeys(kit.module)), app.csrfProtection] }, async (request, reply) => {
      const connection = await sessionConnection(request, reply);
      if (!connection) return reply;
      const body: Form = { ...readFormWithLists(request) };
      const locale = host.locale(request, connection);
      // A key typed in the settings form (Enter in the key field submits that form) is a key change, never dropped.
      const asKey = form === 'settings' && text(body.apiKey).trim() !== '';
      const result = asKey ? await changeApiKey(kit, connection, text(body.apiKey), locale) : await change(connection, body, locale);
      const actual = asKey ? 'apiKey' : form;
      // Settings the person changed but did not save travel with a key change: the page comes back with them.
      const unsaved = actual === 'apiKey' && settingsSubmitted(body) ? submittedSettings(connection, body) : undefined;
      const changedUnsaved = unsaved !== undefined && JSON.stringify(coerceSettingsForm(kit.module, unsaved)) !== JSON.stringify(coerceSettingsForm(kit.module, connection.settings));
      if (result.ok && actual === 'disconnect') {
        // The disconnect ends every session of the connection, this one too: the page is answered here, once,
        // offering to connect again (nothing on it acts on the connection any more).
        endSession(reply, host.session);
        return render(request, reply, result.connection, { notice: 'disconnected' });
      }
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
