/**
 * The API a module works with after connecting: orders, customers, history, reference lists, custom fields,
 * notifications, features, account settings (PROTOCOL-INTEGRATIONS §24). Read-side entities are loose (the CRM
 * sends far more than we name, and fields we do not know must survive); write-side shapes are what the emulator
 * validates, so a module that passes there sends what the CRM takes.
 * @module
 */
import { z } from 'zod';
import { successEnvelope } from './envelope.js';

/** Empty maps may arrive as `[]` (PHP arrays, §24.1): read both as an object. */
export function mapOrEmptyList<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (Array.isArray(value) && value.length === 0 ? {} : value), z.record(z.string(), item));
}

/** `Y-m-d H:i:s`, the CRM's date-time (§24.1). */
export const CrmDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected Y-m-d H:i:s');

/** The CRM's date-time for a `Date`, in UTC. */
export function formatCrmDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export const Pagination = z.object({
  limit: z.number().int(),
  totalCount: z.number().int(),
  currentPage: z.number().int(),
  totalPageCount: z.number().int(),
});
export type Pagination = z.infer<typeof Pagination>;

/** Page sizes the CRM accepts (§24.2); 250 is opt-in on the emulator. */
export const PAGE_LIMITS = [20, 50, 100] as const;
export type PageLimit = (typeof PAGE_LIMITS)[number] | 250;

/** `by` of get/edit calls: `externalId` when omitted (§24.1). */
export const LookupBy = z.enum(['id', 'externalId']);
export type LookupBy = z.infer<typeof LookupBy>;

// ---------------------------------------------------------------- reference lists (§24.5)

const ReferenceItem = { code: z.string(), name: z.string(), active: z.boolean().optional() };
export const Store = z.looseObject({ ...ReferenceItem, type: z.string().optional(), externalId: z.string().optional() });
export type Store = z.infer<typeof Store>;
export const OrderType = z.looseObject({ ...ReferenceItem, defaultForCrm: z.boolean().optional(), defaultForApi: z.boolean().optional(), ordering: z.number().int().optional() });
export type OrderType = z.infer<typeof OrderType>;
export const OrderStatus = z.looseObject({ ...ReferenceItem, group: z.string().optional(), ordering: z.number().int().optional() });
export type OrderStatus = z.infer<typeof OrderStatus>;
export const PaymentType = z.looseObject({ ...ReferenceItem, defaultForCrm: z.boolean().optional(), defaultForApi: z.boolean().optional(), description: z.string().optional() });
export type PaymentType = z.infer<typeof PaymentType>;
export const DeliveryType = z.looseObject({ ...ReferenceItem, integrationCode: z.string().optional(), defaultCost: z.number().optional(), defaultNetCost: z.number().optional() });
export type DeliveryType = z.infer<typeof DeliveryType>;

export const StoresResponse = successEnvelope({ stores: z.array(Store) });
export const OrderTypesResponse = successEnvelope({ orderTypes: mapOrEmptyList(OrderType) });
export const StatusesResponse = successEnvelope({ statuses: mapOrEmptyList(OrderStatus) });
export const PaymentTypesResponse = successEnvelope({ paymentTypes: mapOrEmptyList(PaymentType) });
export const DeliveryTypesResponse = successEnvelope({ deliveryTypes: mapOrEmptyList(DeliveryType) });

// ---------------------------------------------------------------- customers (§24.4)

export const CustomerPhone = z.object({ number: z.string().min(1) });

/** What `customers/create` and `customers/{x}/edit` take in the `customer` form field. */
export const CustomerWrite = z.looseObject({
  externalId: z.string().min(1).max(255).optional(),
  firstName: z.string().max(255).optional(),
  lastName: z.string().max(255).optional(),
  patronymic: z.string().max(255).optional(),
  email: z.email().optional(),
  phones: z.array(CustomerPhone).optional(),
  site: z.string().optional(),
  customFields: z.record(z.string(), z.unknown()).optional(),
});
export type CustomerWrite = z.infer<typeof CustomerWrite>;

export const Customer = z.looseObject({
  id: z.number().int(),
  externalId: z.string().optional(),
  site: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  email: z.string().optional(),
  phones: z.array(CustomerPhone).optional(),
  createdAt: z.string().optional(),
  customFields: mapOrEmptyList(z.unknown()).optional(),
});
export type Customer = z.infer<typeof Customer>;

export const CustomersResponse = successEnvelope({ pagination: Pagination, customers: z.array(Customer) });
export const CustomerResponse = successEnvelope({ customer: Customer });
export const CustomerWriteResponse = successEnvelope({ id: z.number().int() });

// ---------------------------------------------------------------- orders (§24.3)

export const EntityRef = z.union([z.object({ id: z.number().int() }), z.object({ externalId: z.string().min(1) })]);

export const OrderItemWrite = z.looseObject({
  productName: z.string().max(255).optional(),
  initialPrice: z.number().nonnegative().optional(),
  quantity: z.number().positive().optional(),
  offer: z.looseObject({ id: z.number().int().optional(), externalId: z.string().optional(), xmlId: z.string().optional() }).optional(),
  comment: z.string().optional(),
});

/** What `orders/create` and `orders/{x}/edit` take in the `order` form field. */
export const OrderWrite = z.looseObject({
  externalId: z.string().min(1).max(255).optional(),
  number: z.string().min(1).max(255).optional(),
  orderType: z.string().optional(),
  orderMethod: z.string().optional(),
  status: z.string().optional(),
  statusComment: z.string().optional(),
  firstName: z.string().max(255).optional(),
  lastName: z.string().max(255).optional(),
  patronymic: z.string().max(255).optional(),
  phone: z.string().max(255).optional(),
  email: z.email().optional(),
  customer: EntityRef.optional(),
  items: z.array(OrderItemWrite).optional(),
  customFields: z.record(z.string(), z.unknown()).optional(),
  managerComment: z.string().optional(),
  customerComment: z.string().optional(),
});
export type OrderWrite = z.infer<typeof OrderWrite>;

export const OrderItem = z.looseObject({
  id: z.number().int().optional(),
  productName: z.string().optional(),
  initialPrice: z.number().optional(),
  quantity: z.number().optional(),
});

export const Order = z.looseObject({
  id: z.number().int(),
  externalId: z.string().optional(),
  number: z.string().optional(),
  site: z.string().optional(),
  status: z.string().optional(),
  orderType: z.string().optional(),
  createdAt: z.string().optional(),
  statusUpdatedAt: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  phone: z.string().optional(),
  email: z.string().optional(),
  customer: z.looseObject({}).optional(),
  items: z.array(OrderItem).optional(),
  summ: z.number().optional(),
  totalSumm: z.number().optional(),
  currency: z.string().optional(),
  customFields: mapOrEmptyList(z.unknown()).optional(),
  payments: mapOrEmptyList(z.looseObject({})).optional(),
});
export type Order = z.infer<typeof Order>;

export const OrdersResponse = successEnvelope({ pagination: Pagination, orders: z.array(Order) });
export const OrderResponse = successEnvelope({ order: Order });
export const OrderWriteResponse = successEnvelope({ id: z.number().int(), order: Order.optional() });

/** One change of an order (§24.3). `created` entries carry the whole order. */
export const OrderHistoryEntry = z.looseObject({
  id: z.number().int(),
  createdAt: z.string(),
  created: z.boolean().optional(),
  deleted: z.boolean().optional(),
  source: z.string().optional(),
  field: z.string().optional(),
  oldValue: z.unknown().optional(),
  newValue: z.unknown().optional(),
  apiKey: z.looseObject({ current: z.boolean().optional() }).optional(),
  order: z.looseObject({ id: z.number().int(), externalId: z.string().optional(), site: z.string().optional(), status: z.string().optional() }),
});
export type OrderHistoryEntry = z.infer<typeof OrderHistoryEntry>;

export const OrderHistoryResponse = successEnvelope({
  generatedAt: z.string().optional(),
  history: z.array(OrderHistoryEntry),
  pagination: Pagination,
});

// ---------------------------------------------------------------- custom fields (§24.6)

export const CUSTOM_FIELD_ENTITIES = ['order', 'customer'] as const;
export const CustomFieldEntity = z.enum(CUSTOM_FIELD_ENTITIES);
export type CustomFieldEntity = z.infer<typeof CustomFieldEntity>;
export const CUSTOM_FIELD_TYPES = ['boolean', 'date', 'datetime', 'dictionary', 'email', 'integer', 'numeric', 'string', 'text'] as const;

/** `customField` form field of create/edit. `code`, `name` and `type` are required on create. */
export const CustomFieldWrite = z.looseObject({
  code: z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, 'lowercase Latin letters, digits and "_", starting with a letter').optional(),
  name: z.string().min(1).max(255).optional(),
  type: z.enum(CUSTOM_FIELD_TYPES).optional(),
  required: z.boolean().optional(),
  inFilter: z.boolean().optional(),
  inList: z.boolean().optional(),
  ordering: z.number().int().optional(),
  displayArea: z.string().optional(),
  viewMode: z.enum(['editable', 'not_editable', 'miss']).optional(),
  dictionary: z.string().optional(),
});
export type CustomFieldWrite = z.infer<typeof CustomFieldWrite>;

export const CustomField = z.looseObject({ code: z.string(), name: z.string(), type: z.string(), entity: z.string() });
export type CustomField = z.infer<typeof CustomField>;

export const CustomFieldsResponse = successEnvelope({ pagination: Pagination, customFields: z.array(CustomField) });
export const CustomFieldResponse = successEnvelope({ customField: CustomField });
export const CustomFieldWriteResponse = successEnvelope({ code: z.string() });

// ---------------------------------------------------------------- notifications, features, settings (§24.7–24.9)

export const Notification = z.object({
  type: z.enum(['api.info', 'api.error']),
  message: z.string().min(1).max(10_000),
  userGroups: z.array(z.literal('superadmins')).optional(),
  userIds: z.array(z.number().int().positive()).optional(),
});
export type Notification = z.infer<typeof Notification>;

export const FeaturesResponse = successEnvelope({ features: z.array(z.object({ code: z.string(), available: z.boolean() })) });

const Valued = z.looseObject({ value: z.string(), updated_at: z.string().optional() });

/**
 * The account's system settings, as `GET /api/v5/settings` and the `settings` callback carry them (§19, §24.7).
 * snake_case, every key optional: the callback may carry only some of them.
 */
export const CrmSystemSettings = z.looseObject({
  default_currency: Valued.optional(),
  system_language: Valued.optional(),
  timezone: Valued.optional(),
  work_times: z
    .array(
      z.looseObject({
        day_type: z.string(),
        start_time: z.string().optional(),
        end_time: z.string().optional(),
        lunch_start_time: z.string().optional(),
        lunch_end_time: z.string().optional(),
      }),
    )
    .optional(),
  non_working_days: z.array(z.looseObject({ start_date: z.string(), end_date: z.string() })).optional(),
});
export type CrmSystemSettings = z.infer<typeof CrmSystemSettings>;

export const SettingsResponse = successEnvelope({ settings: CrmSystemSettings });

/** Form fields of the `settings` callback (§19). */
export const SettingsCallbackInput = CrmSystemSettings;

/** Any successful answer whose body the caller does not need. */
export const SuccessOnly = successEnvelope({});
