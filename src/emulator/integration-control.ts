/**
 * The CRM's side of delivery and payment modules, as a person (order page) or a test (control API) drives it:
 * ask the carrier for tariffs, register, refresh, cancel and print a delivery, request a pick-up; create an
 * invoice through the gateway, approve, cancel, refund it. Each answer is checked against the protocol schema
 * (`integration-caller.ts`); a refusal is kept on the order to be shown as the CRM shows it.
 * @module
 */
import {
  CreatePaymentResult,
  DeliveryCalculateResult,
  DeliveryGetResult,
  DeliverySaveResult,
  DeliveryShipmentSaveResult,
  PaymentRefundResult,
  PaymentStatusResult,
  type CreatePaymentResult as CreateResult,
  type PaymentStatusResult as StatusResult,
  type DeliveryGetResult as GetResult,
  type DeliverySaveResult as SaveResult,
  type Tariff,
} from '../protocol/index.js';
import { dataOf, type ChangeSource, type StoredOrder } from './crm-data.js';
import { EmulatorNotFoundError, EmulatorRequestError } from './errors.js';
import { createIntegrationCaller, type CallOutcome } from './integration-caller.js';
import {
  integrationDataOf,
  newInvoice,
  orderById,
  syncOrderDelivery,
  syncOrderPayment,
  type OrderDelivery,
  type StoredInvoice,
} from './integration-data.js';
import type { Account } from './state.js';

export type DeliveryOutcome = { readonly ok: true; readonly delivery: OrderDelivery } | { readonly ok: false; readonly refusal: string; readonly delivery?: OrderDelivery };
export type InvoiceOutcome = { readonly ok: true; readonly invoice: StoredInvoice } | { readonly ok: false; readonly refusal: string; readonly invoice?: StoredInvoice };
export type PrintOutcome = { readonly ok: true; readonly contentType: string; readonly bytes: Buffer } | { readonly ok: false; readonly refusal: string };

export interface IntegrationControl {
  /** Modules of the account that registered `integrations.delivery` / `.payment`, by code. */
  integrationCodes(account: string, kind: 'delivery' | 'payment'): string[];
  orderDelivery(account: string, orderId: number): OrderDelivery | undefined;
  /** `calculate` for the order with the carrier `code`; the tariffs are kept for the order page. */
  deliveryCalculate(account: string, orderId: number, code: string): Promise<DeliveryOutcome>;
  /** `save` with the chosen tariff: registers the delivery (or updates it, once it has a `deliveryId`). */
  deliverySave(account: string, orderId: number, choice: { readonly code?: string; readonly tariff?: string }): Promise<DeliveryOutcome>;
  /** `get`: the carrier's current data of the delivery. */
  deliveryRefresh(account: string, orderId: number): Promise<DeliveryOutcome>;
  /** `delete`: cancels the delivery at the carrier; the order keeps the carrier, without a delivery id. */
  deliveryCancel(account: string, orderId: number): Promise<DeliveryOutcome>;
  deliveryPrint(account: string, orderIds: readonly number[], plate: string): Promise<PrintOutcome>;
  /** `shipmentSave`: a pick-up request for the orders' deliveries (one carrier). */
  deliveryShipment(account: string, orderIds: readonly number[], date?: string): Promise<DeliveryOutcome>;
  /** `shipmentDelete`: withdraws the pick-up request the order's delivery is in. */
  deliveryShipmentCancel(account: string, orderId: number): Promise<DeliveryOutcome>;
  invoices(account: string, orderId?: number): StoredInvoice[];
  /** A new order payment of `amount` (default: the order's total) through gateway `code`, and its `create`. */
  paymentCreate(account: string, orderId: number, input: { readonly code: string; readonly amount?: number }): Promise<InvoiceOutcome>;
  paymentApprove(account: string, invoiceUuid: string): Promise<InvoiceOutcome>;
  paymentCancel(account: string, invoiceUuid: string): Promise<InvoiceOutcome>;
  paymentRefund(account: string, invoiceUuid: string, amount?: number): Promise<InvoiceOutcome>;
  /** `status` (where the gateway declares it): the gateway's view of the payment, taken over onto the invoice. */
  paymentStatus(account: string, invoiceUuid: string): Promise<InvoiceOutcome>;
}

const PERSON: ChangeSource = { source: 'user' };
const today = () => new Date().toISOString().slice(0, 10);

/** What the CRM sends about an order: its items as one package, its address, the shop's currency. */
function packagesOf(order: StoredOrder) {
  const items = order.items.map((item) => ({
    ...(typeof item.productName === 'string' ? { name: item.productName } : {}),
    quantity: Number(item.quantity ?? 1),
    declaredValue: Number(item.initialPrice ?? 0),
    cost: Number(item.initialPrice ?? 0),
  }));
  const weight = typeof order.weight === 'number' ? order.weight : 1000 * Math.max(1, items.length);
  return [{ packageId: '1', weight, width: 200, length: 300, height: 150, items }];
}
/** A dotted path of the order (`deliveryAddress.index` reads the order's delivery address), as `requiredFields` names them. */
function orderValue(order: StoredOrder, path: string): unknown {
  const [head, ...rest] = path.split('.');
  let value: unknown = head === 'deliveryAddress' ? (order.delivery as { address?: unknown } | undefined)?.address : (order as Record<string, unknown>)[head ?? ''];
  for (const key of rest) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}
const addressOf = (order: StoredOrder) => ((order.delivery as { address?: Record<string, unknown> } | undefined)?.address ?? {});

export function createIntegrationControl(deps: { account(name: string): Account; timeoutMs: number }): IntegrationControl & { close(): Promise<void> } {
  const caller = createIntegrationCaller({ timeoutMs: deps.timeoutMs });

  const order = (account: Account, id: number) => {
    const found = orderById(account, id);
    if (found === undefined) throw new EmulatorNotFoundError('order', String(id));
    return found;
  };
  const deliveryOf = (account: Account, id: number) => {
    const delivery = integrationDataOf(account).deliveries.get(id);
    if (delivery === undefined) throw new EmulatorRequestError([`order ${id}: no delivery module chosen (calculate first)`]);
    return delivery;
  };
  const invoiceOf = (account: Account, uuid: string) => {
    const invoice = integrationDataOf(account).invoices.get(uuid);
    if (invoice === undefined) throw new EmulatorNotFoundError('invoice', uuid);
    return invoice;
  };
  function refused(delivery: OrderDelivery, outcome: CallOutcome<unknown> & { ok: false }): DeliveryOutcome {
    delivery.refusal = outcome.refusal;
    return { ok: false, refusal: outcome.refusal, delivery };
  }
  function invoiceRefused(invoice: StoredInvoice, outcome: CallOutcome<unknown> & { ok: false }): InvoiceOutcome {
    invoice.refusal = outcome.refusal;
    return { ok: false, refusal: outcome.refusal, invoice };
  }

  return {
    integrationCodes(name, kind) {
      const account = deps.account(name);
      return [...account.modules].filter(([, m]) => (m.registration.integrations as Record<string, unknown> | undefined)?.[kind] !== undefined).map(([code]) => code);
    },
    orderDelivery: (name, id) => integrationDataOf(deps.account(name)).deliveries.get(id),

    async deliveryCalculate(name, id, code) {
      const account = deps.account(name);
      const target = order(account, id);
      const deliveries = integrationDataOf(account).deliveries;
      const delivery = deliveries.get(id)?.code === code ? deliveries.get(id)! : { code, tariffs: [], history: [] };
      deliveries.set(id, delivery);
      const store = dataOf(account).stores[0];
      const outcome = await caller.call<Tariff[]>(account, code, {
        kind: 'delivery',
        action: 'calculate',
        method: 'POST',
        result: DeliveryCalculateResult,
        input: {
          ...(store ? { store: { code: store.code, name: store.name } } : {}),
          deliveryAddress: addressOf(target),
          packages: packagesOf(target),
          declaredValue: Number(target.totalSumm ?? 0),
          currency: String(target.currency ?? 'EUR'),
          shipmentDate: today(),
        },
      });
      if (!outcome.ok) return refused(delivery, outcome);
      delivery.tariffs = outcome.result;
      delete delivery.refusal;
      return { ok: true, delivery };
    },

    async deliverySave(name, id, choice) {
      const account = deps.account(name);
      const target = order(account, id);
      const delivery = deliveryOf(account, id);
      if (choice.code !== undefined && choice.code !== delivery.code) throw new EmulatorRequestError([`order ${id}: calculate with "${choice.code}" first`]);
      const tariff = choice.tariff ?? delivery.tariff;
      if (tariff !== undefined && delivery.tariffs.length > 0 && !delivery.tariffs.some((t) => t.code === tariff))
        throw new EmulatorRequestError([`tariff: "${tariff}" is not one the carrier offered`]);
      const chosen = delivery.tariffs.find((t) => t.code === tariff);
      // The carrier's `requiredFields` are checked before `save` is sent, as the CRM's order form does (§20.3).
      const required = (((account.modules.get(delivery.code)?.registration.integrations as { delivery?: { requiredFields?: unknown } } | undefined)?.delivery?.requiredFields ?? []) as unknown[])
        .filter((path): path is string => typeof path === 'string');
      const missing = required.filter((path) => {
        const value = orderValue(target, path);
        return value === undefined || value === null || value === '';
      });
      if (missing.length > 0) {
        delivery.refusal = `Fill in what this delivery type requires: ${missing.join(', ')}`;
        return { ok: false, refusal: delivery.refusal, delivery };
      }
      const customer = target.customer as { id?: number; firstName?: string; lastName?: string; email?: string } | undefined;
      const outcome = await caller.call<SaveResult>(account, delivery.code, {
        kind: 'delivery',
        action: 'save',
        method: 'POST',
        result: DeliverySaveResult,
        input: {
          ...(delivery.deliveryId !== undefined ? { deliveryId: delivery.deliveryId } : {}),
          order: String(target.id),
          orderNumber: target.number,
          site: target.site,
          customer: {
            ...(customer?.id !== undefined ? { id: customer.id } : {}),
            firstName: String(target.firstName ?? customer?.firstName ?? ''),
            lastName: String(target.lastName ?? customer?.lastName ?? ''),
            phones: typeof target.phone === 'string' ? [target.phone] : [],
            ...(typeof target.email === 'string' ? { email: target.email } : {}),
            // §26 #32: both keys, same value.
            contragent: { contragentType: 'individual', type: 'individual' },
          },
          packages: packagesOf(target),
          delivery: {
            deliveryAddress: addressOf(target),
            ...(tariff !== undefined ? { tariff } : {}),
            ...(chosen?.cost !== undefined ? { cost: chosen.cost } : {}),
            payerType: 'receiver',
            shipmentDate: today(),
          },
          currency: String(target.currency ?? 'EUR'),
        },
      });
      if (!outcome.ok) return refused(delivery, outcome);
      const result = outcome.result;
      Object.assign(delivery, {
        deliveryId: result.deliveryId,
        ...(tariff !== undefined ? { tariff } : {}),
        ...(result.trackNumber !== undefined ? { trackNumber: result.trackNumber } : {}),
        ...(result.cost !== undefined ? { cost: result.cost } : chosen?.cost !== undefined ? { cost: chosen.cost } : {}),
        ...(result.status !== undefined ? { status: result.status } : {}),
      });
      delete delivery.refusal;
      syncOrderDelivery(account, target, delivery, PERSON);
      return { ok: true, delivery };
    },

    async deliveryRefresh(name, id) {
      const account = deps.account(name);
      const delivery = deliveryOf(account, id);
      if (delivery.deliveryId === undefined) throw new EmulatorRequestError([`order ${id}: the delivery is not registered (save first)`]);
      const outcome = await caller.call<GetResult>(account, delivery.code, { kind: 'delivery', action: 'get', method: 'GET', result: DeliveryGetResult, input: { deliveryId: delivery.deliveryId } });
      if (!outcome.ok) return refused(delivery, outcome);
      const result = outcome.result;
      if (result.trackNumber !== undefined) delivery.trackNumber = result.trackNumber;
      if (result.cost !== undefined) delivery.cost = result.cost;
      if (result.status !== undefined) {
        delivery.status = result.status.code;
        if (!delivery.history.some((h) => h.code === result.status!.code && h.updatedAt === result.status!.updatedAt)) delivery.history.push(result.status);
      }
      delete delivery.refusal;
      syncOrderDelivery(account, order(account, id), delivery, PERSON);
      return { ok: true, delivery };
    },

    async deliveryCancel(name, id) {
      const account = deps.account(name);
      const delivery = deliveryOf(account, id);
      if (delivery.deliveryId === undefined) throw new EmulatorRequestError([`order ${id}: the delivery is not registered`]);
      const outcome = await caller.call(account, delivery.code, { kind: 'delivery', action: 'delete', method: 'POST', input: { deliveryId: delivery.deliveryId } });
      if (!outcome.ok) return refused(delivery, outcome);
      delete delivery.deliveryId;
      delete delivery.trackNumber;
      delete delivery.status;
      delete delivery.refusal;
      syncOrderDelivery(account, order(account, id), delivery, PERSON);
      return { ok: true, delivery };
    },

    async deliveryPrint(name, ids, plate) {
      const account = deps.account(name);
      const deliveries = ids.map((id) => deliveryOf(account, id));
      const code = deliveries[0]?.code;
      if (code === undefined || deliveries.some((d) => d.code !== code || d.deliveryId === undefined))
        throw new EmulatorRequestError(['orders: registered deliveries of one carrier are needed']);
      const outcome = await caller.call(account, code, {
        kind: 'delivery',
        action: 'print',
        method: 'POST',
        result: null,
        input: { entityType: 'order', type: plate, deliveryIds: deliveries.map((d) => d.deliveryId) },
      });
      if (!outcome.ok) {
        for (const delivery of deliveries) delivery.refusal = outcome.refusal;
        return { ok: false, refusal: outcome.refusal };
      }
      if (outcome.contentType.includes('json')) return { ok: false, refusal: 'The module answered JSON instead of a document' };
      return { ok: true, contentType: outcome.contentType, bytes: outcome.bytes };
    },

    async deliveryShipment(name, ids, date) {
      const account = deps.account(name);
      const deliveries = ids.map((id) => deliveryOf(account, id));
      const first = deliveries[0];
      if (first === undefined || deliveries.some((d) => d.code !== first.code || d.deliveryId === undefined))
        throw new EmulatorRequestError(['orders: registered deliveries of one carrier are needed']);
      const outcome = await caller.call<{ shipmentId: string }>(account, first.code, {
        kind: 'delivery',
        action: 'shipmentSave',
        method: 'POST',
        result: DeliveryShipmentSaveResult,
        input: { date: date ?? today(), orders: deliveries.map((d) => ({ deliveryId: d.deliveryId })) },
      });
      if (!outcome.ok) return refused(first, outcome);
      for (const delivery of deliveries) delivery.shipmentId = outcome.result.shipmentId;
      return { ok: true, delivery: first };
    },

    async deliveryShipmentCancel(name, id) {
      const account = deps.account(name);
      const delivery = deliveryOf(account, id);
      const shipmentId = delivery.shipmentId;
      if (shipmentId === undefined) throw new EmulatorRequestError([`order ${id}: no pick-up request`]);
      const outcome = await caller.call(account, delivery.code, { kind: 'delivery', action: 'shipmentDelete', method: 'POST', input: { shipmentId } });
      if (!outcome.ok) return refused(delivery, outcome);
      for (const other of integrationDataOf(account).deliveries.values()) if (other.code === delivery.code && other.shipmentId === shipmentId) delete other.shipmentId;
      delete delivery.refusal;
      return { ok: true, delivery };
    },

    invoices(name, orderId) {
      const all = [...integrationDataOf(deps.account(name)).invoices.values()];
      return orderId === undefined ? all : all.filter((invoice) => invoice.orderId === orderId);
    },

    async paymentCreate(name, id, input) {
      const account = deps.account(name);
      const target = order(account, id);
      const amount = input.amount ?? Number(target.totalSumm ?? 0);
      if (!(amount > 0)) throw new EmulatorRequestError(['amount: the order has nothing to pay']);
      const invoice = newInvoice(account, target, input.code, amount, String(target.currency ?? 'EUR'));
      const site = account.sites.find((s) => s.code === target.site);
      const outcome = await caller.call<CreateResult>(account, input.code, {
        kind: 'payment',
        action: 'create',
        method: 'POST',
        result: CreatePaymentResult,
        input: {
          invoiceUuid: invoice.invoiceUuid,
          invoiceType: 'link',
          amount,
          currency: invoice.currency,
          orderNumber: target.number,
          orderId: target.id,
          ...(site?.url ? { siteUrl: site.url } : {}),
          items: target.items.map((item) => ({ name: String(item.productName ?? 'Item'), price: Number(item.initialPrice ?? 0), quantity: Number(item.quantity ?? 1), paymentObject: 'commodity' })),
          customer: { ...(typeof target.email === 'string' ? { email: target.email } : {}), ...(typeof target.firstName === 'string' ? { firstName: target.firstName } : {}) },
        },
      });
      if (!outcome.ok) {
        invoice.status = 'canceled';
        syncOrderPayment(account, target, invoice, PERSON);
        return invoiceRefused(invoice, outcome);
      }
      invoice.modulePaymentId = outcome.result.paymentId;
      invoice.link = outcome.result.invoiceUrl;
      if (outcome.result.cancellable !== undefined) invoice.cancellable = outcome.result.cancellable;
      syncOrderPayment(account, target, invoice, PERSON);
      return { ok: true, invoice };
    },

    async paymentApprove(name, uuid) {
      const account = deps.account(name);
      const invoice = invoiceOf(account, uuid);
      if (invoice.modulePaymentId === undefined) throw new EmulatorRequestError(['invoice: the gateway has no payment for it']);
      const outcome = await caller.call(account, invoice.code, { kind: 'payment', action: 'approve', method: 'POST', input: { paymentId: invoice.modulePaymentId } });
      if (!outcome.ok) return invoiceRefused(invoice, outcome);
      delete invoice.refusal;
      return { ok: true, invoice };
    },

    async paymentCancel(name, uuid) {
      const account = deps.account(name);
      const invoice = invoiceOf(account, uuid);
      if (invoice.modulePaymentId === undefined) throw new EmulatorRequestError(['invoice: the gateway has no payment for it']);
      const outcome = await caller.call(account, invoice.code, { kind: 'payment', action: 'cancel', method: 'POST', input: { paymentId: invoice.modulePaymentId } });
      if (!outcome.ok) return invoiceRefused(invoice, outcome);
      delete invoice.refusal;
      return { ok: true, invoice };
    },

    async paymentRefund(name, uuid, amount) {
      const account = deps.account(name);
      const invoice = invoiceOf(account, uuid);
      if (invoice.modulePaymentId === undefined) throw new EmulatorRequestError(['invoice: the gateway has no payment for it']);
      if (amount !== undefined && !(amount > 0 && amount <= invoice.amount)) throw new EmulatorRequestError(['amount: from 0 to the invoice amount']);
      const outcome = await caller.call<{ id: string; status: string; amount?: number; comment?: string }>(account, invoice.code, {
        kind: 'payment',
        action: 'refund',
        method: 'POST',
        result: PaymentRefundResult,
        input: { paymentId: invoice.modulePaymentId, ...(amount !== undefined ? { amount } : {}) },
      });
      if (!outcome.ok) return invoiceRefused(invoice, outcome);
      if (!invoice.refunds.some((r) => r.id === outcome.result.id)) invoice.refunds.push(outcome.result);
      delete invoice.refusal;
      return { ok: true, invoice };
    },
    async paymentStatus(name, uuid) {
      const account = deps.account(name);
      const invoice = invoiceOf(account, uuid);
      if (invoice.modulePaymentId === undefined) throw new EmulatorRequestError(['invoice: the gateway has no payment for it']);
      const outcome = await caller.call<StatusResult>(account, invoice.code, { kind: 'payment', action: 'status', method: 'GET', result: PaymentStatusResult, input: { paymentId: invoice.modulePaymentId } });
      if (!outcome.ok) return invoiceRefused(invoice, outcome);
      const result = outcome.result;
      invoice.status = result.status;
      if (result.amount !== undefined) invoice.amount = result.amount;
      if (result.paidAt !== undefined) invoice.paidAt = result.paidAt;
      if (result.refundable !== undefined) invoice.refundable = result.refundable;
      delete invoice.refusal;
      syncOrderPayment(account, order(account, invoice.orderId), invoice, PERSON);
      return { ok: true, invoice };
    },
    close: () => caller.close(),
  };
}
