/**
 * The business data of an emulated account (PROTOCOL-INTEGRATIONS §24): reference lists, custom fields,
 * customers, orders with their history, notifications modules sent, and the system settings. In memory, per
 * account; ids only grow, and every change to an order appends a history entry, as the CRM's do.
 * @module
 */
import {
  formatCrmDateTime,
  type CrmSystemSettings,
  type CustomerWrite,
  type CustomFieldWrite,
  type Notification,
  type OrderWrite,
} from '../protocol/index.js';
import type { Account } from './state.js';

type Json = Record<string, unknown>;

export interface StoredOrder extends Json {
  id: number;
  externalId?: string;
  number: string;
  site: string;
  status: string;
  orderType: string;
  createdAt: string;
  statusUpdatedAt: string;
  items: Json[];
  customFields: Json;
}

export interface StoredCustomer extends Json {
  id: number;
  externalId?: string;
  site: string;
  createdAt: string;
  customFields: Json;
}

export interface HistoryEntry extends Json {
  id: number;
  createdAt: string;
  source: string;
  order: Json;
}

export interface SentNotification {
  readonly at: string;
  readonly notification: Notification;
  /** Masked key of the sender. */
  readonly apiKey: string | null;
}

export interface CustomFieldRecord extends Json {
  code: string;
  name: string;
  type: string;
  entity: string;
}

export interface AccountData {
  readonly stores: Json[];
  readonly orderTypes: Map<string, Json>;
  readonly statuses: Map<string, Json>;
  readonly paymentTypes: Map<string, Json>;
  readonly deliveryTypes: Map<string, Json>;
  readonly customFields: Map<string, CustomFieldRecord>;
  readonly customers: StoredCustomer[];
  readonly orders: StoredOrder[];
  readonly history: HistoryEntry[];
  readonly notifications: SentNotification[];
  systemSettings: CrmSystemSettings;
  readonly features: Map<string, boolean>;
  nextOrderId: number;
  nextCustomerId: number;
  nextHistoryId: number;
}

const byCode = (items: readonly Json[]) => new Map(items.map((item) => [String(item.code), { ...item }]));

/** What a new account holds: one of each reference list, so a module has something to map from the start. */
export function defaultAccountData(now = new Date()): AccountData {
  const at = formatCrmDateTime(now);
  return {
    stores: [{ code: 'warehouse', name: 'Main warehouse', type: 'store-type-warehouse', active: true }],
    orderTypes: byCode([
      { code: 'eshop-individual', name: 'Individual', active: true, defaultForCrm: true, defaultForApi: true, ordering: 10 },
      { code: 'eshop-legal', name: 'Legal entity', active: true, defaultForCrm: false, defaultForApi: false, ordering: 20 },
    ]),
    statuses: byCode([
      { code: 'new', name: 'New', active: true, group: 'new', ordering: 10 },
      { code: 'assembling', name: 'Assembling', active: true, group: 'assembling', ordering: 20 },
      { code: 'complete', name: 'Complete', active: true, group: 'complete', ordering: 30 },
      { code: 'cancel-other', name: 'Cancelled', active: true, group: 'cancel', ordering: 40 },
    ]),
    paymentTypes: byCode([
      { code: 'cash', name: 'Cash', active: true, defaultForCrm: true, defaultForApi: true },
      { code: 'bank-card', name: 'Bank card', active: true, defaultForCrm: false, defaultForApi: false },
    ]),
    deliveryTypes: byCode([
      { code: 'courier', name: 'Courier', active: true, defaultCost: 5, defaultNetCost: 3 },
      { code: 'self-delivery', name: 'Pick-up', active: true, defaultCost: 0, defaultNetCost: 0 },
    ]),
    customFields: new Map(),
    customers: [],
    orders: [],
    history: [],
    notifications: [],
    systemSettings: {
      default_currency: { value: 'EUR', updated_at: at },
      system_language: { value: 'EN', updated_at: at },
      timezone: { value: 'Europe/Madrid', updated_at: at },
    },
    features: new Map(),
    nextOrderId: 1,
    nextCustomerId: 1,
    nextHistoryId: 1,
  };
}

const dataOfAccount = new WeakMap<Account, AccountData>();

/** The account's data, created with the defaults on first use (accounts themselves live in `state.ts`). */
export function dataOf(account: Account): AccountData {
  let data = dataOfAccount.get(account);
  if (data === undefined) {
    data = defaultAccountData();
    dataOfAccount.set(account, data);
  }
  return data;
}

/** A field-keyed problem in the CRM's wording; the caller answers 400 `Errors in the entity format`. */
export class EntityProblems extends Error {
  constructor(readonly errors: Record<string, string>) {
    super('Errors in the entity format');
  }
}

export interface ChangeSource {
  /** `api` for API calls, `user` for the admin pages. */
  readonly source: 'api' | 'user' | 'code';
  /** The key that made the change (history's `apiKey.current` is true for the caller's own changes). */
  readonly apiKey?: string;
}

interface HistoryMeta {
  readonly apiKeyOf: WeakMap<HistoryEntry, string>;
}
const meta: HistoryMeta = { apiKeyOf: new WeakMap() };

/** History entries as the caller sees them: `apiKey.current` says whether the caller made the change. */
export function historyView(entry: HistoryEntry, callerKey: string | undefined): Json {
  const maker = meta.apiKeyOf.get(entry);
  return maker === undefined ? entry : { ...entry, apiKey: { current: callerKey !== undefined && maker === callerKey } };
}

function appendHistory(data: AccountData, order: StoredOrder, change: ChangeSource, entry: Json): void {
  const record: HistoryEntry = {
    id: data.nextHistoryId++,
    createdAt: formatCrmDateTime(new Date()),
    source: change.source,
    ...entry,
    order: entry.created === true ? structuredClone(order) : { id: order.id, ...(order.externalId ? { externalId: order.externalId } : {}), site: order.site, status: order.status },
  };
  if (change.apiKey !== undefined) meta.apiKeyOf.set(record, change.apiKey);
  data.history.push(record);
}

function checkReferences(data: AccountData, account: Account, order: OrderWrite, site: string | undefined): Record<string, string> {
  const problems: Record<string, string> = {};
  if (site !== undefined && !account.sites.some((s) => s.code === site)) problems.site = `Store "${site}" does not exist.`;
  if (order.status !== undefined && !data.statuses.has(order.status)) problems.status = `Status "${order.status}" does not exist.`;
  if (order.orderType !== undefined && !data.orderTypes.has(order.orderType)) problems.orderType = `Order type "${order.orderType}" does not exist.`;
  if (order.customer !== undefined) {
    const ref = order.customer as { id?: number; externalId?: string };
    const found = data.customers.some((c) => (ref.id !== undefined ? c.id === ref.id : c.externalId === ref.externalId));
    if (!found) problems.customer = 'Customer not found.';
  }
  for (const code of Object.keys(order.customFields ?? {}))
    if (!data.customFields.has(`order:${code}`)) problems[`customFields[${code}]`] = `Custom field "${code}" does not exist.`;
  return problems;
}

function orderTotal(items: readonly Json[]): number {
  return items.reduce((sum, item) => sum + Number(item.initialPrice ?? 0) * Number(item.quantity ?? 1), 0);
}

export function createOrder(account: Account, order: OrderWrite, site: string | undefined, change: ChangeSource): StoredOrder {
  const data = dataOf(account);
  const siteCode = site ?? account.sites[0]?.code ?? 'main';
  const problems = checkReferences(data, account, order, siteCode);
  if (order.externalId !== undefined && data.orders.some((o) => o.externalId === order.externalId && o.site === siteCode))
    problems.externalId = 'An order with this externalId already exists.';
  if (Object.keys(problems).length > 0) throw new EntityProblems(problems);
  const id = data.nextOrderId++;
  const now = formatCrmDateTime(new Date());
  const items = (order.items ?? []).map((item, index) => ({ id: id * 100 + index + 1, quantity: 1, ...item }));
  const defaultType = [...data.orderTypes.values()].find((t) => t.defaultForApi === true)?.code;
  const { customer, ...fields } = order;
  const stored: StoredOrder = {
    ...fields,
    id,
    number: order.number ?? `${id}A`,
    site: siteCode,
    status: order.status ?? 'new',
    orderType: order.orderType ?? String(defaultType ?? 'eshop-individual'),
    createdAt: now,
    statusUpdatedAt: now,
    items,
    summ: orderTotal(items),
    totalSumm: orderTotal(items),
    currency: data.systemSettings.default_currency?.value ?? 'EUR',
    customFields: { ...(order.customFields ?? {}) },
    payments: {},
    ...(customer ? { customer: data.customers.find((c) => ('id' in customer ? c.id === customer.id : c.externalId === customer.externalId)) ?? customer } : {}),
  };
  data.orders.push(stored);
  appendHistory(data, stored, change, { created: true });
  return stored;
}

export function findOrder(account: Account, key: string, by: 'id' | 'externalId', site?: string): StoredOrder | undefined {
  return dataOf(account).orders.find((o) =>
    by === 'id' ? String(o.id) === key : o.externalId === key && (site === undefined || o.site === site),
  );
}

/** Applies the changed fields; one history entry per changed top-level field. */
export function editOrder(account: Account, target: StoredOrder, order: OrderWrite, change: ChangeSource): StoredOrder {
  const data = dataOf(account);
  const problems = checkReferences(data, account, order, undefined);
  if (Object.keys(problems).length > 0) throw new EntityProblems(problems);
  for (const [field, value] of Object.entries(order)) {
    if (field === 'id' || value === undefined) continue;
    const oldValue = target[field];
    const newValue = field === 'customFields' ? { ...target.customFields, ...(value as Json) } : value;
    if (JSON.stringify(oldValue) === JSON.stringify(newValue)) continue;
    (target as Json)[field] = newValue;
    if (field === 'status') target.statusUpdatedAt = formatCrmDateTime(new Date());
    if (field === 'items') target.summ = target.totalSumm = orderTotal(target.items);
    appendHistory(data, target, change, {
      field,
      oldValue: field === 'status' ? { code: oldValue } : (oldValue ?? null),
      newValue: field === 'status' ? { code: newValue } : newValue,
    });
  }
  return target;
}

export function createCustomer(account: Account, customer: CustomerWrite, site: string | undefined): StoredCustomer {
  const data = dataOf(account);
  const siteCode = site ?? account.sites[0]?.code ?? 'main';
  const problems: Record<string, string> = {};
  if (!account.sites.some((s) => s.code === siteCode)) problems.site = `Store "${siteCode}" does not exist.`;
  if (customer.externalId !== undefined && data.customers.some((c) => c.externalId === customer.externalId))
    problems.externalId = 'A customer with this externalId already exists.';
  for (const code of Object.keys(customer.customFields ?? {}))
    if (!data.customFields.has(`customer:${code}`)) problems[`customFields[${code}]`] = `Custom field "${code}" does not exist.`;
  if (Object.keys(problems).length > 0) throw new EntityProblems(problems);
  const stored: StoredCustomer = {
    ...customer,
    id: data.nextCustomerId++,
    site: siteCode,
    createdAt: formatCrmDateTime(new Date()),
    customFields: { ...(customer.customFields ?? {}) },
  };
  data.customers.push(stored);
  return stored;
}

export function findCustomer(account: Account, key: string, by: 'id' | 'externalId'): StoredCustomer | undefined {
  return dataOf(account).customers.find((c) => (by === 'id' ? String(c.id) === key : c.externalId === key));
}

export function editCustomer(account: Account, target: StoredCustomer, customer: CustomerWrite): StoredCustomer {
  const data = dataOf(account);
  for (const code of Object.keys(customer.customFields ?? {}))
    if (!data.customFields.has(`customer:${code}`)) throw new EntityProblems({ [`customFields[${code}]`]: `Custom field "${code}" does not exist.` });
  for (const [field, value] of Object.entries(customer)) {
    if (field === 'id' || value === undefined) continue;
    (target as Json)[field] = field === 'customFields' ? { ...target.customFields, ...(value as Json) } : value;
  }
  return target;
}

export function createCustomField(account: Account, entity: string, field: CustomFieldWrite): CustomFieldRecord {
  const data = dataOf(account);
  const problems: Record<string, string> = {};
  if (field.code === undefined) problems.code = 'This value should not be blank.';
  if (field.name === undefined) problems.name = 'This value should not be blank.';
  if (field.type === undefined) problems.type = 'This value should not be blank.';
  if (field.code !== undefined && data.customFields.has(`${entity}:${field.code}`)) problems.code = 'A field with this code already exists.';
  if (field.type === 'dictionary' && field.dictionary === undefined) problems.dictionary = 'This value should not be blank.';
  if (Object.keys(problems).length > 0) throw new EntityProblems(problems);
  const record: CustomFieldRecord = {
    required: false,
    inFilter: true,
    inList: true,
    ordering: 50,
    viewMode: 'editable',
    ...field,
    code: field.code as string,
    name: field.name as string,
    type: field.type as string,
    entity,
  };
  data.customFields.set(`${entity}:${record.code}`, record);
  return record;
}

/** Entries with id > sinceId, ascending (PROTOCOL-INTEGRATIONS §26 #31), filtered as `filter[…]` asks. */
export function historyAfter(data: AccountData, filter: { sinceId?: number; orderId?: number; orderExternalId?: string; startDate?: string; endDate?: string }): HistoryEntry[] {
  return data.history.filter(
    (entry) =>
      (filter.sinceId === undefined || entry.id > filter.sinceId) &&
      (filter.orderId === undefined || entry.order.id === filter.orderId) &&
      (filter.orderExternalId === undefined || entry.order.externalId === filter.orderExternalId) &&
      (filter.startDate === undefined || entry.createdAt >= filter.startDate) &&
      (filter.endDate === undefined || entry.createdAt <= filter.endDate),
  );
}

/** One page as the CRM paginates (§24.2): `totalPageCount` is at least 1, even for an empty list. */
export function paginate<T>(items: readonly T[], limit: number, page: number): { page: T[]; pagination: { limit: number; totalCount: number; currentPage: number; totalPageCount: number } } {
  const totalPageCount = Math.max(1, Math.ceil(items.length / limit));
  return {
    page: items.slice((page - 1) * limit, page * limit),
    pagination: { limit, totalCount: items.length, currentPage: page, totalPageCount },
  };
}
