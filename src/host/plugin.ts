/**
 * The module host: a Fastify plugin serving the seed's module side — the connect form (steps 3–6), the settings
 * page the CRM opens, the activity callback and a health check. Encapsulated: its cookie, CSRF, form-body and
 * security-header plugins stay inside it and do not touch the rest of the developer's app (STYLE R9).
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(moduleHost, { kit, cookieSecret: process.env.COOKIE_SECRET });
 * ```
 */
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { connectAccount } from '../connect/connect-account.js';
import type { ConnectKit } from '../connect/kit.js';
import { ConfigError, ErrorCode, isKitError } from '../errors.js';
import { errorMessage, isLocale, type Locale, pickLocale } from '../i18n/index.js';
import { connectPage } from './pages/connect-page.js';
import { type PageContext, messagePage } from './pages/layout.js';
import { MODULE_CSS } from './pages/styles.js';
import { crmSources, securityHeaders } from './security.js';
import { settingsRoutes } from './settings-routes.js';
import { createSimpleConnection, type SimpleConnection } from '../connect/simple-connection.js';
import { serverRoutes } from './server-routes.js';
import { listSettingKeys, secretSettingKeys, settingsDefaults } from '../connect/module-definition.js';
import { observeConnect } from '../observability/telemetry.js';
import { callbackRoutes, moduleOwnRoutes } from '../callbacks/routes.js';
import { crmLocale } from '../callbacks/locale.js';
import type { Connection } from '../store/types.js';
import { type Form, keepSavedSecrets, settingsFrom, text } from './form.js';
import { formOnly, readFormWithLists, readQuery, refuseRepeated, refuseRepeatedExcept, single } from './input.js';
import { csrfCookieName, sessionCookieName, type SessionOptions } from './session.js';
import { submitThrottle, type SubmitThrottleOptions } from './throttle.js';
import type { SafeHtml } from '../html/html.js';
import { holdKey, keyWasChecked, takeFormDraft } from './connect-draft.js';
import { hasLoadedOptions, loadSettingOptions } from '../connect/setting-options.js';
import type { ConnectFailure } from '../connect/failure.js';

export interface ModuleHostOptions {
  readonly kit: ConnectKit;
  /** Signs the session and CSRF cookies: at least 32 characters. Several: the first signs, all verify. */
  readonly cookieSecret: string | readonly string[];
  /** Mark cookies `Secure`. Default: the module's baseUrl is https. */
  readonly secureCookies?: boolean;
  /** How long the settings page stays open after the CRM opened it. Default 12 hours. */
  readonly sessionTtlSeconds?: number;
  /** Largest accepted form body. Default 64 KiB. */
  readonly bodyLimit?: number;
  /** Limits on connect-form submits, checked before any CRM call (`src/host/throttle.ts`). */
  readonly throttle?: SubmitThrottleOptions;
  /** Sections added to the settings page (the jobs' status, fleet health); each returns escaped HTML. */
  readonly settingsPanels?: readonly SettingsPanel[];
  /** Extra checks of `/health` (the shared rate limiter, the job runner). */
  readonly healthChecks?: readonly HealthCheck[];
}

/** Something `/health` asks besides the store: `unavailable` makes the instance answer 503 (take it out). */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<'ok' | 'degraded' | 'unavailable'> | 'ok' | 'degraded' | 'unavailable';
}

/** One section of the settings page for a connection, in the page's language. */
export type SettingsPanel = (connection: Connection, locale: Locale) => Promise<SafeHtml>;

const ASSET_CSS_PATH = '/assets/module.css';

/** Resolved once at registration (STYLE R5); the handlers only read it. */
export interface HostContext {
  readonly kit: ConnectKit;
  readonly at: (path: string) => string;
  readonly session: SessionOptions;
  readonly page: (request: FastifyRequest, locale: Locale) => PageContext;
  /** `?lang=` / a `lang` field, else the account's language as the CRM reported it, else `Accept-Language`. */
  readonly locale: (request: FastifyRequest, connection?: Connection) => Locale;
  /** The simple connection, when the module has its secret (docs/simple-connection.md). */
  readonly simple: SimpleConnection | undefined;
  readonly settingsPanels: readonly SettingsPanel[];
}

export async function moduleHost(app: FastifyInstance, options: ModuleHostOptions): Promise<void> {
  const host = resolveHost(app, options);
  // Declared callbacks (the CRM's `settings` one included) in a scope beside the pages': server-to-server JSON
  // needs none of the pages' cookie, CSRF and security-header hooks, which cost a callback most of its speed.
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  await app.register(async (scope) => callbackRoutes(scope, host, { bodyLimit }));
  // The activity callback, the health check and the simple connection's endpoints: the same reasoning.
  await app.register(async (scope) => serverRoutes(scope, host, { bodyLimit, healthChecks: options.healthChecks ?? [] }));
  await app.register(async (pages) => pageRoutes(pages, host, options));
}

/** The connect form, the settings page and the module's own routes: the pages a person sees. */
async function pageRoutes(app: FastifyInstance, host: HostContext, options: ModuleHostOptions): Promise<void> {
  const { kit } = host;
  const { paths } = kit.module;

  await app.register(cookie, { secret: [...[options.cookieSecret].flat()] });
  await app.register(formbody, { bodyLimit: options.bodyLimit ?? 64 * 1024 });
  await securityHeaders(app, crmSources(kit.accountUrlPolicy));
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookieName(kit.module.code),
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', secure: host.session.secure, path: host.session.path },
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const locale = host.locale(request);
    if (error.code?.startsWith('FST_CSRF')) {
      request.log.warn({ code: error.code }, 'form without a valid CSRF token');
      return reply.code(403).type('text/html').send(messagePage(host.page(request, locale), errorMessage(locale, ErrorCode.CsrfInvalid)));
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code =
      status === 429 ? ErrorCode.TooManyAttempts : status === 413 || status === 415 || status === 400 ? ErrorCode.FormInvalid : ErrorCode.Internal;
    return reply.code(status).type('text/html').send(messagePage(host.page(request, locale), errorMessage(locale, code)));
  });

  const throttled = await submitThrottle(app, kit, options.throttle);

  app.get(ASSET_CSS_PATH, async (_request, reply) =>
    reply.type('text/css').header('cache-control', 'public, max-age=3600').send(MODULE_CSS),
  );

  const initialSettings = settingsDefaults(kit.module);
  const draftCookie = { path: host.session.path, secure: host.session.secure };
  const secretKeys = secretSettingKeys(kit.module);
  // Step 3: the form, with the account pre-filled from `?account=` (PROTOCOL §10, §18).
  app.get(paths.connect, { preValidation: refuseRepeated }, async (request, reply) => {
    const query = readQuery(request);
    const locale = host.locale(request);
    const token = reply.generateCsrf();
    return reply.type('text/html').send(
      connectPage(host.page(request, locale), {
        module: kit.module,
        action: host.at(paths.connect),
        csrfToken: token,
        account: typeof query.account === 'string' ? query.account.trim().replace(/\/+$/, '') : '',
        // A first visit shows the schema's defaults (a default-on checkbox ticked, a default option selected).
        settings: initialSettings,
      }),
    );
  });

  // Steps 4–6. A key that passed its checks is held in a draft, so a later failure never makes the person retype it.
  const connectEdge = [refuseRepeatedExcept(listSettingKeys(kit.module)), app.csrfProtection];
  app.post(paths.connect, { onRequest: formOnly, preValidation: connectEdge, preHandler: throttled }, async (request, reply) => {
    const form: Form = { ...readFormWithLists(request) };
    const locale = host.locale(request);
    const typedKey = text(form.apiKey).trim();
    const draft = await takeFormDraft(kit.store, request, text(form.draft));
    const accountCheck = kit.checkAccountUrl(text(form.account));
    // The held key belongs to the held account: a changed address needs its own key.
    const heldKey = draft && !typedKey && accountCheck.ok && accountCheck.url === draft.accountUrl ? draft.apiKey : undefined;
    // Secret settings are never written back into the page: an empty one means "the one typed before", if held.
    const settings = draft && heldKey ? keepSavedSecrets(settingsFrom(form), draft.secrets, secretKeys) : settingsFrom(form);
    const apiKey = heldKey ?? typedKey;
    const result = await observeConnect(kit, 'form', () => connectAccount(kit, {
      account: text(form.account),
      apiKey,
      settings,
      locale,
    }));
    if (result.ok) {
      request.log.info({ connectionId: result.connection.id }, 'connected; sending the person back to the CRM');
      return reply.redirect(result.redirectUrl, 303);
    }
    let failure: ConnectFailure | undefined = result.failure;
    let draftId: string | undefined;
    let loadedOptions: Awaited<ReturnType<typeof loadSettingOptions>> | undefined;
    let chooseStep = false;
    let focus: string | undefined;
    if (keyWasChecked(failure) && accountCheck.ok) {
      const secrets = Object.fromEntries(secretKeys.flatMap((key) => {
        const value = settings[key];
        return typeof value === 'string' && value.trim() !== '' ? [[key, value]] : [];
      }));
      draftId = await holdKey(kit.store, request, reply, draftCookie, { accountUrl: accountCheck.url, apiKey, secrets });
      if (hasLoadedOptions(kit.module)) {
        try {
          const crm = kit.openCrm(accountCheck.url, apiKey);
          loadedOptions = await loadSettingOptions(kit.module, { crm, credentials: await crm.credentials(), locale }, kit.logger);
        } catch (error) {
          request.log.warn({ code: isKitError(error) ? error.code : 'unknown' }, 'could not load the settings choices');
        }
        // First sight of the account's choices: fields the person could not fill yet are not "errors".
        if (!draft && loadedOptions && failure.code === ErrorCode.SettingsInvalid) {
          const waited = (key: string) => loadedOptions?.[key] !== undefined && isBlank(settings[key]);
          const remaining = Object.fromEntries(Object.entries(failure.fieldErrors).filter(([key]) => !waited(key)));
          if (Object.keys(remaining).length === 0) {
            failure = undefined;
            chooseStep = true;
            focus = Object.keys(result.failure.fieldErrors).find(waited);
          } else failure = { ...failure, fieldErrors: remaining };
        }
      }
    }
    return reply
      .code(failure ? 422 : 200)
      .type('text/html')
      .header('cache-control', 'no-store')
      .send(
        connectPage(host.page(request, locale), {
          module: kit.module,
          action: host.at(paths.connect),
          csrfToken: reply.generateCsrf(),
          account: text(form.account),
          settings,
          ...(failure ? { failure } : {}),
          ...(draftId ? { draft: draftId } : {}),
          ...(loadedOptions ? { loadedOptions } : {}),
          chooseStep,
          ...(focus ? { focus } : {}),
        }),
      );
  });

  await settingsRoutes(app, host);
  // The module's own routes (docs/guide/callbacks.md), with the form, CSRF and session of the pages.
  await moduleOwnRoutes(app, host);

}

function resolveHost(app: FastifyInstance, options: ModuleHostOptions): HostContext {
  const secrets = [options.cookieSecret].flat();
  const problems: string[] = [];
  if (!options.kit) problems.push('kit is required');
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret.length < 32))
    problems.push('cookieSecret must be one or more strings of at least 32 characters');
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `moduleHost: ${p}`));
  const prefix = app.prefix.replace(/\/+$/, '');
  const at = (path: string) => `${prefix}${path}`;
  const locale = (request: FastifyRequest, connection?: Connection): Locale => {
    // Read before the edge may have run (the error handler): only a single string counts.
    const query = request.query as Record<string, unknown> | undefined;
    const body = request.body as Record<string, unknown> | undefined;
    const explicit = single(query?.lang) ?? single(body?.lang);
    if (isLocale(explicit)) return explicit;
    // Inside the CRM, the account's language (its `settings` callback) before the browser's.
    return crmLocale(connection) ?? pickLocale(single(request.headers['accept-language']), explicit);
  };
  return Object.freeze({
    kit: options.kit,
    // Throws ConfigError at registration when the store cannot claim once (replay protection needs it).
    simple: options.kit.module.simpleConnection ? createSimpleConnection(options.kit) : undefined,
    settingsPanels: options.settingsPanels ?? [],
    at,
    session: {
      path: prefix || '/',
      secure: options.secureCookies ?? options.kit.module.baseUrl.startsWith('https://'),
      ttlSeconds: options.sessionTtlSeconds ?? 12 * 60 * 60,
      cookie: sessionCookieName(options.kit.module.code),
    },
    locale,
    page: (request: FastifyRequest, pageLocale: Locale): PageContext => {
      const url = new URL(request.url, 'http://module.invalid');
      return {
        locale: pageLocale,
        cssHref: at(ASSET_CSS_PATH),
        langHref: (other) => {
          url.searchParams.set('lang', other);
          url.searchParams.delete('clientId');
          return `${url.pathname}${url.search}`;
        },
      };
    },
  });
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === '' || (Array.isArray(value) && value.every((item) => item === ''));
}
