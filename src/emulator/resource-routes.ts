/**
 * The account API beyond the connection (PROTOCOL-INTEGRATIONS §24): orders and their history, customers,
 * reference lists, custom fields, notifications, features, settings. Same gate as the connection methods (key,
 * API 5, right), the CRM's pagination and its validation answers.
 * @module
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CrmErrorMsg, CustomerWrite, CustomFieldEntity, CustomFieldWrite, Notification } from '../protocol/index.js';
import { apiKeyOf, sendCrmError } from './api-auth.js';
import type { EmulatorContext } from './context.js';
import { createCustomer, createCustomField, dataOf, editCustomer, findCustomer, paginate } from './crm-data.js';
import { maskApiKey } from './keys.js';
import { orderRoutes } from './order-routes.js';
import { type Field, filterOf, type Id, list, NOT_VALID, resourceCalls, RIGHTS, str } from './resource-calls.js';
import type { Account } from './state.js';

export { acceptMultipartFields } from './resource-calls.js';

export function resourceRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { gate, paging, entity, attempt, visibleSite, by } = resourceCalls(ctx);
  orderRoutes(app, ctx);

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
