/**
 * The account API a delivery or payment module calls (PROTOCOL-INTEGRATIONS §21.12, §22.6): delivery status
 * tracking, and the payment methods `check`, `create-invoice`, `update-invoice`, `invoice/{uuid}`,
 * `invoice/import`. Same gate as every resource method; what they change shows on the order page. Plus the
 * control API over `integration-control.ts`.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  CreateInvoice,
  CrmErrorMsg,
  DeliveryTrackingRequest,
  ImportInvoice,
  PaymentCheck,
  UpdateInvoice,
} from '../protocol/index.js';
import { sendCrmError } from './api-auth.js';
import type { EmulatorContext } from './context.js';
import { parseControl } from './control-schemas.js';
import type { IntegrationControl } from './integration-control.js';
import { integrationDataOf, invoiceByPaymentId, orderById, syncOrderDelivery, syncOrderPayment, type StoredInvoice } from './integration-data.js';
import { resourceCalls, right } from './resource-calls.js';
import { dataOf, editOrder } from './crm-data.js';

const RIGHTS = {
  deliveryWrite: right('delivery_write', '/api/delivery/generic/{code}/tracking'),
  paymentsRead: right('payments_read', '/api/payment/check'),
  paymentsWrite: right('payments_write', '/api/payment/updateInvoice'),
};

/** The invoice as `GET payment/invoice/{uuid}` shows it (amount as text, as the CRM sends it). */
function invoiceView(invoice: StoredInvoice) {
  return {
    invoiceUuid: invoice.invoiceUuid,
    orderId: invoice.orderId,
    paymentId: invoice.modulePaymentId ?? null,
    amount: invoice.amount.toFixed(2),
    currency: invoice.currency,
    status: invoice.status,
    invoiceType: 'link',
    link: invoice.link ?? null,
    paidAt: invoice.paidAt ?? null,
    refundable: invoice.refundable ?? false,
    cancellable: invoice.cancellable ?? false,
    ...(invoice.externalId ? { externalId: invoice.externalId } : {}),
    refunds: invoice.refunds.map((r) => ({ ...r, ...(r.amount !== undefined ? { amount: r.amount.toFixed(2) } : {}) })),
  };
}

export function integrationRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { gate, entity } = resourceCalls(ctx);

  app.post<{ Params: { code: string } }>('/api/v5/delivery/generic/:code/tracking', (request, reply) => {
    const call = gate(request, reply, RIGHTS.deliveryWrite);
    if (call === null) return reply;
    const module = call.account.modules.get(request.params.code);
    if (module === undefined || (module.registration.integrations as Record<string, unknown> | undefined)?.delivery === undefined)
      return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    const updates = entity(call, reply, 'statusUpdate', DeliveryTrackingRequest);
    if (updates === undefined) return reply;
    const deliveries = integrationDataOf(call.account).deliveries;
    const found = updates.map((update) => [...deliveries].find(([, d]) => d.code === request.params.code && d.deliveryId === update.deliveryId));
    // §26 #14: an unknown delivery refuses the whole batch (nothing is half applied).
    const errors: Record<string, string> = {};
    found.forEach((entry, index) => {
      if (entry === undefined) errors[`statusUpdate[${index}].deliveryId`] = `Delivery "${updates[index]!.deliveryId}" not found.`;
    });
    if (Object.keys(errors).length > 0) return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, errors);
    updates.forEach((update, index) => {
      const [orderId, delivery] = found[index]!;
      if (update.trackNumber !== undefined) delivery.trackNumber = update.trackNumber;
      if (update.cost !== undefined) delivery.cost = update.cost;
      for (const status of update.history ?? [])
        if (!delivery.history.some((h) => h.code === status.code && h.updatedAt === status.updatedAt)) delivery.history.push(status);
      delivery.history.sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
      // The newest status wins (§21.12).
      const newest = delivery.history.at(-1);
      if (newest !== undefined) delivery.status = newest.code;
      const order = orderById(call.account, orderId);
      if (order === undefined) return;
      const change = { source: 'api', apiKey: call.key.key } as const;
      syncOrderDelivery(call.account, order, delivery, change);
      // The module's status mapping (`settings.statuses`): the carrier's status moves the order to the account's.
      const mapping = ((module.registration.integrations as { delivery?: { settings?: { statuses?: { code: string; trackingStatusCode: string }[] } } }).delivery?.settings?.statuses ?? [])
        .find((m) => m.trackingStatusCode === delivery.status);
      if (mapping !== undefined && dataOf(call.account).statuses.has(mapping.code) && order.status !== mapping.code)
        editOrder(call.account, order, { status: mapping.code }, change);
    });
    return reply.send({ success: true });
  });

  app.post('/api/v5/payment/check', (request, reply) => {
    const call = gate(request, reply, RIGHTS.paymentsRead);
    if (call === null) return reply;
    const check = entity(call, reply, 'check', PaymentCheck);
    if (check === undefined) return reply;
    const invoice = integrationDataOf(call.account).invoices.get(check.invoiceUuid);
    if (invoice === undefined) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    const problem =
      invoice.status === 'canceled' || invoice.status === 'succeeded' || invoice.status === 'refundSucceeded'
        ? `The invoice is already ${invoice.status}`
        : check.currency !== invoice.currency || Math.abs(check.amount - invoice.amount) > 0.005
          ? 'The amount or currency does not match the invoice'
          : undefined;
    return reply.send({ success: true, result: problem === undefined ? { success: true } : { success: false, errorMsg: problem } });
  });

  app.post('/api/v5/payment/create-invoice', async (request, reply) => {
    const call = gate(request, reply, RIGHTS.paymentsWrite);
    if (call === null) return reply;
    const input = entity(call, reply, 'createInvoice', CreateInvoice);
    if (input === undefined) return reply;
    const invoice = invoiceByPaymentId(call.account, input.paymentId);
    if (invoice === undefined) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    if (invoice.link === undefined) return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { paymentId: 'The payment has no invoice link yet.' });
    return reply.send({ success: true, result: { link: invoice.link } });
  });

  app.post('/api/v5/payment/update-invoice', (request, reply) => {
    const call = gate(request, reply, RIGHTS.paymentsWrite);
    if (call === null) return reply;
    const update = entity(call, reply, 'updateInvoice', UpdateInvoice);
    if (update === undefined) return reply;
    const invoice = integrationDataOf(call.account).invoices.get(update.invoiceUuid);
    if (invoice === undefined) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    if (update.paymentId !== undefined && invoice.modulePaymentId !== undefined && update.paymentId !== invoice.modulePaymentId)
      return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { paymentId: 'The invoice belongs to another payment.' });
    if (update.paymentId !== undefined) invoice.modulePaymentId = update.paymentId;
    if (update.status !== undefined) invoice.status = update.status;
    if (update.amount !== undefined) invoice.amount = update.amount;
    if (update.invoiceUrl !== undefined) invoice.link = update.invoiceUrl;
    if (update.paidAt !== undefined) invoice.paidAt = update.paidAt;
    if (update.refundable !== undefined) invoice.refundable = update.refundable;
    if (update.cancellable !== undefined) invoice.cancellable = update.cancellable;
    if (update.refund !== undefined) {
      const known = invoice.refunds.findIndex((r) => r.id === update.refund!.id);
      if (known === -1) invoice.refunds.push({ ...update.refund });
      else invoice.refunds[known] = { ...update.refund };
    }
    const order = orderById(call.account, invoice.orderId);
    if (order) syncOrderPayment(call.account, order, invoice, { source: 'api', apiKey: call.key.key });
    return reply.send({ success: true });
  });

  app.get<{ Params: { uuid: string } }>('/api/v5/payment/invoice/:uuid', (request, reply) => {
    const call = gate(request, reply, RIGHTS.paymentsRead);
    if (call === null) return reply;
    const invoice = integrationDataOf(call.account).invoices.get(request.params.uuid);
    if (invoice === undefined) return sendCrmError(reply, 404, CrmErrorMsg.NotFound);
    return reply.send({ success: true, invoice: invoiceView(invoice) });
  });

  app.post('/api/v5/payment/invoice/import', (request, reply) => {
    const call = gate(request, reply, RIGHTS.paymentsWrite);
    if (call === null) return reply;
    const input = entity(call, reply, 'invoice', ImportInvoice);
    if (input === undefined) return reply;
    const invoice = invoiceByPaymentId(call.account, input.paymentId);
    if (invoice === undefined) return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { paymentId: 'Payment not found.' });
    if (invoice.modulePaymentId !== undefined || invoice.externalId !== undefined)
      return sendCrmError(reply, 400, CrmErrorMsg.EntityFormat, { paymentId: 'The payment already has an invoice.' });
    Object.assign(invoice, {
      externalId: input.externalId,
      amount: input.amount,
      currency: input.currency,
      status: input.status,
      ...(input.paidAt !== undefined ? { paidAt: input.paidAt } : {}),
      ...(input.refundable !== undefined ? { refundable: input.refundable } : {}),
      refunds: (input.refunds ?? []).map(({ id, status, amount, comment }) => ({ id, status, ...(amount !== undefined ? { amount } : {}), ...(comment !== undefined ? { comment } : {}) })),
    });
    const order = orderById(call.account, invoice.orderId);
    if (order) syncOrderPayment(call.account, order, invoice, { source: 'api', apiKey: call.key.key });
    return reply.code(201).send({ success: true, invoice: { invoiceUuid: invoice.invoiceUuid } });
  });
}

const OrderIds = z.strictObject({ orderIds: z.array(z.number().int().positive()).min(1) });
type Name = { Params: { name: string } };
type OrderParams = { Params: { name: string; id: string } };
type InvoiceParams = { Params: { name: string; uuid: string } };
const orderId = (raw: string) => parseControl(z.coerce.number().int().positive(), raw);

/** `/_emulator/accounts/:name/orders/:id/delivery/…` and `…/invoices/:uuid/…`: the order page's buttons, for tests. */
export function integrationControlRoutes(app: FastifyInstance, control: IntegrationControl): void {
  app.get<OrderParams>('/_emulator/accounts/:name/orders/:id/delivery', async (request) => ({ delivery: control.orderDelivery(request.params.name, orderId(request.params.id)) ?? null }));
  app.post<OrderParams>('/_emulator/accounts/:name/orders/:id/delivery/calculate', async (request) =>
    control.deliveryCalculate(request.params.name, orderId(request.params.id), parseControl(z.strictObject({ code: z.string().min(1) }), request.body ?? {}).code),
  );
  app.post<OrderParams>('/_emulator/accounts/:name/orders/:id/delivery/save', async (request) =>
    control.deliverySave(request.params.name, orderId(request.params.id), parseControl(z.strictObject({ code: z.string().optional(), tariff: z.string().optional() }), request.body ?? {})),
  );
  app.post<OrderParams>('/_emulator/accounts/:name/orders/:id/delivery/refresh', async (request) => control.deliveryRefresh(request.params.name, orderId(request.params.id)));
  app.post<OrderParams>('/_emulator/accounts/:name/orders/:id/delivery/cancel', async (request) => control.deliveryCancel(request.params.name, orderId(request.params.id)));
  app.post<Name>('/_emulator/accounts/:name/delivery/print', async (request, reply) => {
    const input = parseControl(OrderIds.extend({ plate: z.string().min(1) }), request.body ?? {});
    const outcome = await control.deliveryPrint(request.params.name, input.orderIds, input.plate);
    return outcome.ok ? reply.type(outcome.contentType).send(outcome.bytes) : reply.code(200).send(outcome);
  });
  app.post<Name>('/_emulator/accounts/:name/delivery/shipments', async (request) => {
    const input = parseControl(OrderIds.extend({ date: z.string().optional() }), request.body ?? {});
    return control.deliveryShipment(request.params.name, input.orderIds, input.date);
  });
  app.post<OrderParams>('/_emulator/accounts/:name/orders/:id/delivery/shipment/cancel', async (request) => control.deliveryShipmentCancel(request.params.name, orderId(request.params.id)));
  app.get<Name>('/_emulator/accounts/:name/invoices', async (request) => ({ invoices: control.invoices(request.params.name) }));
  app.post<OrderParams>('/_emulator/accounts/:name/orders/:id/invoices', async (request) =>
    control.paymentCreate(request.params.name, orderId(request.params.id), parseControl(z.strictObject({ code: z.string().min(1), amount: z.number().positive().optional() }), request.body ?? {})),
  );
  app.post<InvoiceParams>('/_emulator/accounts/:name/invoices/:uuid/approve', async (request) => control.paymentApprove(request.params.name, request.params.uuid));
  app.post<InvoiceParams>('/_emulator/accounts/:name/invoices/:uuid/cancel', async (request) => control.paymentCancel(request.params.name, request.params.uuid));
  app.post<InvoiceParams>('/_emulator/accounts/:name/invoices/:uuid/status', async (request) => control.paymentStatus(request.params.name, request.params.uuid));
  app.post<InvoiceParams>('/_emulator/accounts/:name/invoices/:uuid/refund', async (request) =>
    control.paymentRefund(request.params.name, request.params.uuid, parseControl(z.strictObject({ amount: z.number().positive().optional() }), request.body ?? {}).amount),
  );
}
