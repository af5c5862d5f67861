/**
 * The API a module works with after connecting (PROTOCOL-INTEGRATIONS §24), one row of data per method, in the
 * same shape as `crmEndpoints`: `api.ts` turns each row into a typed method, and every one runs through the
 * client's single `call()`. Response schemas are the ones the emulator answers with (`src/protocol/`).
 * @module
 */
import {
  CustomerResponse,
  CustomersResponse,
  CustomerWriteResponse,
  CustomFieldResponse,
  CustomFieldsResponse,
  CustomFieldWriteResponse,
  DeliveryTypesResponse,
  FeaturesResponse,
  OrderHistoryResponse,
  OrderResponse,
  OrdersResponse,
  OrderTypesResponse,
  OrderWriteResponse,
  PaymentTypesResponse,
  SettingsResponse,
  StatusesResponse,
  StoresResponse,
  SuccessOnly,
  CreateInvoiceResponse,
  DeliveryTrackingResponse,
  ImportInvoiceResponse,
  InvoiceResponse,
  PaymentCheckResponse,
} from '../protocol/index.js';
import type { CrmEndpoint } from './endpoints.js';

const v5 = (path: string) => `/api/v5${path}`;
const seg = (value: string | number) => encodeURIComponent(String(value));

function endpoint<Args extends readonly unknown[], Schema extends import('zod').ZodType>(spec: CrmEndpoint<Args, Schema>): CrmEndpoint<Args, Schema> {
  return Object.freeze(spec);
}

/*
 * Retry: reads and edits are `always` (the same request twice has one effect); creates and sends are `unsent`
 * (a second order or a second notification would be a real duplicate).
 */
export const crmApiEndpoints = Object.freeze({
  orders: endpoint({ method: 'GET', path: () => v5('/orders'), response: OrdersResponse, right: 'order_read', retry: 'always', doc: '§24.3' }),
  order: endpoint({ method: 'GET', path: (id: string | number) => v5(`/orders/${seg(id)}`), response: OrderResponse, right: 'order_read', retry: 'always', doc: '§24.3' }),
  createOrder: endpoint({ method: 'POST', path: () => v5('/orders/create'), response: OrderWriteResponse, right: 'order_write', retry: 'unsent', doc: '§24.3' }),
  editOrder: endpoint({ method: 'POST', path: (id: string | number) => v5(`/orders/${seg(id)}/edit`), response: OrderWriteResponse, right: 'order_write', retry: 'always', doc: '§24.3' }),
  ordersHistory: endpoint({ method: 'GET', path: () => v5('/orders/history'), response: OrderHistoryResponse, right: 'order_read', retry: 'always', doc: '§24.3' }),
  customers: endpoint({ method: 'GET', path: () => v5('/customers'), response: CustomersResponse, right: 'customer_read', retry: 'always', doc: '§24.4' }),
  customer: endpoint({ method: 'GET', path: (id: string | number) => v5(`/customers/${seg(id)}`), response: CustomerResponse, right: 'customer_read', retry: 'always', doc: '§24.4' }),
  createCustomer: endpoint({ method: 'POST', path: () => v5('/customers/create'), response: CustomerWriteResponse, right: 'customer_write', retry: 'unsent', doc: '§24.4' }),
  editCustomer: endpoint({ method: 'POST', path: (id: string | number) => v5(`/customers/${seg(id)}/edit`), response: CustomerWriteResponse, right: 'customer_write', retry: 'always', doc: '§24.4' }),
  stores: endpoint({ method: 'GET', path: () => v5('/reference/stores'), response: StoresResponse, right: 'reference_read', retry: 'always', doc: '§24.5' }),
  orderTypes: endpoint({ method: 'GET', path: () => v5('/reference/order-types'), response: OrderTypesResponse, right: 'reference_read', retry: 'always', doc: '§24.5' }),
  statuses: endpoint({ method: 'GET', path: () => v5('/reference/statuses'), response: StatusesResponse, right: 'reference_read', retry: 'always', doc: '§24.5' }),
  paymentTypes: endpoint({ method: 'GET', path: () => v5('/reference/payment-types'), response: PaymentTypesResponse, right: 'reference_read', retry: 'always', doc: '§24.5' }),
  deliveryTypes: endpoint({ method: 'GET', path: () => v5('/reference/delivery-types'), response: DeliveryTypesResponse, right: 'reference_read', retry: 'always', doc: '§24.5' }),
  customFields: endpoint({ method: 'GET', path: () => v5('/custom-fields'), response: CustomFieldsResponse, right: 'custom_fields_read', retry: 'always', doc: '§24.6' }),
  customField: endpoint({ method: 'GET', path: (entity: string, code: string) => v5(`/custom-fields/${seg(entity)}/${seg(code)}`), response: CustomFieldResponse, right: 'custom_fields_read', retry: 'always', doc: '§24.6' }),
  createCustomField: endpoint({ method: 'POST', path: (entity: string) => v5(`/custom-fields/${seg(entity)}/create`), response: CustomFieldWriteResponse, right: 'custom_fields_write', retry: 'unsent', doc: '§24.6' }),
  editCustomField: endpoint({ method: 'POST', path: (entity: string, code: string) => v5(`/custom-fields/${seg(entity)}/${seg(code)}/edit`), response: CustomFieldWriteResponse, right: 'custom_fields_write', retry: 'always', doc: '§24.6' }),
  sendNotification: endpoint({ method: 'POST', path: () => v5('/notifications/send'), response: SuccessOnly, right: null, retry: 'unsent', doc: '§24.8' }),
  checkFeatures: endpoint({ method: 'GET', path: () => v5('/features/check'), response: FeaturesResponse, right: null, retry: 'always', doc: '§24.9' }),
  settings: endpoint({ method: 'GET', path: () => v5('/settings'), response: SettingsResponse, right: null, retry: 'always', doc: '§24.7' }),
  // A status pushed twice is the same status: retried. A created or imported invoice twice is two invoices.
  deliveryTracking: endpoint({ method: 'POST', path: (code: string) => v5(`/delivery/generic/${seg(code)}/tracking`), response: DeliveryTrackingResponse, right: 'delivery_write', retry: 'always', doc: '§21.12' }),
  paymentCheck: endpoint({ method: 'POST', path: () => v5('/payment/check'), response: PaymentCheckResponse, right: 'payments_read', retry: 'always', doc: '§22.6' }),
  createInvoice: endpoint({ method: 'POST', path: () => v5('/payment/create-invoice'), response: CreateInvoiceResponse, right: 'payments_write', retry: 'unsent', doc: '§22.6' }),
  updateInvoice: endpoint({ method: 'POST', path: () => v5('/payment/update-invoice'), response: SuccessOnly, right: 'payments_write', retry: 'always', doc: '§22.6' }),
  invoice: endpoint({ method: 'GET', path: (uuid: string) => v5(`/payment/invoice/${seg(uuid)}`), response: InvoiceResponse, right: 'payments_read', retry: 'always', doc: '§22.6' }),
  importInvoice: endpoint({ method: 'POST', path: () => v5('/payment/invoice/import'), response: ImportInvoiceResponse, right: 'payments_write', retry: 'unsent', doc: '§22.6' }),
});

export type CrmApiEndpointName = keyof typeof crmApiEndpoints;
