/**
 * Delivery `calculate` served by the kit (`callbacks.delivery.calculate`) against a bare Fastify route doing the
 * same handler work (parse the form, the `calculate` JSON through the same protocol schema, find the connection
 * by clientId within the module, refuse a switched-off one, price the tariffs, answer in the envelope), in one
 * run, at 64 concurrent connections. The kit also checks its answer against the CRM's shape; the bare route
 * does not, as a hand-written module would not. Rounds alternate kit/bare; the medians are compared. Target:
 * throughput ratio ≥ 0.90. p99 is printed for both. Exits 1 when the target is missed.
 *
 *   npx tsx bench/delivery.ts [--seconds 1] [--rounds 15] [--connections 1000]
 */
import type { z } from 'zod';
import { DeliveryCalculateRequest } from '../src/protocol/index.js';
import { runDeclaredCallbackBench } from './lib/declared-callback-bench.js';

// The handler work both servers do: price three tariffs by the parcels' weight.
const TARIFFS = [
  { code: 'express', name: 'Express courier', type: 'courier', base: 9, perKg: 1.5, minTerm: 1, maxTerm: 1 },
  { code: 'standard', name: 'Standard courier', type: 'courier', base: 5, perKg: 1, minTerm: 2, maxTerm: 4 },
  { code: 'pickup', name: 'Pick-up point', type: 'selfDelivery', base: 3, perKg: 0.5, minTerm: 3, maxTerm: 5 },
] as const;
const price = (input: z.output<typeof DeliveryCalculateRequest>) => {
  const kilos = Math.max(1, Math.ceil((input.packages ?? []).reduce((sum, p) => sum + (p.weight ?? 0), 0) / 1000));
  return TARIFFS.map((t) => ({ code: t.code, name: t.name, type: t.type, cost: Math.round((t.base + t.perKg * kilos) * 100) / 100, minTerm: t.minTerm, maxTerm: t.maxTerm }));
};

await runDeclaredCallbackBench({
  bench: 'delivery',
  title: 'delivery calculate vs bare route',
  figure: 'delivery calculate / bare route',
  kitName: 'kit delivery calculate',
  callbacks: { delivery: { calculate: { handle: ({ input }) => price(input) } } },
  path: '/callback/delivery/calculate',
  field: 'calculate',
  schema: DeliveryCalculateRequest,
  handle: price,
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
});
