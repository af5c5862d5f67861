/**
 * The account API beyond the connection (PROTOCOL-INTEGRATIONS §24): orders and their history, customers,
 * reference lists, custom fields, notifications, features, settings. Same gate as the connection methods (key,
 * API 5, right), the CRM's pagination and its validation answers.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  CrmErrorMsg,
  CustomerWrite,
  CustomFieldEntity,
  CustomFieldWrite,
  formatCrmDateTime,
  hasApiMajorVersion,
  missingParameterMsg,
  MultipartError,
  multipartBoundary,
  Notification,
  OrderWrite,
  PAGE_LIMITS,
  parseBracketQuery,
  parseMultipartFields,
  type ParsedQuery,
} from '../protocol/index.js';
import { apiKeyOf, authorize, sendCrmError } from './api-auth.js';
import type { EmulatorContext } from './context.js';
import {
  createCustomer,
  createCustomField,
  createOrder,
  dataOf,
  editCustomer,
  editOrder,
  EntityProblems,
  findCustomer,
  findOrder,
  historyAfter,
  historyView,
  paginate,
} from './crm-data.js';
import { keyHasRight, maskApiKey, type ApiKeyRecord, type Right } from './keys.js';
import type { Account } from './state.js';

const right = (scope: string, legacyPath: string): Right => ({ scope, legacyPath });
const RIGHTS = {
  orderRead: right('order_read', '/api/orders'),
  orderWrite: right('order_write', '/api/orders/create'),
  customerRead: right('customer_read', '/api/customers'),
  customerWrite: right('customer_write', '/api/customers/create'),
  referenceRead: right('reference_read', '/api/reference/stores'),
  fieldsRead: right('custom_fields_read', '/api/custom-fields'),
  fieldsWrite: right('custom_fields_write', '/api/custom-fields/{entity}/create'),
};

const NOT_VALID = 'This value is not valid.';
type Id = { Params: { id: string } };
type Field = { Params: { entity: string; code: string } };

interface Call {
  readonly account: Account;
  readonly key: ApiKeyRecord;
  readonly query: ParsedQuery;
  readonly body: Record<string, unknown>;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const list = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : undefined;
const filterOf = (query: ParsedQuery): Record<string, unknown> =>
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

export function resourceRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
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

  // ---------------------------------------------------------------- orders

  app.get('/api/v5/orders', (request, reply) => {
    const call = gate(request, reply, RIGHTS.orderRead);
    if (call === null) return reply;
    const pages = paging(call, reply);
    if (pages === null) return reply;
    const f = filterOf(call.query);
    const ids = list(f.ids)?.map(Number);
    const externalIds = list(f.externalIds);
    const numbers = list(f.numbers);
    const sites = list(f.sites);
    const types = list(f.orderTypes);
    const statuses = list(f.extendedStatus);
    const customerId = str(f.customerId);
    const orders = dataOf(call.account).orders.filter(
      (o) =>
        visibleSite(call.key, o.site) &&
        (ids === undefined || ids.includes(o.id)) &&
        (externalIds === undefined || (o.externalId !== undefined && externalIds.includes(o.externalId))) &&
        (numbers === undefined || numbers.includes(o.number)) &&
        (sites === undefined || sites.includes(o.site)) &&
        (types === undefined || types.includes(o.orderType)) &&
        (statuses === undefined || statuses.includes(o.status)) &&
        (customerId === undefined || String((o.customer as { id?: number } | undefined)?.id) === customerId),
    );
    const { page, pagination } = paginate(orders, pages.limit, pages.page);
    return reply.send({ success: true, pagination, orders: page });
  });

  app.get('/api/v5/orders/history', (request, reply) => {
    const call = gate(request, reply, RIGHTS.orderRead);
    if (call === null) return reply;
    const pages = paging(call, reply);
    if (pages === null) return reply;
    const f = filterOf(call.query);
    const errors: Record<string, string> = {};
    const int = (name: string): number | undefined => {
      const value = f[name];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || !/^\d+$/.test(value)) errors[`children[${name}]`] = NOT_VALID;
      return Number(value);
    };
    const date = (name: string): string | undefined => {
      const value = f[name];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/.test(value)) errors[`children[${name}]`] = NOT_VALID;
      return String(value);
    };
    const filter = {
      sinceId: int('sinceId'),
      orderId: int('orderId'),
      orderExternalId: str(f.orderExternalId),
      startDate: date('startDate'),
      endDate: date('endDate'),
    };
    if (Object.keys(errors).length > 0) return sendCrmError(reply, 400, CrmErrorMsg.InputParameters, errors);
    const data = dataOf(call.account);
    const entries = historyAfter(data, filter).filter((entry) => visibleSite(call.key, String(entry.order.site)));
    const { page, pagination } = paginate(entries, pages.limit, pages.page);
    return reply.send({
      success: true,
      generatedAt: formatCrmDateTime(new Date()),
      history: page.map((entry) => historyView(entry, call.key.key)),
      pagination,
    });
  });

  app.get<Id>('/api/v5/orders/:id', (request, reply) => {
    const call = gate(request, reply, RIGHTS.orderRead);
    if (call === null) return reply;
    const lookup = by(call);
    if (lookup === undefined) return sendCrmError(reply, 400, CrmErrorMsg.InputParameters, { by: NOT_VALID });
    const order = findOrder(call.account, request.params.id, lookup, str(call.query.site));
    if (order === undefined || !visibleSite(call.key, order.site)) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    return reply.send({ success: true, order });
  });

  app.post('/api/v5/orders/create', (request, reply) => {
    const call = gate(request, reply, RIGHTS.orderWrite);
    if (call === null) return reply;
    const order = entity(call, reply, 'order', OrderWrite);
    if (order === undefined) return reply;
    const site = str(call.body.site);
    if (site !== undefined && !visibleSite(call.key, site)) return sendCrmError(reply, 403, CrmErrorMsg.AccessDenied);
    const created = attempt(reply, () => createOrder(call.account, order, site, { source: 'api', apiKey: call.key.key }));
    if (created === undefined) return reply;
    return reply.code(201).send({ success: true, id: created.id, order: created });
  });

  app.post<Id>('/api/v5/orders/:id/edit', (request, reply) => {
    const call = gate(request, reply, RIGHTS.orderWrite);
    if (call === null) return reply;
    const lookup = by(call);
    if (lookup === undefined) return sendCrmError(reply, 400, CrmErrorMsg.InputParameters, { by: NOT_VALID });
    const order = entity(call, reply, 'order', OrderWrite);
    if (order === undefined) return reply;
    const target = findOrder(call.account, request.params.id, lookup, str(call.body.site));
    if (target === undefined || !visibleSite(call.key, target.site)) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    const edited = attempt(reply, () => editOrder(call.account, target, order, { source: 'api', apiKey: call.key.key }));
    if (edited === undefined) return reply;
    return reply.send({ success: true, id: edited.id, order: edited });
  });

  // ---------------------------------------------------------------- customers

  app.get('/api/v5/customers', (request, reply) => {
    const call = gate(request, reply, RIGHTS.customerRead);
    if (call === null) return reply;
    const pages = paging(call, reply);
    if (pages === null) return reply;
    const f = filterOf(call.query);
    const ids = list(f.ids)?.map(Number);
    const externalIds = list(f.externalIds);
    const sites = list(f.sites);
    const name = str(f.name)?.toLowerCase();
    const email = str(f.email)?.toLowerCase();
    const customers = dataOf(call.account).customers.filter((c) => {
      const text = [c.firstName, c.lastName, c.email, ...((c.phones as { number: string }[] | undefined) ?? []).map((p) => p.number)]
        .filter((v): v is string => typeof v === 'string')
        .join(' ')
        .toLowerCase();
      return (
        visibleSite(call.key, c.site) &&
        (ids === undefined || ids.includes(c.id)) &&
        (externalIds === undefined || (c.externalId !== undefined && externalIds.includes(c.externalId))) &&
        (sites === undefined || sites.includes(c.site)) &&
        (name === undefined || text.includes(name)) &&
        (email === undefined || String(c.email ?? '').toLowerCase() === email)
      );
    });
    const { page, pagination } = paginate(customers, pages.limit, pages.page);
    return reply.send({ success: true, pagination, customers: page });
  });

  app.get<Id>('/api/v5/customers/:id', (request, reply) => {
    const call = gate(request, reply, RIGHTS.customerRead);
    if (call === null) return reply;
    const lookup = by(call);
    if (lookup === undefined) return sendCrmError(reply, 400, CrmErrorMsg.InputParameters, { by: NOT_VALID });
    const customer = findCustomer(call.account, request.params.id, lookup);
    if (customer === undefined || !visibleSite(call.key, customer.site)) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    return reply.send({ success: true, customer });
  });

  app.post('/api/v5/customers/create', (request, reply) => {
    const call = gate(request, reply, RIGHTS.customerWrite);
    if (call === null) return reply;
    const customer = entity(call, reply, 'customer', CustomerWrite);
    if (customer === undefined) return reply;
    const site = str(call.body.site);
    if (site !== undefined && !visibleSite(call.key, site)) return sendCrmError(reply, 403, CrmErrorMsg.AccessDenied);
    const created = attempt(reply, () => createCustomer(call.account, customer, site));
    if (created === undefined) return reply;
    return reply.code(201).send({ success: true, id: created.id });
  });

  app.post<Id>('/api/v5/customers/:id/edit', (request, reply) => {
    const call = gate(request, reply, RIGHTS.customerWrite);
    if (call === null) return reply;
    const lookup = by(call);
    if (lookup === undefined) return sendCrmError(reply, 400, CrmErrorMsg.InputParameters, { by: NOT_VALID });
    const customer = entity(call, reply, 'customer', CustomerWrite);
    if (customer === undefined) return reply;
    const target = findCustomer(call.account, request.params.id, lookup);
    if (target === undefined || !visibleSite(call.key, target.site)) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    const edited = attempt(reply, () => editCustomer(call.account, target, customer));
    if (edited === undefined) return reply;
    return reply.send({ success: true, id: edited.id });
  });

  // ---------------------------------------------------------------- reference lists: objects keyed by code, stores a list

  const reference = (path: string, key: string, read: (account: Account) => unknown) =>
    app.get(`/api/v5/reference/${path}`, (request, reply) => {
      const call = gate(request, reply, RIGHTS.referenceRead);
      if (call === null) return reply;
      return reply.send({ success: true, [key]: read(call.account) });
    });
  reference('stores', 'stores', (account) => dataOf(account).stores);
  reference('order-types', 'orderTypes', (account) => Object.fromEntries(dataOf(account).orderTypes));
  reference('statuses', 'statuses', (account) => Object.fromEntries(dataOf(account).statuses));
  reference('payment-types', 'paymentTypes', (account) => Object.fromEntries(dataOf(account).paymentTypes));
  reference('delivery-types', 'deliveryTypes', (account) => Object.fromEntries(dataOf(account).deliveryTypes));

  // ---------------------------------------------------------------- custom fields

  app.get('/api/v5/custom-fields', (request, reply) => {
    const call = gate(request, reply, RIGHTS.fieldsRead);
    if (call === null) return reply;
    const pages = paging(call, reply);
    if (pages === null) return reply;
    const f = filterOf(call.query);
    const fields = [...dataOf(call.account).customFields.values()].filter(
      (field) =>
        (str(f.entity) === undefined || field.entity === f.entity) &&
        (str(f.code) === undefined || field.code === f.code) &&
        (str(f.name) === undefined || field.name.toLowerCase().includes(String(f.name).toLowerCase())),
    );
    const { page, pagination } = paginate(fields, pages.limit, pages.page);
    return reply.send({ success: true, pagination, customFields: page });
  });

  const entityOf = (reply: FastifyReply, value: string) => {
    if (CustomFieldEntity.safeParse(value).success) return value;
    sendCrmError(reply, 400, CrmErrorMsg.InputParameters, { entity: NOT_VALID });
    return undefined;
  };

  app.get<Field>('/api/v5/custom-fields/:entity/:code', (request, reply) => {
    const call = gate(request, reply, RIGHTS.fieldsRead);
    if (call === null) return reply;
    const field = dataOf(call.account).customFields.get(`${request.params.entity}:${request.params.code}`);
    if (field === undefined) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    return reply.send({ success: true, customField: field });
  });

  app.post<{ Params: { entity: string } }>('/api/v5/custom-fields/:entity/create', (request, reply) => {
    const call = gate(request, reply, RIGHTS.fieldsWrite);
    if (call === null) return reply;
    const kind = entityOf(reply, request.params.entity);
    if (kind === undefined) return reply;
    const field = entity(call, reply, 'customField', CustomFieldWrite);
    if (field === undefined) return reply;
    const created = attempt(reply, () => createCustomField(call.account, kind, field));
    if (created === undefined) return reply;
    return reply.code(201).send({ success: true, code: created.code });
  });

  app.post<Field>('/api/v5/custom-fields/:entity/:code/edit', (request, reply) => {
    const call = gate(request, reply, RIGHTS.fieldsWrite);
    if (call === null) return reply;
    const field = entity(call, reply, 'customField', CustomFieldWrite);
    if (field === undefined) return reply;
    const target = dataOf(call.account).customFields.get(`${request.params.entity}:${request.params.code}`);
    if (target === undefined) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    if (field.type !== undefined && field.type !== target.type)
      return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { type: 'The type of a field cannot be changed.' });
    const { code: _code, ...changes } = field;
    Object.assign(target, changes);
    return reply.send({ success: true, code: target.code });
  });

  // ---------------------------------------------------------------- notifications, features, settings

  app.post('/api/v5/notifications/send', (request, reply) => {
    const call = gate(request, reply, null);
    if (call === null) return reply;
    const notification = entity(call, reply, 'notification', Notification);
    if (notification === undefined) return reply;
    if (notification.userGroups === undefined && notification.userIds === undefined)
      return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { userGroups: 'Name userGroups or userIds.' });
    dataOf(call.account).notifications.push({ at: new Date().toISOString(), notification, apiKey: maskApiKey(apiKeyOf(request)) });
    return reply.send({ success: true });
  });

  app.get('/api/v5/features/check', (request, reply) => {
    const call = gate(request, reply, null);
    if (call === null) return reply;
    const codes = list(call.query.features) ?? [];
    const known = dataOf(call.account).features;
    return reply.send({ success: true, features: codes.map((code) => ({ code, available: known.get(code) ?? false })) });
  });

  app.get('/api/v5/settings', (request, reply) => {
    const call = gate(request, reply, null);
    if (call === null) return reply;
    return reply.send({ success: true, settings: dataOf(call.account).systemSettings });
  });
}
