/**
 * The account API: the methods a module calls while connecting (PROTOCOL §3–9, §16, §18).
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  CrmErrorMsg,
  hasApiMajorVersion,
  IntegrationModuleEdit,
  isKnownScope,
  missingParameterMsg,
  UpdateScopesRequest,
} from '../protocol/index.js';
import { authorize, sendCrmError } from './api-auth.js';
import { installApiGuards } from './api-guards.js';
import type { EmulatorContext } from './context.js';
import { keyHasRight, makeApiKeyRecord, type ApiKeyRecord, type Right } from './keys.js';
import type { Account, StoredModule } from './state.js';
import { moduleView } from './state.js';

const RIGHTS = {
  moduleRead: { scope: 'integration_read', legacyPath: '/api/integration-modules/{code}' },
  moduleEdit: { scope: 'integration_write', legacyPath: '/api/integration-modules/{code}/edit' },
  updateScopes: { scope: 'integration_write', legacyPath: '/api/integration-modules/{code}/update-scopes' },
  sites: { scope: 'reference_read', legacyPath: '/api/reference/sites' },
} as const satisfies Record<string, Right>;

const METHOD_NOT_FOUND = 'API method not found';
// Symfony's wording: the CRM is a Symfony application and this is what its NotBlank constraint says.
const BLANK = 'This value should not be blank.';

type CodeParams = { Params: { code: string } };

/** Zod issues → the CRM's field-keyed `errors` (first message per field). */
function fieldErrors(issues: readonly z.core.$ZodIssue[], root: string): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const field = issue.path.length > 0 ? issue.path.join('.') : root;
    const blank = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    errors[field] ??= blank ? BLANK : issue.message;
  }
  return errors;
}

/** Parses a form field carrying JSON; answers the CRM's 400 itself and returns undefined on failure. */
function jsonFormField(request: FastifyRequest, reply: FastifyReply, name: string): unknown {
  const body = request.body as Record<string, unknown> | undefined;
  const text = body?.[name];
  if (typeof text !== 'string' || text === '') {
    sendCrmError(reply, 400, missingParameterMsg(name));
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { [name]: 'This value is not valid JSON.' });
    return undefined;
  }
}

export function apiRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  installApiGuards(app, ctx);

  /**
   * The gate of every v5 method, in the CRM's order: the key first (a missing or wrong key is 403 on any path,
   * PROTOCOL §18), then the method itself, which exists only where the account offers API 5 (404
   * `API method not found` otherwise; an account can be created without it), then the key's right to it (403).
   * Answers and returns null when the call stops here.
   */
  function v5Call(request: FastifyRequest, reply: FastifyReply, right: Right): { account: Account; key: ApiKeyRecord } | null {
    const account = ctx.accountOf(request);
    const key = authorize(request, reply, account, null);
    if (key === null) return null;
    if (!hasApiMajorVersion(account.apiVersions, 5)) {
      sendCrmError(reply, 404, METHOD_NOT_FOUND);
      return null;
    }
    if (!keyHasRight(key, right)) {
      sendCrmError(reply, 403, CrmErrorMsg.AccessDenied);
      return null;
    }
    return { account, key };
  }

  app.get('/api/api-versions', (request, reply) => {
    const account = ctx.accountOf(request);
    if (authorize(request, reply, account, null) === null) return reply;
    return reply.send({ success: true, versions: account.apiVersions });
  });

  app.get('/api/credentials', (request, reply) => {
    const account = ctx.accountOf(request);
    const key = authorize(request, reply, account, null);
    if (key === null) return reply;
    return reply.send({
      success: true,
      credentials: key.credentials,
      scopes: key.scopes,
      siteAccess: key.siteAccess,
      sitesAvailable: key.siteAccess === 'access_full' ? account.sites.map((site) => site.code) : key.sitesAvailable,
    });
  });

  app.get('/api/system-info', (request, reply) => {
    const account = ctx.accountOf(request);
    if (authorize(request, reply, account, null) === null) return reply;
    return reply.send({
      success: true,
      systemVersion: '8.0.0-emulator',
      publicUrl: ctx.accountUrl(account.publicName),
      technicalUrl: ctx.accountUrl(account.name),
    });
  });

  app.get('/api/v5/reference/sites', (request, reply) => {
    const call = v5Call(request, reply, RIGHTS.sites);
    if (call === null) return reply;
    const { account, key } = call;
    const visible = account.sites.filter((s) => key.siteAccess === 'access_full' || key.sitesAvailable.includes(s.code));
    return reply.send({ success: true, sites: Object.fromEntries(visible.map((site) => [site.code, site])) });
  });

  app.get<CodeParams>('/api/v5/integration-modules/:code', (request, reply) => {
    const call = v5Call(request, reply, RIGHTS.moduleRead);
    if (call === null) return reply;
    const { account } = call;
    const module = account.modules.get(request.params.code);
    if (module === undefined) return sendCrmError(reply, 400, CrmErrorMsg.InputParameters);
    return reply.send({ success: true, integrationModule: moduleView(module) });
  });

  app.post<CodeParams>('/api/v5/integration-modules/:code/edit', (request, reply) => {
    const call = v5Call(request, reply, RIGHTS.moduleEdit);
    if (call === null) return reply;
    const { account } = call;
    const json = jsonFormField(request, reply, 'integrationModule');
    if (json === undefined) return reply;
    const parsed = IntegrationModuleEdit.safeParse(json);
    if (!parsed.success) return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, fieldErrors(parsed.error.issues, 'integrationModule'));
    const { code } = request.params;
    if (parsed.data.code !== code) {
      return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { code: 'The code in the URL and in the entity differ.' });
    }
    // CRM-owned flags are not taken from the module; `active` lives beside the registration.
    const { active, freeze: _freeze, native: _native, ...registration } = parsed.data as typeof parsed.data & {
      freeze?: unknown;
      native?: unknown;
    };
    const now = new Date().toISOString();
    const existing = account.modules.get(code);
    if (existing !== undefined) {
      existing.registration = registration;
      existing.active = active ?? existing.active;
      existing.updatedAt = now;
      return reply.code(200).send({ success: true, info: [] });
    }
    const created: StoredModule = {
      registration,
      active: active ?? true,
      freeze: false,
      lastDelivery: null,
      createdAt: now,
      updatedAt: now,
    };
    account.modules.set(code, created);
    return reply.code(201).send({ success: true, info: [] });
  });

  app.post<CodeParams>('/api/v5/integration-modules/:code/update-scopes', (request, reply) => {
    const call = v5Call(request, reply, RIGHTS.updateScopes);
    if (call === null) return reply;
    const { account } = call;
    if (!account.modules.has(request.params.code)) return sendCrmError(reply, 400, CrmErrorMsg.InputParameters);
    const json = jsonFormField(request, reply, 'requires');
    if (json === undefined) return reply;
    const parsed = UpdateScopesRequest.safeParse(json);
    if (!parsed.success) return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, fieldErrors(parsed.error.issues, 'requires'));
    const unknown = parsed.data.scopes.filter((scope) => !isKnownScope(scope));
    if (unknown.length > 0) return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { scopes: `Unknown scopes: ${unknown.join(', ')}` });
    // The previous key stays valid (PROTOCOL §18 leaves it open; protocol decision in docs/protocol-decisions.md).
    const record = makeApiKeyRecord({
      id: ctx.state.nextKeyId(),
      scopes: parsed.data.scopes,
      credentials: [],
      siteAccess: 'access_full',
      sitesAvailable: [],
    });
    account.keys.set(record.key, record);
    return reply.send({ success: true, apiKey: record.key });
  });

  app.all('/api/*', (_request, reply) => sendCrmError(reply, 404, METHOD_NOT_FOUND));
}
