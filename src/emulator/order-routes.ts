/**
 * Orders and their history on the emulated account API (PROTOCOL-INTEGRATIONS §24.3): list with filters, get by
 * id or externalId, create, edit, and the history with `sinceId` as the CRM pages it.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { CrmErrorMsg, formatCrmDateTime, OrderWrite } from '../protocol/index.js';
import { sendCrmError } from './api-auth.js';
import type { EmulatorContext } from './context.js';
import { createOrder, dataOf, editOrder, findOrder, historyAfter, historyView, paginate } from './crm-data.js';
import { filterOf, type Id, list, NOT_VALID, resourceCalls, RIGHTS, str } from './resource-calls.js';

export function orderRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { gate, paging, entity, attempt, visibleSite, by } = resourceCalls(ctx);

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
}
