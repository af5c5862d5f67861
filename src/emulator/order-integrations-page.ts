/**
 * One order's page in the emulated CRM, with what delivery and payment modules add to it: choose a carrier and
 * see its tariffs, save (track number, cost, status), refresh, print, request a pick-up, cancel; create an
 * invoice through a gateway, follow its pay link, approve, cancel, refund. A module's refusal, or an answer not
 * in the CRM's shape, is shown on the page as the CRM shows it (a message, naming the field).
 * @module
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { html, raw, type SafeHtml } from '../html/html.js';
import type { EmulatorContext } from './context.js';
import { layout } from './admin-views.js';
import { isEmulatorControlError } from './errors.js';
import { integrationDataOf, orderById } from './integration-data.js';
import type { Account } from './state.js';

const CSP = "default-src 'none'; style-src 'self'; img-src http: https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
type Notice = { ok: boolean; text: string };
type Form = Record<string, unknown>;
const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).header('content-security-policy', CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
}

/** The registration's block of one kind (`statusList`, `plateList`…), for names on the page. */
function configOf(account: Account, code: string, kind: 'delivery' | 'payment'): Record<string, unknown> {
  return ((account.modules.get(code)?.registration.integrations as Record<string, Record<string, unknown>> | undefined)?.[kind]) ?? {};
}
const modulesOf = (account: Account, kind: 'delivery' | 'payment') =>
  [...account.modules].filter(([, m]) => m.active && configOf(account, m.registration.code, kind).actions !== undefined).map(([code, m]) => ({ code, name: m.registration.name }));
/** Only web addresses become links: a module's `invoiceUrl` must not turn into a script. */
const webLink = (url: string | undefined): string | undefined => (url !== undefined && /^https?:\/\//i.test(url) ? url : undefined);

function deliverySection(account: Account, orderId: number): SafeHtml {
  const delivery = integrationDataOf(account).deliveries.get(orderId);
  const carriers = modulesOf(account, 'delivery');
  const at = `/admin/orders/${orderId}/delivery`;
  if (carriers.length === 0 && delivery === undefined) return html`<p class="empty">No delivery module is connected.</p>`;
  const config = delivery ? configOf(account, delivery.code, 'delivery') : {};
  const statuses = (config.statusList as { code: string; name: string; isError?: boolean }[] | undefined) ?? [];
  const statusName = (code: string | undefined) => statuses.find((s) => s.code === code)?.name ?? code ?? '';
  const plates = (config.plateList as { code: string; label: string }[] | undefined) ?? [];
  const options = carriers.map((c) => html`<option value="${c.code}"${c.code === delivery?.code ? raw(' selected') : ''}>${c.name}</option>`);
  const tariffs = (delivery?.tariffs ?? []).map(
    (t, index) => html`<li><label><input type="radio" name="tariff" value="${t.code}"${t.code === delivery?.tariff || (delivery?.tariff === undefined && index === 0) ? raw(' checked') : ''}>
<span data-tariff="${t.code}">${t.name}</span>${t.cost !== undefined ? html` — <span data-tariff-cost>${t.cost.toFixed(2)}</span>` : ''}${t.minTerm !== undefined ? html` (${String(t.minTerm)}–${String(t.maxTerm ?? t.minTerm)} days)` : ''}</label>
${t.pickuppointList && t.pickuppointList.length > 0 ? html`<ul data-pickup-points="${t.code}">${t.pickuppointList.map((p) => html`<li>${p.name ?? p.code}${p.address ? html`, ${p.address}` : ''}${p.schedule ? html` (${p.schedule})` : ''}</li>`)}</ul>` : ''}</li>`,
  );
  const registered = delivery?.deliveryId !== undefined;
  return html`
${delivery?.refusal ? html`<div class="notice bad" role="alert" id="delivery-refusal">${delivery.refusal}</div>` : ''}
<form method="post" action="${at}/calculate"><fieldset><label>Delivery type <select name="code" id="delivery-code">${options}</select></label></fieldset>
<button id="calculate-delivery">Calculate delivery</button></form>
${tariffs.length > 0 ? html`<form method="post" action="${at}/save"><fieldset><legend>Tariffs</legend><ul id="tariffs">${tariffs}</ul></fieldset><button id="save-delivery">Save delivery</button></form>` : ''}
${registered
    ? html`<dl id="delivery-data"><dt>Delivery id</dt><dd id="delivery-id">${delivery!.deliveryId!}</dd>
<dt>Track number</dt><dd id="track-number">${delivery!.trackNumber ?? ''}</dd>
<dt>Cost</dt><dd id="delivery-cost">${delivery!.cost !== undefined ? delivery!.cost.toFixed(2) : ''}</dd>
<dt>Status</dt><dd id="delivery-status" data-code="${delivery!.status ?? ''}">${statusName(delivery!.status)}</dd>
${delivery!.shipmentId ? html`<dt>Pick-up request</dt><dd id="shipment-id">${delivery!.shipmentId}</dd>` : ''}</dl>
<form method="post" action="${at}/refresh"><button id="refresh-delivery">Refresh from the carrier</button></form>
${plates.map((p) => html`<form method="post" action="${at}/print"><input type="hidden" name="plate" value="${p.code}"><button data-print="${p.code}">Print: ${p.label}</button></form>`)}
${delivery!.shipmentId
      ? html`<form method="post" action="${at}/shipment/cancel"><button id="cancel-pickup">Withdraw the pick-up request</button></form>`
      : html`<form method="post" action="${at}/shipment"><button id="request-pickup">Request a pick-up</button></form>`}
<form method="post" action="${at}/cancel"><button id="cancel-delivery">Cancel delivery</button></form>`
    : ''}
${delivery && delivery.history.length > 0
    ? html`<h3>Delivery status history</h3><table id="delivery-history"><thead><tr><th>When</th><th>Status</th><th>Comment</th></tr></thead><tbody>${delivery.history
        .map((h) => html`<tr><td>${h.updatedAt}</td><td data-code="${h.code}">${statusName(h.code)}</td><td>${h.comment ?? ''}</td></tr>`)}</tbody></table>`
    : ''}`;
}

function paymentSection(account: Account, orderId: number, total: number): SafeHtml {
  const gateways = modulesOf(account, 'payment');
  const invoices = [...integrationDataOf(account).invoices.values()].filter((i) => i.orderId === orderId);
  const rows = invoices.map((invoice) => {
    const at = `/admin/invoices/${invoice.invoiceUuid}`;
    const link = webLink(invoice.link);
    return html`<tr data-invoice="${invoice.invoiceUuid}"><td><code>${invoice.invoiceUuid.slice(0, 8)}</code></td><td>${invoice.amount.toFixed(2)} ${invoice.currency}</td>
<td data-invoice-status="${invoice.status}">${invoice.status}</td>
<td>${link ? html`<a href="${link}" data-invoice-link rel="noreferrer">Pay page</a>` : ''}</td>
<td>${invoice.refunds.map((r) => html`<span data-refund="${r.id}">${r.amount !== undefined ? r.amount.toFixed(2) : 'all'} ${r.status}</span> `)}</td>
<td>${invoice.refusal ? html`<span class="bad" role="alert" data-invoice-refusal>${invoice.refusal}</span>` : ''}
<form method="post" action="${at}/status"><button data-status>Ask the gateway</button></form>
<form method="post" action="${at}/approve"><button data-approve>Approve</button></form>
<form method="post" action="${at}/cancel"><button data-cancel>Cancel</button></form>
<form method="post" action="${at}/refund"><input type="number" step="any" min="0" name="amount" aria-label="Refund amount" placeholder="all"><button data-refund-button>Refund</button></form></td></tr>`;
  });
  return html`
${gateways.length === 0 ? html`<p class="empty">No payment module is connected.</p>` : html`<form method="post" action="/admin/orders/${String(orderId)}/invoices"><fieldset>
<label>Payment type <select name="code" id="payment-code">${gateways.map((g) => html`<option value="${g.code}">${g.name}</option>`)}</select></label>
<label>Amount <input type="number" step="any" min="0" name="amount" id="invoice-amount" value="${total.toFixed(2)}"></label></fieldset>
<button id="create-invoice">Create invoice</button></form>`}
${rows.length > 0 ? html`<table id="invoices"><thead><tr><th>Invoice</th><th>Amount</th><th>Status</th><th>Link</th><th>Refunds</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : ''}`;
}

export function orderPage(account: Account, orderId: number, notice?: Notice): string | undefined {
  const order = orderById(account, orderId);
  if (order === undefined) return undefined;
  const total = Number(order.totalSumm ?? 0);
  const body = html`
${notice ? html`<div class="notice${notice.ok ? '' : ' bad'}" role="${notice.ok ? 'status' : 'alert'}">${notice.text}</div>` : ''}
<p><a href="/admin/orders">← Orders</a></p>
<dl id="order"><dt>Number</dt><dd id="order-number">${order.number}</dd><dt>Status</dt><dd>${order.status}</dd><dt>Total</dt><dd>${total.toFixed(2)} ${String(order.currency ?? '')}</dd></dl>
<h2>Delivery</h2>${deliverySection(account, orderId)}
<h2>Payments</h2>${paymentSection(account, orderId, total)}`;
  return layout(account, 'orders', `Order ${order.number}`, body);
}

type OrderRoute = { Params: { id: string }; Body: Form };

/** Registered in the admin scope (its hook refuses cross-site form posts). */
export function orderIntegrationRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const control = ctx.control;
  const idOf = (raw: string) => (/^\d+$/.test(raw) ? Number(raw) : -1);
  const show = (reply: FastifyReply, account: Account, id: number, notice?: Notice, status = 200) => {
    const page = orderPage(account, id, notice);
    return page === undefined ? reply.code(404).type('text/html; charset=utf-8').send('<!doctype html><title>Not found</title><p>No such order.</p>') : sendPage(reply, page, status);
  };
  /** Runs a button's action; a person's mistake (nothing chosen yet…) is a 400 page with the reason, never a 500. */
  async function act(reply: FastifyReply, account: Account, id: number, work: () => Promise<{ ok: boolean; refusal?: string }>, done: string) {
    try {
      const outcome = await work();
      return show(reply, account, id, outcome.ok ? { ok: true, text: done } : { ok: false, text: `The module refused: ${outcome.refusal ?? ''}` });
    } catch (error) {
      if (isEmulatorControlError(error)) return show(reply, account, id, { ok: false, text: error.message }, error.statusCode === 404 ? 404 : 400);
      throw error;
    }
  }

  app.get<OrderRoute>('/admin/orders/:id', (request, reply) => show(reply, ctx.accountOf(request), idOf(request.params.id)));
  app.post<OrderRoute>('/admin/orders/:id/delivery/calculate', (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    return act(reply, account, id, () => control.deliveryCalculate(account.name, id, text(request.body?.code)), 'Tariffs received.');
  });
  app.post<OrderRoute>('/admin/orders/:id/delivery/save', (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    const tariff = text(request.body?.tariff);
    return act(reply, account, id, () => control.deliverySave(account.name, id, tariff ? { tariff } : {}), 'Delivery saved.');
  });
  app.post<OrderRoute>('/admin/orders/:id/delivery/refresh', (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    return act(reply, account, id, () => control.deliveryRefresh(account.name, id), 'Delivery refreshed.');
  });
  app.post<OrderRoute>('/admin/orders/:id/delivery/cancel', (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    return act(reply, account, id, () => control.deliveryCancel(account.name, id), 'Delivery cancelled.');
  });
  app.post<OrderRoute>('/admin/orders/:id/delivery/shipment', (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    return act(reply, account, id, () => control.deliveryShipment(account.name, [id]), 'Pick-up requested.');
  });
  app.post<OrderRoute>('/admin/orders/:id/delivery/shipment/cancel', (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    return act(reply, account, id, () => control.deliveryShipmentCancel(account.name, id), 'Pick-up request withdrawn.');
  });
  app.post<OrderRoute>('/admin/orders/:id/delivery/print', async (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    try {
      const outcome = await control.deliveryPrint(account.name, [id], text(request.body?.plate));
      if (outcome.ok) return reply.header('content-disposition', `attachment; filename="order-${id}.pdf"`).type(outcome.contentType).send(outcome.bytes);
      return show(reply, account, id, { ok: false, text: `The module refused: ${outcome.refusal}` });
    } catch (error) {
      if (isEmulatorControlError(error)) return show(reply, account, id, { ok: false, text: error.message }, 400);
      throw error;
    }
  });
  app.post<OrderRoute>('/admin/orders/:id/invoices', (request, reply) => {
    const account = ctx.accountOf(request);
    const id = idOf(request.params.id);
    const amount = Number(text(request.body?.amount));
    return act(reply, account, id, () => control.paymentCreate(account.name, id, { code: text(request.body?.code), ...(amount > 0 ? { amount } : {}) }), 'Invoice created.');
  });
  for (const action of ['approve', 'cancel', 'refund', 'status'] as const)
    app.post<{ Params: { uuid: string }; Body: Form }>(`/admin/invoices/:uuid/${action}`, async (request, reply) => {
      const account = ctx.accountOf(request);
      const invoice = integrationDataOf(account).invoices.get(request.params.uuid);
      if (invoice === undefined) return reply.code(404).type('text/html; charset=utf-8').send('<!doctype html><title>Not found</title><p>No such invoice.</p>');
      const amount = Number(text(request.body?.amount));
      const uuid = invoice.invoiceUuid;
      const work = {
        approve: () => control.paymentApprove(account.name, uuid),
        cancel: () => control.paymentCancel(account.name, uuid),
        refund: () => control.paymentRefund(account.name, uuid, amount > 0 ? amount : undefined),
        status: () => control.paymentStatus(account.name, uuid),
      }[action];
      const done = { approve: 'Payment approved.', cancel: 'Payment cancelled.', refund: 'Refund requested.', status: 'Status received from the gateway.' }[action];
      return act(reply, account, invoice.orderId, work, done);
    });
}
