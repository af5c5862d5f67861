/**
 * Payment modules on the wire (PROTOCOL-INTEGRATIONS §20.4, §22): the configuration, the CRM's callbacks and the
 * module's answers, and the module → CRM payment API. Shared by the kit and the emulator, as `delivery.ts` is.
 * @module
 */
import { z } from 'zod';
import { CrmDateTime } from './crm-resources.js';
import { successEnvelope } from './envelope.js';

/**
 * Invoice statuses the CRM is known to take (§22.6; the full vocabulary is unconfirmed, §26 #17: these five).
 */
export const INVOICE_STATUSES = ['pending', 'waitingForCapture', 'succeeded', 'canceled', 'refundSucceeded'] as const;
export const InvoiceStatus = z.enum(INVOICE_STATUSES);
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

export const PAYMENT_ACTIONS = ['create', 'approve', 'cancel', 'refund', 'status'] as const;
export type PaymentAction = (typeof PAYMENT_ACTIONS)[number];

// ---------------------------------------------------------------- configuration (§20.4)

export const PaymentShop = z.object({ code: z.string().min(1), name: z.string().min(1), active: z.boolean().optional() });

/** `integrationModule.integrations.payment`; `actions` is filled in from the declared callbacks. */
export const PaymentConfiguration = z.object({
  actions: z.record(z.string(), z.string().min(1)).optional(),
  currencies: z.array(z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code')).optional(),
  invoiceTypes: z.array(z.literal('link')).optional(),
  shops: z.array(PaymentShop).optional(),
});
export type PaymentConfiguration = z.input<typeof PaymentConfiguration>;

// ---------------------------------------------------------------- CRM → module (§22.2–§22.5)

export const PaymentItem = z.looseObject({
  name: z.string().optional(),
  price: z.number().optional(),
  quantity: z.number().optional(),
  measurementUnit: z.string().optional(),
  vat: z.string().optional(),
  paymentMethod: z.string().optional(),
  paymentObject: z.string().optional(),
  productCode: z.string().optional(),
  markingCode: z.string().optional(),
});

export const PaymentCustomer = z.looseObject({
  email: z.string().optional(),
  phone: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  patronymic: z.string().optional(),
  contragentType: z.string().optional(),
  legalName: z.string().optional(),
});

export const CreatePaymentRequest = z.looseObject({
  shopId: z.string().min(1).optional(),
  invoiceUuid: z.string().min(1),
  invoiceType: z.string().optional(),
  amount: z.number().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
  orderNumber: z.string().optional(),
  orderId: z.number().int().optional(),
  siteUrl: z.string().optional(),
  returnUrl: z.string().optional(),
  items: z.array(PaymentItem).optional(),
  customer: PaymentCustomer.optional(),
});
export type CreatePaymentRequest = z.infer<typeof CreatePaymentRequest>;

export const CreatePaymentResult = z.object({
  paymentId: z.string().min(1),
  /** The customer's pay page. */
  invoiceUrl: z.url({ protocol: /^https?$/ }),
  cancellable: z.boolean().optional(),
});
export type CreatePaymentResult = z.infer<typeof CreatePaymentResult>;

/** `approve` and `cancel` carry only the module's payment id. */
export const PaymentIdRequest = z.looseObject({ paymentId: z.string().min(1) });
export type PaymentIdRequest = z.infer<typeof PaymentIdRequest>;

/** `amount` omitted: a full refund. */
export const PaymentRefundRequest = z.looseObject({ paymentId: z.string().min(1), amount: z.number().positive().optional() });
export type PaymentRefundRequest = z.infer<typeof PaymentRefundRequest>;

export const Refund = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  amount: z.number().nonnegative().optional(),
  comment: z.string().optional(),
});
export type Refund = z.infer<typeof Refund>;
export const PaymentRefundResult = Refund;

export const PaymentStatusResult = z.object({
  paymentId: z.string().min(1),
  status: InvoiceStatus,
  amount: z.number().nonnegative().optional(),
  cancellationDetails: z.string().optional(),
  expiredAt: CrmDateTime.optional(),
  paidAt: CrmDateTime.optional(),
  invoiceUrl: z.string().optional(),
  refundable: z.boolean().optional(),
});
export type PaymentStatusResult = z.infer<typeof PaymentStatusResult>;

// ---------------------------------------------------------------- module → CRM (§22.6)

export const PaymentCheck = z.object({ invoiceUuid: z.string().min(1), amount: z.number().positive(), currency: z.string().regex(/^[A-Z]{3}$/) });
export type PaymentCheck = z.input<typeof PaymentCheck>;
export const PaymentCheckResponse = successEnvelope({ result: z.looseObject({ success: z.boolean(), errorMsg: z.string().optional() }) });

export const CreateInvoice = z.object({ paymentId: z.number().int().positive(), returnUrl: z.string().optional() });
export type CreateInvoice = z.input<typeof CreateInvoice>;
export const CreateInvoiceResponse = successEnvelope({ result: z.looseObject({ link: z.string() }) });

export const UpdateInvoice = z.object({
  invoiceUuid: z.string().min(1),
  paymentId: z.string().optional(),
  amount: z.number().nonnegative().optional(),
  discountAmount: z.number().nonnegative().optional(),
  status: InvoiceStatus.optional(),
  cancellationDetails: z.string().optional(),
  invoiceUrl: z.string().optional(),
  paidAt: CrmDateTime.optional(),
  expiredAt: CrmDateTime.optional(),
  refund: Refund.optional(),
  refundable: z.boolean().optional(),
  cancellable: z.boolean().optional(),
});
export type UpdateInvoice = z.input<typeof UpdateInvoice>;

export const ImportInvoice = z.object({
  paymentId: z.number().int().positive(),
  externalId: z.string().min(1),
  amount: z.number().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: InvoiceStatus,
  createdAt: CrmDateTime.optional(),
  paidAt: CrmDateTime.optional(),
  discountAmount: z.number().nonnegative().optional(),
  refunds: z.array(Refund.extend({ externalId: z.string().optional(), createdAt: CrmDateTime.optional() })).optional(),
  refundable: z.boolean().optional(),
});
export type ImportInvoice = z.input<typeof ImportInvoice>;
export const ImportInvoiceResponse = successEnvelope({ invoice: z.looseObject({ invoiceUuid: z.string() }) });

export const Invoice = z.looseObject({
  invoiceUuid: z.string(),
  orderId: z.number().int().optional(),
  paymentId: z.union([z.string(), z.number()]).nullable().optional(),
  amount: z.union([z.string(), z.number()]).optional(),
  currency: z.string().optional(),
  status: z.string().optional(),
  link: z.string().nullable().optional(),
  paidAt: z.string().nullable().optional(),
  refundable: z.boolean().optional(),
  cancellable: z.boolean().optional(),
  refunds: z.array(z.looseObject({ id: z.string().optional(), status: z.string().optional(), amount: z.union([z.string(), z.number()]).optional() })).optional(),
});
export type Invoice = z.infer<typeof Invoice>;
export const InvoiceResponse = successEnvelope({ invoice: Invoice });
