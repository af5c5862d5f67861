/**
 * The pages a person uses in an emulated account: marketplace, integration list, API keys (PROTOCOL §10, §18).
 * Plain forms and links, no JavaScript, no external assets.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_INTEGRATION_LIST_PATH } from '../protocol/index.js';
import { ADMIN_CSS } from './admin-style.js';
import { apiKeysPage, integrationListPage, marketplacePage, simpleConnectFailedPage } from './admin-views.js';
import type { EmulatorContext } from './context.js';
import { isEmulatorControlError } from './errors.js';

const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  'img-src http: https: data:',
  // "Open settings" posts to the module's own origin.
  "form-action 'self' http: https:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ACTIONS: Readonly<Record<string, { active?: boolean; freeze?: boolean }>> = {
  activate: { active: true },
  deactivate: { active: false },
  freeze: { freeze: true },
  unfreeze: { freeze: false },
};

function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', CSP)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page);
}

/** Form fields that may repeat (checkboxes) arrive as a string or an array. */
function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

type Form = Record<string, unknown>;

const CROSS_SITE_HTML =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Forbidden</title></head>' +
  '<body><h1>Forbidden</h1><p>This form was submitted from another site. Submit it from the account\'s own pages.</p>' +
  '<p><a href="/admin/marketplace">Marketplace</a></p></body></html>';

/**
 * A form POST is the page's own when it has no `Origin` (older clients, scripts) or the page's origin
 * `http://{name}.localhost:{port}`: as the browser addressed it (the Host header) or as the emulator names it.
 * Browsers send `Origin` on every form POST, so another site's page cannot pass.
 */
function isSameOrigin(request: FastifyRequest, ownOrigin: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const given = origin.toLowerCase();
  return given === ownOrigin || (request.headers.host !== undefined && given === `http://${request.headers.host.toLowerCase()}`);
}

export function adminRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  // Every admin POST changes state (keys, registrations, activity), so none may come from another site (CSRF).
  // onRequest: the check runs before the body is even parsed.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return undefined;
    if (isSameOrigin(request, ctx.accountUrl(ctx.accountOf(request).name))) return undefined;
    ctx.log?.warn({ origin: request.headers.origin, path: request.url }, 'cross-site admin form refused');
    return sendPage(reply, CROSS_SITE_HTML, 403);
  });
  app.get('/_static/admin.css', (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(ADMIN_CSS),
  );
  app.get('/', (_request, reply) => reply.redirect('/admin/marketplace'));
  app.get('/admin', (_request, reply) => reply.redirect('/admin/marketplace'));

  app.get('/admin/marketplace', (request, reply) =>
    sendPage(reply, marketplacePage(ctx.accountOf(request), [...ctx.state.marketplace.values()])),
  );

  // Connect: a plain GET redirect to the module's accountUrl with `account` = full origin + "/" (§18).
  app.get<{ Params: { integrationCode: string } }>('/admin/marketplace/:integrationCode/connect', (request, reply) => {
    const account = ctx.accountOf(request);
    const listing = ctx.state.marketplace.get(request.params.integrationCode);
    if (listing?.accountUrl === undefined) return sendPage(reply, marketplacePage(account, [...ctx.state.marketplace.values()]), 404);
    const target = new URL(listing.accountUrl);
    target.searchParams.set('account', `${ctx.accountUrl(account.name)}/`);
    return reply.redirect(target.toString(), 302);
  });

  // Connect on a simple-connection card (PROTOCOL §13.2): a POST, since it creates a key and registers. Server side:
  // config, key with the requested scopes, register; then the browser goes to the module's settings page.
  app.post<{ Params: { integrationCode: string } }>('/admin/marketplace/:integrationCode/connect', async (request, reply) => {
    const account = ctx.accountOf(request);
    const listing = ctx.state.marketplace.get(request.params.integrationCode);
    if (listing?.configUrl === undefined) return sendPage(reply, marketplacePage(account, [...ctx.state.marketplace.values()]), 404);
    const outcome = await ctx.control.connectSimple(account.name, listing.integrationCode);
    if (outcome.ok) return reply.redirect(outcome.accountUrl, 303);
    ctx.log?.warn({ integrationCode: listing.integrationCode, stage: outcome.stage }, 'simple connection failed');
    return sendPage(reply, simpleConnectFailedPage(account, listing, outcome), 502);
  });

  app.get(ADMIN_INTEGRATION_LIST_PATH, (request, reply) => sendPage(reply, integrationListPage(ctx.accountOf(request))));
  // Modules redirect to the list with and without a trailing slash (PROTOCOL §12).
  app.get(`${ADMIN_INTEGRATION_LIST_PATH}/`, (_request, reply) => reply.redirect(ADMIN_INTEGRATION_LIST_PATH, 301));

  app.post<{ Params: { code: string }; Body: Form }>('/admin/integration/:code/activity', async (request, reply) => {
    const account = ctx.accountOf(request);
    const change = ACTIONS[String(request.body?.['action'] ?? '')];
    if (change === undefined || !account.modules.has(request.params.code)) {
      return sendPage(reply, integrationListPage(account), 400);
    }
    await ctx.control.setActivity(account.name, request.params.code, change);
    // Post/redirect/get: the list shows the delivery result stored on the module.
    return reply.redirect(ADMIN_INTEGRATION_LIST_PATH, 303);
  });

  app.get('/admin/api-keys', (request, reply) => sendPage(reply, apiKeysPage(ctx.accountOf(request))));

  app.post<{ Body: Form }>('/admin/api-keys', (request, reply) => {
    const account = ctx.accountOf(request);
    const form = request.body ?? {};
    const sites = list(form['site']);
    const selective = form['siteAccess'] === 'access_selective';
    try {
      const { apiKey } = ctx.control.createApiKey(account.name, {
        scopes: list(form['scope']),
        credentials: list(form['credential']),
        siteAccess: selective ? 'access_selective' : 'access_full',
        sitesAvailable: selective ? sites : [],
      });
      // The one place the full key is shown: the person who created it has to copy it into the module.
      return sendPage(reply, apiKeysPage(account, account.keys.get(apiKey)), 201);
    } catch (error) {
      if (isEmulatorControlError(error)) return sendPage(reply, apiKeysPage(account, undefined, error.message), 400);
      throw error;
    }
  });

  app.post<{ Params: { id: string } }>('/admin/api-keys/:id/revoke', (request, reply) => {
    const account = ctx.accountOf(request);
    const record = [...account.keys.values()].find((k) => k.id === request.params.id);
    if (record !== undefined && !record.revoked) ctx.control.revokeApiKey(account.name, record.key);
    return reply.redirect('/admin/api-keys', 303);
  });
}
