/**
 * Example: "Toy gateway", a payment module with its own hosted pay page. Built only with the package's public API.
 *
 * What it shows:
 * - `integrations.payment`: currencies, the invoice type, one shop;
 * - `callbacks.payment`: create (answers the pay page's address), approve, cancel, refund, status;
 * - the gateway's own page (an own route): the customer pays there; the module asks the CRM whether to accept
 *   the payment (`crm.payments.check`) and reports it (`crm.payments.updateInvoice`), so the order shows it paid;
 * - a refund reported the same way.
 */
import { randomUUID } from 'node:crypto';
import { CallbackError, defineModule, html, type CrmClient, type InvoiceStatus, type Locale } from 'retailcrm-module-kit';

export const GATEWAY_CODE = 'demo-toy-gateway';

interface Payment {
  readonly connectionId: string;
  readonly invoiceUuid: string;
  readonly amount: number;
  readonly currency: string;
  readonly orderNumber: string;
  status: InvoiceStatus;
  refunded: number;
}

/** Refusals the person sees in the CRM, in the account's language (`locale` of the handler). */
const REFUSAL = {
  overLimit: { en: 'The toy gateway takes payments up to 10 000', ru: 'Игрушечный эквайринг принимает платежи до 10 000', es: 'La pasarela de juguete acepta pagos de hasta 10 000' },
  unknown: { en: 'No such payment', ru: 'Такого платежа нет', es: 'No existe ese pago' },
  notWaiting: { en: 'Nothing to approve: the payment is not waiting for capture', ru: 'Нечего подтверждать: платёж не ожидает списания', es: 'Nada que aprobar: el pago no espera la captura' },
  completed: { en: 'A completed payment cannot be cancelled; refund it', ru: 'Завершённый платёж нельзя отменить; оформите возврат', es: 'Un pago completado no se puede cancelar; reembólselo' },
  notPaid: { en: 'Only a paid payment can be refunded', ru: 'Вернуть можно только оплаченный платёж', es: 'Solo se puede reembolsar un pago cobrado' },
  tooMuch: { en: 'The refund is more than what is left of the payment', ru: 'Сумма возврата больше остатка платежа', es: 'El reembolso supera lo que queda del pago' },
} as const satisfies Record<string, Record<Locale, string>>;

/** The CRM's date-time (`Y-m-d H:i:s`, UTC). */
const crmNow = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

export function gatewayModule(baseUrl: string) {
  const root = baseUrl.replace(/\/+$/, '');
  // In memory for the demo; a real gateway keeps these at the provider.
  const payments = new Map<string, Payment>();
  const crmOfPayment = new Map<string, CrmClient>();

  const report = async (id: string, payment: Payment, extra: Record<string, unknown> = {}) => {
    const crm = crmOfPayment.get(id);
    if (!crm) return;
    await crm.payments.updateInvoice({ invoiceUuid: payment.invoiceUuid, paymentId: id, status: payment.status, amount: payment.amount, ...extra });
  };

  return defineModule({
    integrationCode: GATEWAY_CODE,
    name: { en: 'Toy gateway (demo)', ru: 'Игрушечный эквайринг (демо)', es: 'Pasarela de juguete (demo)' },
    logo: `${root}/logo.svg`,
    baseUrl,
    scopes: ['payments_read', 'payments_write', 'order_read'],
    integrations: {
      payment: { currencies: ['EUR', 'USD', 'RUB'], invoiceTypes: ['link'], shops: [{ code: 'main', name: 'Main shop', active: true }] },
    },
    callbacks: {
      payment: {
        create: {
          handle({ input, connection, crm, locale }) {
            if (input.amount > 10_000) throw new CallbackError(REFUSAL.overLimit[locale]);
            const id = randomUUID();
            payments.set(id, { connectionId: connection.id, invoiceUuid: input.invoiceUuid, amount: input.amount, currency: input.currency, orderNumber: input.orderNumber ?? '', status: 'pending', refunded: 0 });
            crmOfPayment.set(id, crm);
            return { paymentId: id, invoiceUrl: `${root}/pay/${id}`, cancellable: true };
          },
        },
        approve: {
          async handle({ input, locale }) {
            const payment = payments.get(input.paymentId);
            if (!payment) throw new CallbackError(REFUSAL.unknown[locale], 404);
            if (payment.status !== 'waitingForCapture') throw new CallbackError(REFUSAL.notWaiting[locale]);
            payment.status = 'succeeded';
            await report(input.paymentId, payment, { paidAt: crmNow() });
          },
        },
        cancel: {
          async handle({ input, locale }) {
            const payment = payments.get(input.paymentId);
            if (!payment) throw new CallbackError(REFUSAL.unknown[locale], 404);
            if (payment.status !== 'pending' && payment.status !== 'waitingForCapture') throw new CallbackError(REFUSAL.completed[locale]);
            payment.status = 'canceled';
            await report(input.paymentId, payment, { cancellable: false });
          },
        },
        refund: {
          async handle({ input, locale }) {
            const payment = payments.get(input.paymentId);
            if (!payment) throw new CallbackError(REFUSAL.unknown[locale], 404);
            if (payment.status !== 'succeeded') throw new CallbackError(REFUSAL.notPaid[locale]);
            const amount = input.amount ?? payment.amount - payment.refunded;
            if (amount <= 0 || payment.refunded + amount > payment.amount + 1e-9) throw new CallbackError(REFUSAL.tooMuch[locale]);
            payment.refunded += amount;
            const refund = { id: randomUUID(), status: 'succeeded', amount };
            if (payment.refunded >= payment.amount - 1e-9) payment.status = 'refundSucceeded';
            await report(input.paymentId, payment, { refund, refundable: payment.status === 'succeeded' });
            return refund;
          },
        },
        status: {
          handle({ input, locale }) {
            const payment = payments.get(input.paymentId);
            if (!payment) throw new CallbackError(REFUSAL.unknown[locale], 404);
            return { paymentId: input.paymentId, status: payment.status, amount: payment.amount, invoiceUrl: `${root}/pay/${input.paymentId}`, refundable: payment.status === 'succeeded' };
          },
        },
      },
    },
    // The hosted pay page the customer opens from the invoice link. The payment id in the address is a random
    // UUID, so only someone with the link can reach it.
    routes(app) {
      const page = (title: string, body: ReturnType<typeof html>) =>
        html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`.toString();
      app.get<{ Params: { id: string } }>('/pay/:id', async (request, reply) => {
        const payment = payments.get(request.params.id);
        if (!payment) return reply.code(404).type('text/html; charset=utf-8').send(page('Payment not found', html`<p>This payment link is not valid.</p>`));
        const body =
          payment.status === 'pending'
            ? html`<p>Order <b>${payment.orderNumber}</b>: <b id="pay-amount">${payment.amount.toFixed(2)} ${payment.currency}</b></p>
<form method="post" action="${request.url}"><label>Card number <input name="card" id="card" value="4242 4242 4242 4242" autocomplete="off"></label><button id="pay">Pay</button></form>`
            : html`<p id="pay-result" data-status="${payment.status}">${payment.status === 'succeeded' ? 'Paid. Thank you!' : `Payment ${payment.status}.`}</p>`;
        return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page('Toy gateway', body));
      });
      app.post<{ Params: { id: string } }>('/pay/:id', async (request, reply) => {
        const payment = payments.get(request.params.id);
        if (!payment) return reply.code(404).type('text/html; charset=utf-8').send(page('Payment not found', html`<p>This payment link is not valid.</p>`));
        if (payment.status === 'pending') {
          // Ask the CRM first (the invoice may have been cancelled or changed); then report the payment.
          const crm = crmOfPayment.get(request.params.id);
          const verdict = crm ? await crm.payments.check({ invoiceUuid: payment.invoiceUuid, amount: payment.amount, currency: payment.currency }) : { ok: false };
          payment.status = verdict.ok ? 'succeeded' : 'canceled';
          await report(request.params.id, payment, verdict.ok ? { paidAt: crmNow(), refundable: true, cancellable: false } : { cancellationDetails: 'Refused by the shop' });
        }
        return reply.redirect(`${root}/pay/${request.params.id}`, 303);
      });
    },
  });
}

/** What `retailcrm-module-kit dev --module <file>` looks for in a module file. */
export const createModule = gatewayModule;
export const logoSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect width="64" height="64" rx="14" fill="#2bb673"/><rect x="10" y="18" width="44" height="28" rx="4" fill="#fff"/>
<rect x="10" y="24" width="44" height="6" fill="#333"/></svg>`;
export const description = 'A toy payment gateway with its own pay page: invoices, payment, refunds.';
