/**
 * The emulator playing the CRM's side of a delivery and a payment module, through a real connection: tariffs,
 * save, refresh, cancel, print, shipments and tracking pushes; invoices created through the gateway, approved,
 * cancelled, refunded, and the module → CRM payment methods. Every module answer is checked against the
 * protocol: a refusal or a wrong shape is kept on the order, naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { CallbackError, CallbackFile } from '../src/callbacks/declaration.js';
import type { CrmClient } from '../src/crm/types.js';
import { CrmValidationFailedError, CrmRejectedError } from '../src/crm/errors.js';
import type { Connection } from '../src/store/types.js';
import { alertText, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;
let crm: CrmClient;
let connection: Connection;
const mode = { calculate: 'ok' as 'ok' | 'refuse' | 'wrong', refund: 'ok' as 'ok' | 'wrong' };
let saves = 0;

describe('the emulator as the CRM of delivery and payment modules', () => {
  before(async () => {
    h = await startHarness({
      integrations: () => ({
        delivery: { statusList: [{ code: 'created', name: 'Created' }, { code: 'delivered', name: 'Delivered' }], plateList: [{ code: 'label', label: 'Label' }] },
        payment: { currencies: ['EUR'], invoiceTypes: ['link'] },
      }),
      callbacks: {
        delivery: {
          calculate: {
            handle: ({ input }) => {
              if (mode.calculate === 'refuse') throw new CallbackError('Parcel too heavy');
              if (mode.calculate === 'wrong') return [{ code: 'std', name: 'Standard', cost: 'cheap' as never }];
              return [{ code: 'std', name: 'Courier', cost: 4 + (input.packages?.[0]?.items?.length ?? 0) }, { code: 'eco', name: 'Economy', cost: 2, pickuppointList: [{ code: 'K9', name: 'Kiosk 9', address: 'Calle Mayor 1' }] }];
            },
          },
          save: {
            handle: (context) => {
              crm = context.crm;
              connection = context.connection;
              saves += 1;
              return { deliveryId: context.input.deliveryId ?? `D-${context.input.order}`, trackNumber: `T${saves}`, status: 'created' };
            },
          },
          get: { handle: () => ({ trackNumber: 'T-fresh', status: { code: 'delivered', updatedAt: '2026-05-06T10:00:00+02:00' } }) },
          delete: { handle: () => undefined },
          print: { handle: ({ input }) => new CallbackFile('application/pdf', new TextEncoder().encode(`%PDF ${input.deliveryIds.join(',')}`)) },
          shipmentSave: { handle: () => ({ shipmentId: 'S-1' }) },
          shipmentDelete: { handle: () => undefined },
        },
        payment: {
          create: { handle: ({ input }) => ({ paymentId: `G-${input.invoiceUuid.slice(0, 8)}`, invoiceUrl: `https://gateway.example/pay/${input.invoiceUuid}` }) },
          approve: { handle: () => undefined },
          cancel: { handle: () => { throw new CallbackError('Already captured'); } },
          refund: { handle: ({ input }) => (mode.refund === 'wrong' ? ({ status: 'succeeded' } as never) : { id: 'R-1', status: 'succeeded', amount: input.amount ?? 0 }) },
          status: { handle: ({ input }) => ({ paymentId: input.paymentId, status: 'waitingForCapture', amount: 29 }) },
        },
      },
    });
    const page = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(done.status, 303, alertText(done.body));
  });
  after(async () => h.close());

  it('delivery: tariffs, save with a track number, tracking pushes, refresh, print, shipment, cancel', async () => {
    const order = h.emulator.createOrder('demo', { items: [{ productName: 'Mug', initialPrice: 10, quantity: 2 }] });
    assert.deepEqual(h.emulator.integrationCodes('demo', 'delivery'), ['acme-sync']);
    const calculated = await h.emulator.deliveryCalculate('demo', order.id, 'acme-sync');
    assert.ok(calculated.ok, JSON.stringify(calculated));
    assert.deepEqual(calculated.delivery.tariffs.map((t) => [t.code, t.cost]), [['std', 5], ['eco', 2]]);

    await assert.rejects(h.emulator.deliverySave('demo', order.id, { tariff: 'express' }), /not one the carrier offered/);
    const saved = await h.emulator.deliverySave('demo', order.id, { tariff: 'eco' });
    assert.ok(saved.ok, JSON.stringify(saved));
    assert.deepEqual([saved.delivery.deliveryId, saved.delivery.trackNumber, saved.delivery.cost, saved.delivery.status], [`D-${order.id}`, 'T1', 2, 'created']);
    const stored = await crm.orders.get(order.id, { by: 'id' });
    assert.deepEqual((stored.delivery as { data: unknown }).data, { externalId: `D-${order.id}`, trackNumber: 'T1', status: 'created', tariff: 'eco' });

    await crm.delivery.tracking(connection.moduleCode, [
      { deliveryId: `D-${order.id}`, history: [{ code: 'delivered', updatedAt: '2026-05-06T11:02:00+02:00', comment: 'Left at the door' }] },
    ]);
    const tracked = h.emulator.orderDelivery('demo', order.id);
    assert.equal(tracked?.status, 'delivered');
    assert.equal(tracked?.history.at(-1)?.comment, 'Left at the door');
    const history = await crm.orders.history({ orderId: order.id });
    assert.ok(history.items.some((e) => e.field === 'delivery' && (e.newValue as { data: { status: string } }).data.status === 'delivered'));

    await assert.rejects(crm.delivery.tracking(connection.moduleCode, [{ deliveryId: 'nope', history: [] }]), (error: unknown) => error instanceof CrmValidationFailedError);
    await assert.rejects(crm.delivery.tracking(connection.moduleCode, [{ deliveryId: `D-${order.id}`, history: [{ code: 'x', updatedAt: 'yesterday' }] }]), CrmValidationFailedError);

    const refreshed = await h.emulator.deliveryRefresh('demo', order.id);
    assert.ok(refreshed.ok);
    assert.equal(refreshed.delivery.trackNumber, 'T-fresh');

    const printed = await h.emulator.deliveryPrint('demo', [order.id], 'label');
    assert.ok(printed.ok);
    assert.equal(printed.bytes.toString(), `%PDF D-${order.id}`);
    const shipment = await h.emulator.deliveryShipment('demo', [order.id]);
    assert.ok(shipment.ok);
    assert.equal(shipment.delivery.shipmentId, 'S-1');
    const withdrawn = await h.emulator.deliveryShipmentCancel('demo', order.id);
    assert.ok(withdrawn.ok);
    assert.equal(withdrawn.delivery.shipmentId, undefined);
    await assert.rejects(h.emulator.deliveryShipmentCancel('demo', order.id), /no pick-up request/);

    const cancelled = await h.emulator.deliveryCancel('demo', order.id);
    assert.ok(cancelled.ok);
    assert.equal(cancelled.delivery.deliveryId, undefined);
  });

  it('a refusal and a wrong-shaped answer are shown, naming the field', async () => {
    const order = h.emulator.createOrder('demo', { items: [{ productName: 'Mug', initialPrice: 10 }] });
    mode.calculate = 'refuse';
    const refused = await h.emulator.deliveryCalculate('demo', order.id, 'acme-sync');
    assert.deepEqual([refused.ok, !refused.ok && refused.refusal], [false, 'Parcel too heavy']);
    mode.calculate = 'wrong';
    const wrong = await h.emulator.deliveryCalculate('demo', order.id, 'acme-sync');
    // The kit itself refuses a handler's wrong shape outside production (a 500 with a generic message).
    assert.equal(wrong.ok, false);
    mode.calculate = 'ok';
    assert.equal(h.emulator.orderDelivery('demo', order.id)?.refusal !== undefined, true);
  });

  it('the emulator names the field of a module answer that is not the CRM\'s shape', async () => {
    const { createServer } = await import('node:http');
    // A module outside the kit that answers a tariff without a name: registered through the API as any module would.
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true,"result":[{"code":"x","cost":1}]}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const { callEmulator } = await import('../src/emulator/http-client.js');
      const edit = await callEmulator(h.emulator.port, `demo.localhost:${h.emulator.port}`, '/api/v5/integration-modules/bare-carrier/edit', {
        apiKey: h.apiKey,
        form: {
          integrationModule: JSON.stringify({ code: 'bare-carrier', integrationCode: 'bare-carrier', name: 'Bare', clientId: 'bare-client-0123456789', baseUrl: `http://127.0.0.1:${port}`, integrations: { delivery: { actions: { calculate: '/calc' } } } }),
        },
      });
      assert.ok(edit.status < 300, edit.text);
      const badConfig = await callEmulator(h.emulator.port, `demo.localhost:${h.emulator.port}`, '/api/v5/integration-modules/bare-carrier/edit', {
        apiKey: h.apiKey,
        form: { integrationModule: JSON.stringify({ code: 'bare-carrier', name: 'Bare', clientId: 'bare-client-0123456789', baseUrl: `http://127.0.0.1:${port}`, integrations: { delivery: { payerType: ['nobody'] } } }) },
      });
      assert.equal(badConfig.status, 400, 'the registration\'s delivery block is checked too');
      assert.match(badConfig.text, /payerType/);
      const order = h.emulator.createOrder('demo', {});
      const outcome = await h.emulator.deliveryCalculate('demo', order.id, 'bare-carrier');
      assert.equal(outcome.ok, false);
      assert.match(!outcome.ok ? outcome.refusal : '', /result\.0\.name/);
    } finally {
      server.close();
    }
  });

  it('payment: an invoice through the gateway, check, update-invoice marks the order paid, refund, cancel refused', async () => {
    const order = h.emulator.createOrder('demo', { items: [{ productName: 'Lamp', initialPrice: 30 }] });
    const created = await h.emulator.paymentCreate('demo', order.id, { code: 'acme-sync' });
    assert.ok(created.ok, JSON.stringify(created));
    const invoice = created.invoice;
    assert.equal(invoice.link, `https://gateway.example/pay/${invoice.invoiceUuid}`);
    assert.equal(invoice.amount, 30);
    assert.equal(invoice.status, 'pending');

    assert.deepEqual(await crm.payments.check({ invoiceUuid: invoice.invoiceUuid, amount: 30, currency: invoice.currency as 'EUR' }), { ok: true });
    const mismatch = await crm.payments.check({ invoiceUuid: invoice.invoiceUuid, amount: 31, currency: invoice.currency });
    assert.equal(mismatch.ok, false);
    assert.deepEqual(await crm.payments.createInvoice({ paymentId: invoice.paymentId }), { link: invoice.link });

    await crm.payments.updateInvoice({ invoiceUuid: invoice.invoiceUuid, paymentId: invoice.modulePaymentId, status: 'succeeded', paidAt: '2026-05-04 12:30:00', refundable: true });
    const paid = await crm.orders.get(order.id, { by: 'id' });
    assert.equal((paid.payments as Record<string, { status: string }>)[String(invoice.paymentId)]?.status, 'succeeded');
    assert.equal((await crm.payments.invoice(invoice.invoiceUuid)).status, 'succeeded');
    await assert.rejects(crm.payments.updateInvoice({ invoiceUuid: invoice.invoiceUuid, status: 'paid' as never }), CrmValidationFailedError);
    await assert.rejects(crm.payments.updateInvoice({ invoiceUuid: 'no-such-invoice', status: 'succeeded' }), CrmRejectedError);

    const refunded = await h.emulator.paymentRefund('demo', invoice.invoiceUuid, 10);
    assert.ok(refunded.ok, JSON.stringify(refunded));
    assert.deepEqual(refunded.invoice.refunds, [{ id: 'R-1', status: 'succeeded', amount: 10 }]);
    mode.refund = 'wrong';
    const badRefund = await h.emulator.paymentRefund('demo', invoice.invoiceUuid);
    assert.equal(badRefund.ok, false);
    mode.refund = 'ok';
    assert.ok((await h.emulator.paymentApprove('demo', invoice.invoiceUuid)).ok);
    const asked = await h.emulator.paymentStatus('demo', invoice.invoiceUuid);
    assert.ok(asked.ok, JSON.stringify(asked));
    assert.deepEqual([asked.invoice.status, asked.invoice.amount], ['waitingForCapture', 29]);
    const cancel = await h.emulator.paymentCancel('demo', invoice.invoiceUuid);
    assert.deepEqual([cancel.ok, !cancel.ok && cancel.refusal], [false, 'Already captured']);
  });

  it('invoice/import attaches an invoice paid elsewhere; the control API drives the same buttons', async () => {
    const order = h.emulator.createOrder('demo', { items: [{ productName: 'Desk', initialPrice: 80 }] });
    const base = `${h.emulator.controlUrl}/_emulator/accounts/demo`;
    const post = async (path: string, body: unknown = {}) => {
      const response = await request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
    };
    const calculated = await post(`/orders/${order.id}/delivery/calculate`, { code: 'acme-sync' });
    assert.equal(calculated.json.ok, true, JSON.stringify(calculated.json));
    const saved = await post(`/orders/${order.id}/delivery/save`, { tariff: 'std' });
    assert.equal((saved.json.delivery as { trackNumber: string }).trackNumber.startsWith('T'), true);
    assert.equal((await post(`/orders/${order.id}/delivery/save`, { tariff: 5 })).status, 400);
    assert.equal((await post('/orders/999999/delivery/calculate', { code: 'acme-sync' })).status, 404);

    const created = await post(`/orders/${order.id}/invoices`, { code: 'acme-sync', amount: 80 });
    const invoice = created.json.invoice as { invoiceUuid: string; paymentId: number };
    assert.equal(created.json.ok, true);
    await assert.rejects(
      crm.payments.importInvoice({ paymentId: invoice.paymentId, externalId: 'EXT-1', amount: 80, currency: 'EUR', status: 'succeeded' }),
      CrmValidationFailedError,
      'the payment already has the gateway invoice',
    );
    assert.equal((await post(`/invoices/${invoice.invoiceUuid}/refund`, { amount: 5 })).json.ok, true);
  });

  it('the order page: pick the carrier, see tariffs, save, see the track number and status; refusals shown; invoices', async () => {
    const { callEmulator } = await import('../src/emulator/http-client.js');
    const host = `demo.localhost:${h.emulator.port}`;
    const order = h.emulator.createOrder('demo', { items: [{ productName: 'Chair', initialPrice: 25 }] });
    const page = (path: string, form?: Record<string, string>) => callEmulator(h.emulator.port, host, path, form ? { form } : {});
    const at = `/admin/orders/${order.id}`;
    const first = await page(at);
    assert.equal(first.status, 200);
    assert.match(first.text, /<option value="acme-sync"/);
    const list = await page('/admin/orders');
    assert.match(list.text, new RegExp(`href="/admin/orders/${order.id}"`));

    const tariffs = await page(`${at}/delivery/calculate`, { code: 'acme-sync' });
    assert.match(tariffs.text, /data-tariff="std">Courier<\/span> — <span data-tariff-cost>5\.00/);
    assert.match(tariffs.text, /<ul data-pickup-points="eco"><li>Kiosk 9, Calle Mayor 1<\/li><\/ul>/);
    const saved = await page(`${at}/delivery/save`, { tariff: 'std' });
    assert.match(saved.text, /<dd id="track-number">T\d+<\/dd>/);
    assert.match(saved.text, /<dd id="delivery-status" data-code="created">Created<\/dd>/);
    await crm.delivery.tracking(connection.moduleCode, [{ deliveryId: `D-${order.id}`, history: [{ code: 'delivered', updatedAt: '2026-05-07T09:00:00Z' }] }]);
    const tracked = await page(at);
    assert.match(tracked.text, /data-code="delivered">Delivered<\/dd>/);
    assert.match(tracked.text, /id="delivery-history"/);
    const printed = await page(`${at}/delivery/print`, { plate: 'label' });
    assert.equal(printed.status, 200);
    assert.equal(printed.text, `%PDF D-${order.id}`);

    mode.calculate = 'refuse';
    const refused = await page(`${at}/delivery/calculate`, { code: 'acme-sync' });
    assert.match(refused.text, /id="delivery-refusal">Parcel too heavy</);
    mode.calculate = 'ok';
    const noSuchOrder = await page('/admin/orders/999999/delivery/save', {});
    assert.equal(noSuchOrder.status, 404);

    const invoiced = await page(`${at}/invoices`, { code: 'acme-sync', amount: '25' });
    assert.match(invoiced.text, /data-invoice-status="pending"/);
    assert.match(invoiced.text, /<a href="https:\/\/gateway\.example\/pay\/[0-9a-f-]+" data-invoice-link/);
    const [invoice] = h.emulator.invoices('demo', order.id);
    assert.ok(invoice);
    await crm.payments.updateInvoice({ invoiceUuid: invoice.invoiceUuid, status: 'succeeded' });
    assert.match((await page(at)).text, /data-invoice-status="succeeded"/);
    const cancel = await page(`/admin/invoices/${invoice.invoiceUuid}/cancel`, {});
    assert.match(cancel.text, /data-invoice-refusal>Already captured</);
    const refund = await page(`/admin/invoices/${invoice.invoiceUuid}/refund`, { amount: '5' });
    assert.match(refund.text, /data-refund="R-1">5\.00 succeeded/);
  });

  it('every action: a module answer of the wrong shape is refused, naming the field; a refusal shows its errorMsg', async () => {
    const { createServer } = await import('node:http');
    const { callEmulator } = await import('../src/emulator/http-client.js');
    const answers = new Map<string, { status?: number; type?: string; body: string }>();
    const server = createServer((req, res) => {
      const answer = answers.get((req.url ?? '').split('?')[0] ?? '') ?? { status: 404, body: '{"success":false,"errorMsg":"no route"}' };
      res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'application/json' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ok = (result?: unknown) => ({ body: JSON.stringify(result === undefined ? { success: true } : { success: true, result }) });
    try {
      const port = (server.address() as { port: number }).port;
      const actions = (names: string[]) => Object.fromEntries(names.map((n) => [n, `/${n}`]));
      const edit = await callEmulator(h.emulator.port, `demo.localhost:${h.emulator.port}`, '/api/v5/integration-modules/bare-shop/edit', {
        apiKey: h.apiKey,
        form: {
          integrationModule: JSON.stringify({
            code: 'bare-shop', name: 'Bare shop', clientId: 'bare-shop-client-0123456789', baseUrl: `http://127.0.0.1:${port}`,
            integrations: { delivery: { requiredFields: ['phone'], actions: actions(['calculate', 'save', 'get', 'delete', 'print', 'shipmentSave']) }, payment: { actions: actions(['create', 'approve', 'refund']) } },
          }),
        },
      });
      assert.ok(edit.status < 300, edit.text);
      const refusal = (outcome: { ok: boolean; refusal?: string }) => (outcome.ok ? '(accepted)' : (outcome.refusal ?? ''));
      answers.set('/calculate', ok([{ code: 'std', name: 'Standard', cost: 1 }]));
      answers.set('/save', ok({ deliveryId: 'never' }));
      const noPhone = h.emulator.createOrder('demo', { items: [{ productName: 'Box', initialPrice: 5 }] });
      assert.equal((await h.emulator.deliveryCalculate('demo', noPhone.id, 'bare-shop')).ok, true);
      assert.equal(refusal(await h.emulator.deliverySave('demo', noPhone.id, {})), 'Fill in what this delivery type requires: phone', 'required fields are checked before save');

      const order = h.emulator.createOrder('demo', { phone: '+34600111222', items: [{ productName: 'Box', initialPrice: 5 }] });
      assert.equal((await h.emulator.deliveryCalculate('demo', order.id, 'bare-shop')).ok, true);
      answers.set('/save', ok({ trackNumber: 'X' }));
      assert.match(refusal(await h.emulator.deliverySave('demo', order.id, {})), /result\.deliveryId/);
      answers.set('/save', ok({ deliveryId: 'B-1', cost: -2 }));
      assert.match(refusal(await h.emulator.deliverySave('demo', order.id, {})), /result\.cost/);
      answers.set('/save', ok({ deliveryId: 'B-1' }));
      assert.equal((await h.emulator.deliverySave('demo', order.id, {})).ok, true);
      answers.set('/get', ok({ status: { code: 'x', updatedAt: 'yesterday' } }));
      assert.match(refusal(await h.emulator.deliveryRefresh('demo', order.id)), /result\.status\.updatedAt/);
      answers.set('/print', ok());
      assert.match(refusal(await h.emulator.deliveryPrint('demo', [order.id], 'label')), /JSON instead of a document/);
      answers.set('/shipmentSave', ok({ extraData: { a: 1 } }));
      assert.match(refusal(await h.emulator.deliveryShipment('demo', [order.id])), /result\.shipmentId/);
      answers.set('/delete', { status: 400, body: '{"success":false,"errorMsg":"Already picked up"}' });
      assert.equal(refusal(await h.emulator.deliveryCancel('demo', order.id)), 'Already picked up');
      answers.set('/delete', { status: 500, type: 'text/html', body: '<h1>oops</h1>' });
      assert.match(refusal(await h.emulator.deliveryCancel('demo', order.id)), /not JSON \(HTTP 500\)/);
      const page = await callEmulator(h.emulator.port, `demo.localhost:${h.emulator.port}`, `/admin/orders/${order.id}`);
      assert.match(page.text, /id="delivery-refusal">The module(&#39;|')s answer is not JSON/);

      answers.set('/create', ok({ paymentId: 'p1', invoiceUrl: 'javascript:alert(1)' }));
      assert.match(refusal(await h.emulator.paymentCreate('demo', order.id, { code: 'bare-shop' })), /result\.invoiceUrl/);
      answers.set('/create', ok({ paymentId: 'p1', invoiceUrl: 'https://bare.example/p1' }));
      const created = await h.emulator.paymentCreate('demo', order.id, { code: 'bare-shop' });
      assert.ok(created.ok);
      answers.set('/refund', ok({ status: 'succeeded' }));
      assert.match(refusal(await h.emulator.paymentRefund('demo', created.invoice.invoiceUuid)), /result\.id/);
      answers.set('/approve', { body: '{"success":true' });
      assert.match(refusal(await h.emulator.paymentApprove('demo', created.invoice.invoiceUuid)), /not JSON/);
      assert.match(refusal(await h.emulator.paymentCancel('demo', created.invoice.invoiceUuid)), /no payment action "cancel"/);
    } finally {
      server.close();
    }
  });
});
