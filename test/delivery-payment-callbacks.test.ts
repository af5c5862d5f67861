/**
 * Delivery and payment callbacks through a real connection: a module declaring both kinds is connected through
 * the form against the emulator; its configuration and every action are registered under `integrations`; the
 * emulator sends each action as the CRM does (POST with a JSON field, GET with plain fields) and the module
 * answers in the CRM's shapes; a refusal, a malformed input and a wrong-shaped answer each get their status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallbackError, CallbackFile } from '../src/callbacks/declaration.js';
import type { DeliveryCallbacks } from '../src/callbacks/delivery.js';
import type { PaymentCallbacks } from '../src/callbacks/payment.js';
import { defineModule } from '../src/connect/module-definition.js';
import type { Connection } from '../src/store/types.js';
import { alertText, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

let h: Harness;
let connection: Connection;
const saved = new Map<string, { tariff: string | undefined; order: string | undefined }>();

const delivery: DeliveryCallbacks = {
  calculate: {
    handle({ input }) {
      const grams = (input.packages ?? []).reduce((sum, p) => sum + (p.weight ?? 0), 0);
      if (input.deliveryAddress?.countryIso === 'XX') throw new CallbackError('We do not deliver there');
      if (input.deliveryAddress?.city === 'Wrong') return [{ code: 'std', name: 'Standard', cost: -1 }];
      return [
        { code: 'std', name: 'Courier', type: 'courier', cost: 5 + grams / 1000, minTerm: 1, maxTerm: 2 },
        { code: 'pp', name: 'Pick-up', type: 'selfDelivery', cost: 3, pickuppointList: [{ code: 'P1', name: 'Kiosk' }] },
      ];
    },
  },
  save: {
    handle({ input }) {
      const deliveryId = input.deliveryId ?? `D-${saved.size + 1}`;
      saved.set(deliveryId, { tariff: input.delivery.tariff, order: input.order });
      return { deliveryId, trackNumber: `TRK${deliveryId}`, cost: 6, status: 'created' };
    },
  },
  get: {
    handle({ input }) {
      if (!saved.has(input.deliveryId)) throw new CallbackError('No such delivery', 404);
      return { trackNumber: `TRK${input.deliveryId}`, status: { code: 'created', updatedAt: '2026-05-04T12:30:00+02:00' } };
    },
  },
  delete: {
    handle({ input }) {
      if (!saved.delete(input.deliveryId)) throw new CallbackError('No such delivery', 404);
    },
  },
  print: { handle: ({ input }) => new CallbackFile('application/pdf', new TextEncoder().encode(`%PDF ${input.type} ${input.deliveryIds.join(',')}`)) },
  shipmentSave: { handle: ({ input }) => ({ shipmentId: input.shipmentId ?? `S-${input.orders.length}` }) },
  shipmentDelete: { handle: () => undefined },
  shipmentPointList: { handle: ({ input }) => [{ code: 'P1', name: `Kiosk in ${input.city ?? 'town'}`, coordinates: { latitude: 1, longitude: 2 } }] },
};

const payment: PaymentCallbacks = {
  create: {
    path: '/pay/create',
    handle: ({ input }) => {
      if (input.amount > 1000) throw new CallbackError('Amount over the limit');
      return { paymentId: `P-${input.invoiceUuid}`, invoiceUrl: `https://gateway.example/pay/${input.invoiceUuid}`, cancellable: true };
    },
  },
  approve: { handle: () => undefined },
  cancel: { handle: () => undefined },
  refund: { handle: ({ input }) => ({ id: 'R-1', status: 'succeeded', amount: input.amount ?? 10 }) },
  status: { handle: ({ input }) => ({ paymentId: input.paymentId, status: 'succeeded', amount: 10 }) },
};

const config = {
  delivery: {
    description: 'Toy carrier',
    payerType: ['receiver', 'sender'],
    rateDeliveryCost: true,
    statusList: [{ code: 'created', name: 'Created', isEditable: true }, { code: 'delivered', name: 'Delivered' }],
    plateList: [{ code: 'label', label: 'Label' }],
  },
  payment: { currencies: ['EUR'], invoiceTypes: ['link'], shops: [{ code: 'main', name: 'Main' }] },
} as const;

const send = (group: 'delivery' | 'payment', action: string, fields: Record<string, unknown>, method: 'GET' | 'POST' = 'POST') =>
  h.emulator.sendCallback('demo', 'acme-sync', action, { group, method, fields } as never);
const json = (outcome: { body: string | null }) => JSON.parse(outcome.body ?? 'null') as { success: boolean; result?: unknown; errorMsg?: string };

describe('delivery and payment callbacks', () => {
  before(async () => {
    h = await startHarness({ integrations: () => config, callbacks: { delivery, payment } });
    const page = await h.client.get(`${h.connectUrl}?account=${h.crmUrl}/`);
    const done = await h.client.post(h.connectUrl, { account: h.crmUrl, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(page.body, '_csrf') ?? '' });
    assert.equal(done.status, 303, alertText(done.body));
    const found = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(found);
    connection = found;
  });
  after(async () => h.close());

  it('registers the configuration with every declared action under integrations', () => {
    const [module] = h.emulator.integrationModules('demo');
    const integrations = module?.integrations as Record<string, Record<string, unknown>>;
    assert.deepEqual(integrations.delivery?.actions, {
      calculate: '/callback/delivery/calculate',
      save: '/callback/delivery/save',
      get: '/callback/delivery/get',
      delete: '/callback/delivery/delete',
      print: '/callback/delivery/print',
      shipmentSave: '/callback/delivery/shipmentSave',
      shipmentDelete: '/callback/delivery/shipmentDelete',
      shipmentPointList: '/callback/delivery/shipmentPointList',
    });
    assert.equal(integrations.delivery?.description, 'Toy carrier');
    assert.deepEqual(integrations.payment?.actions, {
      create: '/pay/create',
      approve: '/callback/payment/approve',
      cancel: '/callback/payment/cancel',
      refund: '/callback/payment/refund',
      status: '/callback/payment/status',
    });
    assert.deepEqual(integrations.payment?.currencies, ['EUR']);
    assert.deepEqual(Object.keys(module?.actions ?? {}).sort(), ['activity', 'settings'], 'integration actions stay out of the top level');
  });

  it('calculate: tariffs; a refusal; a malformed input; an answer of the wrong shape', async () => {
    const ok = await send('delivery', 'calculate', { calculate: { packages: [{ weight: 2000 }], deliveryAddress: { countryIso: 'ES' } } });
    assert.equal(ok.status, 200, ok.body ?? ok.error);
    assert.deepEqual((json(ok).result as { code: string; cost: number }[]).map((t) => [t.code, t.cost]), [['std', 7], ['pp', 3]]);
    const refused = await send('delivery', 'calculate', { calculate: { deliveryAddress: { countryIso: 'XX' } } });
    assert.equal(refused.status, 400);
    assert.deepEqual(json(refused), { success: false, errorMsg: 'We do not deliver there' });
    const malformed = await send('delivery', 'calculate', { calculate: { packages: [{ weight: 'heavy' }] } });
    assert.equal(malformed.status, 400);
    assert.match(json(malformed).errorMsg ?? '', /calculate\.packages\.0\.weight/);
    const notJson = await send('delivery', 'calculate', { calculate: '{' });
    assert.equal(notJson.status, 400);
    const wrong = await send('delivery', 'calculate', { calculate: { deliveryAddress: { city: 'Wrong' } } });
    assert.equal(wrong.status, 500, 'a negative cost is not the CRM\'s shape: refused loudly outside production');
  });

  it('save, get, delete: the delivery id is the key; get reads plain query fields', async () => {
    const created = await send('delivery', 'save', { save: { order: '7', delivery: { tariff: 'std', deliveryDate: '2026-05-06 00:00:00' } } });
    assert.equal(created.status, 200, created.body ?? '');
    assert.deepEqual(json(created).result, { deliveryId: 'D-1', trackNumber: 'TRKD-1', cost: 6, status: 'created' });
    assert.deepEqual(saved.get('D-1'), { tariff: 'std', order: '7' });
    const noDelivery = await send('delivery', 'save', { save: { order: '7' } });
    assert.equal(noDelivery.status, 400);
    assert.match(json(noDelivery).errorMsg ?? '', /save\.delivery/);

    const got = await send('delivery', 'get', { deliveryId: 'D-1' }, 'GET');
    assert.equal(got.status, 200, got.body ?? '');
    assert.equal((json(got).result as { trackNumber: string }).trackNumber, 'TRKD-1');
    assert.equal((await send('delivery', 'get', {}, 'GET')).status, 400);
    assert.equal((await send('delivery', 'get', { deliveryId: 'nope' }, 'GET')).status, 404);

    const deleted = await send('delivery', 'delete', { delete: { deliveryId: 'D-1' } });
    assert.deepEqual([deleted.status, json(deleted)], [200, { success: true }]);
    const again = await send('delivery', 'delete', { delete: { deliveryId: 'D-1' } });
    assert.deepEqual([again.status, json(again)], [404, { success: false, errorMsg: 'No such delivery' }]);
  });

  it('print answers a file; ids may come flat or nested', async () => {
    const outcome = await send('delivery', 'print', { print: { type: 'label', deliveryIds: [['A', 'B']] } });
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body, '%PDF label A,B');
    assert.equal((await send('delivery', 'print', { print: { type: 'label', deliveryIds: [] } })).status, 400);
  });

  it('shipments and shipment points', async () => {
    const shipment = await send('delivery', 'shipmentSave', { shipmentSave: { orders: [{ deliveryId: 'D-9' }], date: '2026-05-04' } });
    assert.deepEqual(json(shipment), { success: true, result: { shipmentId: 'S-1' } });
    assert.equal((await send('delivery', 'shipmentSave', { shipmentSave: { orders: [] } })).status, 400);
    assert.deepEqual(json(await send('delivery', 'shipmentDelete', { shipmentDelete: { shipmentId: 'S-1' } })), { success: true });
    const points = await send('delivery', 'shipmentPointList', { city: 'Madrid', cityId: '12' }, 'GET');
    assert.equal(points.status, 200, points.body ?? '');
    assert.equal((json(points).result as { name: string }[])[0]?.name, 'Kiosk in Madrid');
    assert.equal((await send('delivery', 'shipmentPointList', { cityId: 'twelve' }, 'GET')).status, 400);
  });

  it('payment: create, approve, cancel, refund, status; refusals and bad input', async () => {
    const created = await send('payment', 'create', { create: { invoiceUuid: 'u-1', amount: 45.3, currency: 'EUR', shopId: 'main' } });
    assert.equal(created.status, 200, created.body ?? '');
    assert.deepEqual(json(created).result, { paymentId: 'P-u-1', invoiceUrl: 'https://gateway.example/pay/u-1', cancellable: true });
    const over = await send('payment', 'create', { create: { invoiceUuid: 'u-2', amount: 5000, currency: 'EUR' } });
    assert.deepEqual([over.status, json(over).errorMsg], [400, 'Amount over the limit']);
    const bad = await send('payment', 'create', { create: { invoiceUuid: 'u-3', amount: 1, currency: 'euro' } });
    assert.equal(bad.status, 400);
    assert.match(json(bad).errorMsg ?? '', /create\.currency/);
    assert.deepEqual(json(await send('payment', 'approve', { approve: { paymentId: 'P-u-1' } })), { success: true });
    assert.deepEqual(json(await send('payment', 'cancel', { cancel: { paymentId: 'P-u-1' } })), { success: true });
    assert.equal((await send('payment', 'cancel', { cancel: {} })).status, 400);
    assert.deepEqual(json(await send('payment', 'refund', { refund: { paymentId: 'P-u-1', amount: 2.5 } })).result, { id: 'R-1', status: 'succeeded', amount: 2.5 });
    const status = await send('payment', 'status', { paymentId: 'P-u-1' }, 'GET');
    assert.deepEqual(json(status).result, { paymentId: 'P-u-1', status: 'succeeded', amount: 10 });
  });

  it('malformed input to every other action is a 400 in the envelope, naming the field', async () => {
    const cases: [group: 'delivery' | 'payment', action: string, fields: Record<string, unknown>, method: 'GET' | 'POST', where: RegExp][] = [
      ['delivery', 'delete', { delete: {} }, 'POST', /delete\.deliveryId/],
      ['delivery', 'shipmentDelete', { shipmentDelete: { shipmentId: 7 } }, 'POST', /shipmentDelete\.shipmentId/],
      ['delivery', 'print', { print: { deliveryIds: ['A'] } }, 'POST', /print\.type/],
      ['payment', 'approve', { approve: '[]' }, 'POST', /approve/],
      ['payment', 'refund', { refund: { paymentId: 'P', amount: -1 } }, 'POST', /refund\.amount/],
      ['payment', 'status', {}, 'GET', /input\.paymentId/],
    ];
    for (const [group, action, fields, method, where] of cases) {
      const outcome = await send(group, action, fields, method);
      assert.equal(outcome.status, 400, `${group}.${action}: ${outcome.body ?? ''}`);
      assert.equal(json(outcome).success, false);
      assert.match(json(outcome).errorMsg ?? '', where, `${group}.${action}`);
    }
    const noField = await send('payment', 'refund', {});
    assert.deepEqual([noField.status, /refund/.test(json(noField).errorMsg ?? '')], [400, true]);
  });

  it('an unknown clientId is refused before any handler runs', async () => {
    const { request } = await import('undici');
    const response = await request(`${h.module.url}/callback/delivery/calculate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ clientId: 'nobody', calculate: '{}' }).toString(),
    });
    assert.equal(response.statusCode, 404);
    assert.equal(((await response.body.json()) as { success: boolean }).success, false);
    assert.ok(connection.clientId.length > 0);
  });

  it('a bad declaration or configuration fails at definition, every problem by path', () => {
    assert.throws(
      () =>
        defineModule({
          integrationCode: 'bad',
          name: 'Bad',
          logo: 'https://bad.example/logo.svg',
          baseUrl: 'https://bad.example',
          integrations: { delivery: { statusList: [{ code: '', name: 'x' }], payerType: ['nobody' as never] } },
          callbacks: { delivery: { tariffs: { handle: () => [] } } as never, payment: { refund: { handle: () => ({ id: 'r', status: 's' }) } } },
        }),
      (error: Error) =>
        /integrations\.delivery\.statusList\.0\.code/.test(error.message) &&
        /integrations\.delivery\.payerType\.0/.test(error.message) &&
        /callbacks\.delivery\.tariffs: unknown action/.test(error.message) &&
        /callbacks\.payment\.create is required/.test(error.message),
    );
  });
});
