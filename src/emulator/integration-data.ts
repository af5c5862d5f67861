/**
 * What an emulated account holds for delivery and payment modules: the delivery of each order (the module that
 * carries it, the tariffs its `calculate` offered, the registered delivery, its status history, the last
 * refusal to show on the order page), shipments, and invoices of order payments. In memory, per account, beside
 * `crm-data.ts`; every change a person would see is also written onto the order, with a history entry.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { StatusInfo, Tariff } from '../protocol/index.js';
import { dataOf, editOrder, type ChangeSource, type StoredOrder } from './crm-data.js';
import type { Account } from './state.js';

export interface OrderDelivery {
  /** The delivery module's code (the CRM's delivery type for it). */
  code: string;
  tariffs: Tariff[];
  tariff?: string;
  deliveryId?: string;
  trackNumber?: string;
  cost?: number;
  /** A `statusList` code. */
  status?: string;
  history: StatusInfo[];
  /** What the CRM would show: the module's `errorMsg`, or which field of its answer was wrong. */
  refusal?: string;
  shipmentId?: string;
}

export interface StoredInvoice {
  invoiceUuid: string;
  /** The order payment's CRM id (`paymentId` of `create-invoice`, `invoice/import`). */
  paymentId: number;
  orderId: number;
  code: string;
  amount: number;
  currency: string;
  status: string;
  /** The module's own id (`create`'s result). */
  modulePaymentId?: string;
  link?: string;
  paidAt?: string;
  cancellable?: boolean;
  refundable?: boolean;
  externalId?: string;
  refunds: { id: string; status: string; amount?: number; comment?: string }[];
  refusal?: string;
}

export interface IntegrationData {
  readonly deliveries: Map<number, OrderDelivery>;
  readonly invoices: Map<string, StoredInvoice>;
  nextPaymentId: number;
}

const byAccount = new WeakMap<Account, IntegrationData>();

export function integrationDataOf(account: Account): IntegrationData {
  let data = byAccount.get(account);
  if (data === undefined) {
    data = { deliveries: new Map(), invoices: new Map(), nextPaymentId: 1 };
    byAccount.set(account, data);
  }
  return data;
}

export function orderById(account: Account, id: number): StoredOrder | undefined {
  return dataOf(account).orders.find((order) => order.id === id);
}

/** Writes the delivery onto the order as the orders API shows it (§21.4: `delivery.data.externalId`…). */
export function syncOrderDelivery(account: Account, order: StoredOrder, delivery: OrderDelivery, change: ChangeSource): void {
  const data = {
    ...(delivery.deliveryId !== undefined ? { externalId: delivery.deliveryId } : {}),
    ...(delivery.trackNumber !== undefined ? { trackNumber: delivery.trackNumber } : {}),
    ...(delivery.status !== undefined ? { status: delivery.status } : {}),
    ...(delivery.tariff !== undefined ? { tariff: delivery.tariff } : {}),
  };
  editOrder(account, order, { delivery: { code: delivery.code, ...(delivery.cost !== undefined ? { cost: delivery.cost } : {}), data } }, change);
}

/** Writes an invoice's payment onto the order (`order.payments[id]`). */
export function syncOrderPayment(account: Account, order: StoredOrder, invoice: StoredInvoice, change: ChangeSource): void {
  const payments = { ...((order.payments as Record<string, unknown> | undefined) ?? {}) };
  payments[String(invoice.paymentId)] = {
    id: invoice.paymentId,
    type: invoice.code,
    amount: invoice.amount,
    status: invoice.status,
    invoiceUuid: invoice.invoiceUuid,
    ...(invoice.link ? { link: invoice.link } : {}),
    ...(invoice.paidAt ? { paidAt: invoice.paidAt } : {}),
    ...(invoice.externalId ? { externalId: invoice.externalId } : {}),
  };
  editOrder(account, order, { payments }, change);
}

/** A new order payment with its invoice, `pending` until the module reports otherwise. */
export function newInvoice(account: Account, order: StoredOrder, code: string, amount: number, currency: string): StoredInvoice {
  const data = integrationDataOf(account);
  const invoice: StoredInvoice = { invoiceUuid: randomUUID(), paymentId: data.nextPaymentId++, orderId: order.id, code, amount, currency, status: 'pending', refunds: [] };
  data.invoices.set(invoice.invoiceUuid, invoice);
  return invoice;
}

export function invoiceByPaymentId(account: Account, paymentId: number): StoredInvoice | undefined {
  return [...integrationDataOf(account).invoices.values()].find((invoice) => invoice.paymentId === paymentId);
}
