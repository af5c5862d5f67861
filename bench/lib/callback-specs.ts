/** The declared callbacks the benches compare with a bare route: bench/callbacks.ts, bench/delivery.ts, bench/instructions.ts. */
import { z } from 'zod';
import { defineCallback } from '../../src/callbacks/declaration.js';
import { DeliveryCalculateRequest } from '../../src/protocol/index.js';
import type { DeclaredCallbackBench } from './declared-callback-bench.js';

// The handler work both servers do: price a small basket.
const Quote = z.object({ items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive(), price: z.number() })).min(1) });
const priceBasket = (input: z.output<typeof Quote>) => ({ total: input.items.reduce((sum, item) => sum + item.quantity * item.price, 0) });

/** A custom declared callback (a quote for a basket). */
export const quoteBench: DeclaredCallbackBench<typeof Quote> = {
  bench: 'callbacks',
  title: 'declared callback vs bare route',
  figure: 'declared callback / bare route',
  kitName: 'kit declared callback',
  callbacks: { actions: { quote: defineCallback({ input: Quote, handle: ({ input }) => priceBasket(input) }) } },
  path: '/callback/quote',
  field: 'quote',
  schema: Quote,
  handle: priceBasket,
  input: (i) => ({ items: [{ sku: `sku-${i}`, quantity: 1 + (i % 3), price: 9.5 }, { sku: 'gift', quantity: 1, price: 0 }] }),
};

// The handler work both servers do: price three tariffs by the parcels' weight.
const TARIFFS = [
  { code: 'express', name: 'Express courier', type: 'courier', base: 9, perKg: 1.5, minTerm: 1, maxTerm: 1 },
  { code: 'standard', name: 'Standard courier', type: 'courier', base: 5, perKg: 1, minTerm: 2, maxTerm: 4 },
  { code: 'pickup', name: 'Pick-up point', type: 'selfDelivery', base: 3, perKg: 0.5, minTerm: 3, maxTerm: 5 },
] as const;
const priceTariffs = (input: z.output<typeof DeliveryCalculateRequest>) => {
  const kilos = Math.max(1, Math.ceil((input.packages ?? []).reduce((sum, p) => sum + (p.weight ?? 0), 0) / 1000));
  return TARIFFS.map((t) => ({ code: t.code, name: t.name, type: t.type, cost: Math.round((t.base + t.perKg * kilos) * 100) / 100, minTerm: t.minTerm, maxTerm: t.maxTerm }));
};

/** The built-in delivery `calculate` callback. */
export const deliveryBench: DeclaredCallbackBench<typeof DeliveryCalculateRequest> = {
  bench: 'delivery',
  title: 'delivery calculate vs bare route',
  figure: 'delivery calculate / bare route',
  kitName: 'kit delivery calculate',
  callbacks: { delivery: { calculate: { handle: ({ input }) => priceTariffs(input) } } },
  path: '/callback/delivery/calculate',
  field: 'calculate',
  schema: DeliveryCalculateRequest,
  handle: priceTariffs,
  // A calculate as the emulator sends it for a two-item order (PROTOCOL-INTEGRATIONS §21.3).
  input: (i) => ({
    store: { code: 'warehouse', name: 'Main warehouse' },
    shipmentAddress: { countryIso: 'ES', city: 'Madrid', index: '28001' },
    deliveryAddress: { countryIso: 'ES', city: 'Valencia', index: '46001', street: 'Calle Colón', building: '5' },
    packages: [{ packageId: '1', weight: 800 + (i % 5) * 700, width: 200, length: 300, height: 150, items: [
      { offerId: `o-${i}`, name: 'T-shirt', declaredValue: 19.9, cost: 19.9, quantity: 2 },
      { offerId: 'gift', name: 'Sticker', declaredValue: 0, cost: 0, quantity: 1 },
    ] }],
    declaredValue: 39.8,
    payerType: 'receiver',
    shipmentDate: '2026-05-04',
    currency: 'EUR',
  }),
};
