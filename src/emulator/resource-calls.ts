/**
 * What every resource route of the emulated account API shares: the gate (key, API 5, right), the CRM's paging,
 * entity parsing from a JSON form field, and its validation answers.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  CrmErrorMsg,
  hasApiMajorVersion,
  missingParameterMsg,
  MultipartError,
  multipartBoundary,
  PAGE_LIMITS,
  parseBracketQuery,
  parseMultipartFields,
  type ParsedQuery,
} from '../protocol/index.js';
import { authorize, sendCrmError } from './api-auth.js';
import type { EmulatorContext } from './context.js';
import { EntityProblems } from './crm-data.js';
import { keyHasRight, type ApiKeyRecord, type Right } from './keys.js';
import type { Account } from './state.js';

export const right = (scope: string, legacyPath: string): Right => ({ scope, legacyPath });
export const RIGHTS = {
  orderRead: right('order_read', '/api/orders'),
  orderWrite: right('order_write', '/api/orders/create'),
  customerRead: right('customer_read', '/api/customers'),
  customerWrite: right('customer_write', '/api/customers/create'),
  referenceRead: right('reference_read', '/api/reference/stores'),
  fieldsRead: right('custom_fields_read', '/api/custom-fields'),
  fieldsWrite: right('custom_fields_write', '/api/custom-fields/{entity}/create'),
};

export const NOT_VALID = 'This value is not valid.';
export type Id = { Params: { id: string } };
export type Field = { Params: { entity: string; code: string } };

export interface Call {
  readonly account: Account;
  readonly key: ApiKeyRecord;
  readonly query: ParsedQuery;
  readonly body: Record<string, unknown>;
}

export const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
export const list = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : undefined;
export const filterOf = (query: ParsedQuery): Record<string, unknown> =>
  typeof query.filter === 'object' && query.filter !== null && !Array.isArray(query.filter) ? (query.filter as Record<string, unknown>) : {};

/** Text-field multipart bodies, as older vendor clients send every POST; malformed ones are a 400. */
export function acceptMultipartFields(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (request, body, done) => {
    const boundary = multipartBoundary(request.headers['content-type']);
    try {
      if (boundary === undefined) throw new MultipartError('no boundary');
      done(null, parseMultipartFields(body as string, boundary));
    } catch (error) {
      done(Object.assign(new Error((error as Error).message), { statusCode: 400 }), undefined);
    }
  });
}

/** The steps every resource route takes: the gate, paging, entity parsing, the CRM's validation answers. */
export function resourceCalls(ctx: EmulatorContext) {
  /** Key, API 5, right — in the CRM's order (see api-routes.ts); answers and returns null when the call stops. */
  function gate(request: FastifyRequest, reply: FastifyReply, needed: Right | null): Call | null {
    const account = ctx.accountOf(request);
    const key = authorize(request, reply, account, null);
    if (key === null) return null;
    if (!hasApiMajorVersion(account.apiVersions, 5)) {
      sendCrmError(reply, 404, 'API method not found');
      return null;
    }
    if (!keyHasRight(key, needed)) {
      sendCrmError(reply, 403, CrmErrorMsg.AccessDenied);
      return null;
    }
    const q = request.url.indexOf('?');
    return {
      account,
      key,
      query: q === -1 ? {} : parseBracketQuery(request.url.slice(q + 1)),
      body: (request.body as Record<string, unknown> | undefined) ?? {},
    };
  }

  /** `limit` and `page`, or the CRM's 400 (§24.2). */
  function paging(call: Call, reply: FastifyReply): { limit: number; page: number } | null {
    const limit = call.query.limit === undefined ? 20 : Number(call.query.limit);
    const page = call.query.page === undefined ? 1 : Number(call.query.page);
    const errors: Record<string, string> = {};
    if (!(PAGE_LIMITS as readonly number[]).includes(limit)) errors.limit = `The value must be one of: ${PAGE_LIMITS.join(', ')}.`;
    if (!Number.isInteger(page) || page < 1) errors.page = 'This value should be 1 or more.';
    if (Object.keys(errors).length > 0) {
      sendCrmError(reply, 400, CrmErrorMsg.InputParameters, errors);
      return null;
    }
    return { limit, page };
  }

  /** The JSON of form field `name`, checked by `schema`; answers the CRM's 400 itself on failure. */
  function entity<S extends z.ZodType>(call: Call, reply: FastifyReply, name: string, schema: S): z.output<S> | undefined {
    const text = call.body[name];
    if (typeof text !== 'string' || text === '') {
      sendCrmError(reply, 400, missingParameterMsg(name));
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { [name]: 'This value is not valid JSON.' });
      return undefined;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[issue.path.join('.') || name] ??= issue.message;
      sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, errors);
      return undefined;
    }
    return parsed.data;
  }

  /** Runs a change; a reference problem becomes the CRM's 400 with field-keyed errors. */
  function attempt<T>(reply: FastifyReply, change: () => T): T | undefined {
    try {
      return change();
    } catch (error) {
      if (error instanceof EntityProblems) {
        sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, error.errors);
        return undefined;
      }
      throw error;
    }
  }

  const visibleSite = (key: ApiKeyRecord, site: string) => key.siteAccess === 'access_full' || key.sitesAvailable.includes(site);
  const by = (call: Call): 'id' | 'externalId' | undefined => {
    const value = call.query.by ?? call.body.by;
    return value === undefined ? 'externalId' : value === 'id' || value === 'externalId' ? value : undefined;
  };
  return { gate, paging, entity, attempt, visibleSite, by };
}

