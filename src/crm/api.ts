/**
 * The typed methods a module calls after connecting (PROTOCOL-INTEGRATIONS §24): each a few lines over a row of
 * `crmApiEndpoints`, run by the client's one `call()`. Page iterators and the history cursor live here too.
 * @module
 */
import type { z } from 'zod';
import type {
  Customer,
  CustomerWrite,
  CustomField,
  CustomFieldEntity,
  CustomFieldWrite,
  CrmSystemSettings,
  DeliveryType,
  LookupBy,
  Notification,
  Order,
  OrderHistoryEntry,
  OrderStatus,
  OrderType,
  OrderWrite,
  PageLimit,
  Pagination,
  PaymentType,
  QueryValue,
  Site,
  Store,
  CreateInvoice,
  ImportInvoice,
  Invoice,
  PaymentCheck,
  StatusUpdate,
  UpdateInvoice,
} from '../protocol/index.js';
import { TRACKING_BATCH_LIMIT } from '../protocol/index.js';
import { crmApiEndpoints } from './api-endpoints.js';
import { crmEndpoints, type CrmEndpoint } from './endpoints.js';

/** Query parameters (nested in brackets on the wire) and form fields (objects sent as JSON) of one call. */
export interface CallInput {
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly form?: Readonly<Record<string, unknown>>;
}

/** The client's `call()`, as the methods below see it. */
export type RunEndpoint = <Args extends readonly unknown[], Schema extends z.ZodType>(
  endpoint: CrmEndpoint<Args, Schema>,
  args: Args,
  input?: CallInput,
) => Promise<{ data: z.output<Schema>; status: number }>;

export interface PageOptions {
  /** 20 (default), 50 or 100; 250 where the account allows it. */
  readonly limit?: PageLimit;
  /** 1-based. Default 1. */
  readonly page?: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly pagination: Pagination;
}

/** Where to read history from; persist it per connection between runs. */
export interface HistoryCursor {
  /** The last entry already processed; the next read returns entries with a greater id. */
  readonly sinceId: number;
}

export interface HistoryBatch {
  readonly entries: OrderHistoryEntry[];
  /** Save this once the batch is processed: the next run resumes after it. */
  readonly cursor: HistoryCursor;
}

/** Filters of `GET /orders` (§24.3); any other key the CRM knows is passed through. */
export type OrdersFilter = Readonly<{
  ids?: readonly number[];
  externalIds?: readonly string[];
  numbers?: readonly string[];
  sites?: readonly string[];
  orderTypes?: readonly string[];
  extendedStatus?: readonly string[];
  customerId?: number;
  createdAtFrom?: string;
  createdAtTo?: string;
  [key: string]: QueryValue;
}>;

export type CustomersFilter = Readonly<{
  ids?: readonly number[];
  externalIds?: readonly string[];
  name?: string;
  email?: string;
  sites?: readonly string[];
  [key: string]: QueryValue;
}>;

export type CustomFieldsFilter = Readonly<{ name?: string; code?: string; entity?: CustomFieldEntity; [key: string]: QueryValue }>;

export interface LookupOptions {
  /** Default `externalId`, as the CRM reads a missing `by`. */
  readonly by?: LookupBy;
  readonly site?: string;
}

export interface CrmApi {
  readonly orders: {
    list(filter?: OrdersFilter, page?: PageOptions): Promise<Page<Order>>;
    /** Every page from `page.page` (default 1) to the last. */
    pages(filter?: OrdersFilter, page?: PageOptions): AsyncGenerator<Page<Order>>;
    get(id: string | number, options?: LookupOptions): Promise<Order>;
    create(order: OrderWrite, options?: { readonly site?: string }): Promise<{ id: number; order: Order | undefined }>;
    edit(id: string | number, order: OrderWrite, options?: LookupOptions): Promise<{ id: number; order: Order | undefined }>;
    history(filter: Readonly<Record<string, QueryValue>>, page?: PageOptions): Promise<Page<OrderHistoryEntry>>;
    /**
     * History after a cursor, batch by batch, until none is left: each batch moves `sinceId` to its last entry
     * (the CRM's own sync loop, §24.3), so entries added while reading are picked up, once each.
     */
    historyFrom(cursor: HistoryCursor, options?: { readonly limit?: PageLimit }): AsyncGenerator<HistoryBatch>;
    /** A cursor at the newest entry now (`{ sinceId: 0 }` for an empty history): start here to read only what comes next. */
    latestHistoryCursor(): Promise<HistoryCursor>;
  };
  readonly customers: {
    list(filter?: CustomersFilter, page?: PageOptions): Promise<Page<Customer>>;
    pages(filter?: CustomersFilter, page?: PageOptions): AsyncGenerator<Page<Customer>>;
    get(id: string | number, options?: LookupOptions): Promise<Customer>;
    create(customer: CustomerWrite, options?: { readonly site?: string }): Promise<{ id: number }>;
    edit(id: string | number, customer: CustomerWrite, options?: LookupOptions): Promise<{ id: number }>;
  };
  readonly reference: {
    /** The account's sites (the CRM calls shops "sites"), keyed by code; the same as `crm.sites()`. */
    sites(): Promise<Record<string, Site>>;
    stores(): Promise<Store[]>;
    orderTypes(): Promise<Record<string, OrderType>>;
    statuses(): Promise<Record<string, OrderStatus>>;
    paymentTypes(): Promise<Record<string, PaymentType>>;
    deliveryTypes(): Promise<Record<string, DeliveryType>>;
  };
  readonly customFields: {
    list(filter?: CustomFieldsFilter, page?: PageOptions): Promise<Page<CustomField>>;
    get(entity: CustomFieldEntity, code: string): Promise<CustomField>;
    create(entity: CustomFieldEntity, field: CustomFieldWrite): Promise<{ code: string }>;
    edit(entity: CustomFieldEntity, code: string, field: CustomFieldWrite): Promise<{ code: string }>;
  };
  readonly notifications: { send(notification: Notification): Promise<void> };
  readonly features: { check(codes: readonly string[]): Promise<Record<string, boolean>> };
  /** The account's system settings (§24.7). */
  systemSettings(): Promise<CrmSystemSettings>;
  readonly delivery: {
    /**
     * Pushes delivery statuses (§21.12) for the module instance `code` (the connection's `moduleCode`). Longer
     * lists go in calls of 100, in order.
     */
    tracking(code: string, updates: readonly StatusUpdate[]): Promise<void>;
  };
  readonly payments: {
    /** Whether the CRM accepts a payment of this amount for the invoice (`ok: false`: void it at the gateway). */
    check(check: PaymentCheck): Promise<{ ok: boolean; errorMsg?: string }>;
    /** A pay link for an order payment (its CRM id). */
    createInvoice(invoice: CreateInvoice): Promise<{ link: string }>;
    /** Reports the invoice's status, amounts, refunds to the CRM. */
    updateInvoice(update: UpdateInvoice): Promise<void>;
    /** An invoice paid outside the CRM, attached to an order payment. */
    importInvoice(invoice: ImportInvoice): Promise<{ invoiceUuid: string }>;
    invoice(invoiceUuid: string): Promise<Invoice>;
  };
}

const pageQuery = (page: PageOptions = {}) => ({ limit: page.limit, page: page.page });
const lookupQuery = (options: LookupOptions = {}) => ({ by: options.by, site: options.site });

/** Pages from `start` to the last one the CRM reports. */
async function* allPages<T>(start: PageOptions, read: (page: PageOptions) => Promise<Page<T>>): AsyncGenerator<Page<T>> {
  let current = start.page ?? 1;
  for (;;) {
    const page = await read({ ...start, page: current });
    yield page;
    if (page.items.length === 0 || page.pagination.currentPage >= page.pagination.totalPageCount) return;
    current = page.pagination.currentPage + 1;
  }
}

export function createCrmApi(run: RunEndpoint): CrmApi {
  const e = crmApiEndpoints;
  const ordersList = async (filter: OrdersFilter = {}, page?: PageOptions): Promise<Page<Order>> => {
    const { data } = await run(e.orders, [], { query: { filter, ...pageQuery(page) } });
    return { items: data.orders, pagination: data.pagination };
  };
  const customersList = async (filter: CustomersFilter = {}, page?: PageOptions): Promise<Page<Customer>> => {
    const { data } = await run(e.customers, [], { query: { filter, ...pageQuery(page) } });
    return { items: data.customers, pagination: data.pagination };
  };
  const history = async (filter: Readonly<Record<string, QueryValue>>, page?: PageOptions): Promise<Page<OrderHistoryEntry>> => {
    const { data } = await run(e.ordersHistory, [], { query: { filter, ...pageQuery(page) } });
    return { items: data.history, pagination: data.pagination };
  };
  return Object.freeze({
    orders: Object.freeze({
      list: ordersList,
      pages: (filter: OrdersFilter = {}, page: PageOptions = {}) => allPages(page, (p) => ordersList(filter, p)),
      async get(id: string | number, options?: LookupOptions) {
        return (await run(e.order, [id], { query: lookupQuery(options) })).data.order;
      },
      async create(order: OrderWrite, options: { readonly site?: string } = {}) {
        const { data } = await run(e.createOrder, [], { form: { order, site: options.site } });
        return { id: data.id, order: data.order };
      },
      async edit(id: string | number, order: OrderWrite, options: LookupOptions = {}) {
        const { data } = await run(e.editOrder, [id], { form: { order, by: options.by, site: options.site } });
        return { id: data.id, order: data.order };
      },
      history,
      async latestHistoryCursor() {
        // Two reads: the page count, then the last page (its last entry is the newest).
        const first = await history({}, { limit: 20 });
        const last = first.pagination.totalPageCount > 1 ? await history({}, { limit: 20, page: first.pagination.totalPageCount }) : first;
        return { sinceId: Math.max(0, ...last.items.map((entry) => entry.id)) };
      },
      async *historyFrom(cursor: HistoryCursor, options: { readonly limit?: PageLimit } = {}) {
        let sinceId = cursor.sinceId;
        for (;;) {
          const page = await history({ sinceId }, { limit: options.limit ?? 100 });
          if (page.items.length === 0) return;
          sinceId = Math.max(sinceId, ...page.items.map((entry) => entry.id));
          yield { entries: page.items, cursor: { sinceId } };
          if (page.pagination.currentPage >= page.pagination.totalPageCount) return;
        }
      },
    }),
    customers: Object.freeze({
      list: customersList,
      pages: (filter: CustomersFilter = {}, page: PageOptions = {}) => allPages(page, (p) => customersList(filter, p)),
      async get(id: string | number, options?: LookupOptions) {
        return (await run(e.customer, [id], { query: lookupQuery(options) })).data.customer;
      },
      async create(customer: CustomerWrite, options: { readonly site?: string } = {}) {
        return { id: (await run(e.createCustomer, [], { form: { customer, site: options.site } })).data.id };
      },
      async edit(id: string | number, customer: CustomerWrite, options: LookupOptions = {}) {
        return { id: (await run(e.editCustomer, [id], { form: { customer, by: options.by, site: options.site } })).data.id };
      },
    }),
    reference: Object.freeze({
      sites: async () => (await run(crmEndpoints.sites, [])).data.sites,
      stores: async () => (await run(e.stores, [])).data.stores,
      orderTypes: async () => (await run(e.orderTypes, [])).data.orderTypes,
      statuses: async () => (await run(e.statuses, [])).data.statuses,
      paymentTypes: async () => (await run(e.paymentTypes, [])).data.paymentTypes,
      deliveryTypes: async () => (await run(e.deliveryTypes, [])).data.deliveryTypes,
    }),
    customFields: Object.freeze({
      async list(filter: CustomFieldsFilter = {}, page?: PageOptions) {
        const { data } = await run(e.customFields, [], { query: { filter, ...pageQuery(page) } });
        return { items: data.customFields, pagination: data.pagination };
      },
      get: async (entity: CustomFieldEntity, code: string) => (await run(e.customField, [entity, code])).data.customField,
      create: async (entity: CustomFieldEntity, field: CustomFieldWrite) =>
        ({ code: (await run(e.createCustomField, [entity], { form: { customField: field } })).data.code }),
      edit: async (entity: CustomFieldEntity, code: string, field: CustomFieldWrite) =>
        ({ code: (await run(e.editCustomField, [entity, code], { form: { customField: field } })).data.code }),
    }),
    notifications: Object.freeze({
      async send(notification: Notification) {
        await run(e.sendNotification, [], { form: { notification } });
      },
    }),
    features: Object.freeze({
      async check(codes: readonly string[]) {
        const { data } = await run(e.checkFeatures, [], { query: { features: codes } });
        return Object.fromEntries(data.features.map((feature) => [feature.code, feature.available]));
      },
    }),
    systemSettings: async () => (await run(e.settings, [])).data.settings,
    delivery: Object.freeze({
      async tracking(code: string, updates: readonly StatusUpdate[]) {
        for (let start = 0; start < updates.length; start += TRACKING_BATCH_LIMIT)
          await run(e.deliveryTracking, [code], { form: { statusUpdate: updates.slice(start, start + TRACKING_BATCH_LIMIT) } });
      },
    }),
    payments: Object.freeze({
      async check(check: PaymentCheck) {
        const { result } = (await run(e.paymentCheck, [], { form: { check } })).data;
        return result.errorMsg === undefined ? { ok: result.success } : { ok: result.success, errorMsg: result.errorMsg };
      },
      createInvoice: async (createInvoice: CreateInvoice) => ({ link: (await run(e.createInvoice, [], { form: { createInvoice } })).data.result.link }),
      async updateInvoice(updateInvoice: UpdateInvoice) {
        await run(e.updateInvoice, [], { form: { updateInvoice } });
      },
      importInvoice: async (invoice: ImportInvoice) => ({ invoiceUuid: (await run(e.importInvoice, [], { form: { invoice } })).data.invoice.invoiceUuid }),
      invoice: async (invoiceUuid: string) => (await run(e.invoice, [invoiceUuid])).data.invoice,
    }),
  });
}
