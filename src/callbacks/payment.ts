/**
 * Payment callbacks (PROTOCOL-INTEGRATIONS §22) as a kind the kit knows, and the typed handlers a module declares
 * in `callbacks.payment`. The paths land in `integrations.payment.actions`.
 * @module
 */
import type { z } from 'zod';
import {
  CreatePaymentRequest,
  CreatePaymentResult,
  PaymentIdRequest,
  PaymentRefundRequest,
  PaymentRefundResult,
  PaymentStatusResult,
} from '../protocol/index.js';
import type { KnownCallback } from './delivery.js';
import type { CallbackKind } from './kinds.js';

const post = (field: string, input: z.ZodType, output?: z.ZodType): CallbackKind =>
  Object.freeze({ method: 'POST', field, input, output, whenInactive: false });

/** §22.1: create/approve/cancel/refund are POST with a JSON field; `status` is GET with plain fields (as stripe serves it). */
export const PAYMENT_KINDS = Object.freeze({
  create: post('create', CreatePaymentRequest, CreatePaymentResult),
  approve: post('approve', PaymentIdRequest),
  cancel: post('cancel', PaymentIdRequest),
  refund: post('refund', PaymentRefundRequest, PaymentRefundResult),
  status: Object.freeze({ method: 'GET', field: null, input: PaymentIdRequest, output: PaymentStatusResult, whenInactive: false }) as CallbackKind,
});

/** `callbacks.payment`. `create` is the one the CRM needs (§20.10); the others as the gateway supports them. */
export interface PaymentCallbacks {
  /** A payment for a CRM invoice: answer the gateway's id and the pay page (`invoiceUrl`). */
  readonly create?: KnownCallback<typeof CreatePaymentRequest, z.input<typeof CreatePaymentResult>>;
  /** Capture an authorised (two-step) payment. */
  readonly approve?: KnownCallback<typeof PaymentIdRequest, void>;
  /** Void it. */
  readonly cancel?: KnownCallback<typeof PaymentIdRequest, void>;
  /** `amount` missing: refund in full. */
  readonly refund?: KnownCallback<typeof PaymentRefundRequest, z.input<typeof PaymentRefundResult>>;
  readonly status?: KnownCallback<typeof PaymentIdRequest, z.input<typeof PaymentStatusResult>>;
}
