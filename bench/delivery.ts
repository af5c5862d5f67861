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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { DeliveryCalculateRequest } from '../src/protocol/index.js';
import { defineModule } from '../src/connect/module-definition.js';
import { startModule } from '../src/host/start-module.js';
import { generateKeyEntry } from '../src/store/keyring.js';
import { openConnectionStore } from '../src/store/open-connection-store.js';
import { seedActiveConnections, startBareCallback } from './lib/bench-store.js';
import { compareKitWithBare } from './lib/kit-vs-bare.js';
import { BenchReport } from './lib/report.js';
import { type LoadRequest } from './lib/load.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '15' }, connections: { type: 'string', default: '1000' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const count = Number(values.connections);
const CONCURRENCY = 64;
const TARGET = 0.9;
const report = new BenchReport('delivery');

const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-delivery-'));
const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
const clientIds = await seedActiveConnections(store, count);

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

const module = await startModule({
  module: defineModule({
    integrationCode: 'bench',
    name: 'Bench',
    logo: 'https://bench.example/logo.svg',
    baseUrl: 'http://127.0.0.1',
    callbacks: { delivery: { calculate: { handle: ({ input }) => price(input) } } },
  }),
  store,
  cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
  accountUrlPolicy: { allowLocal: true },
  logger: false,
});

const bare = await startBareCallback({ store, path: '/callback/delivery/calculate', field: 'calculate', schema: DeliveryCalculateRequest, handle: price });
const bareUrl = bare.url;

// A calculate as the emulator sends it for a two-item order (PROTOCOL-INTEGRATIONS §21.3).
const requests: LoadRequest[] = clientIds.map((clientId, i) => ({
  method: 'POST' as const,
  path: '/callback/delivery/calculate',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    clientId,
    calculate: JSON.stringify({
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
  }).toString(),
}));

await compareKitWithBare(report, {
  figure: 'delivery calculate / bare route',
  title: `delivery calculate vs bare route: ${count} connections, SQLite`,
  kit: { name: 'kit delivery calculate', url: module.url },
  bare: { name: 'bare Fastify route', url: bareUrl },
  requests,
  seconds,
  rounds,
  connections: CONCURRENCY,
  target: TARGET,
});

await module.close();
await bare.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
report.finish();
