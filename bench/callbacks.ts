/**
 * A declared callback served by the kit against a bare Fastify route doing the same handler work (parse the form,
 * the JSON field through the same zod schema, find the connection by clientId within the module, refuse a
 * switched-off one, compute, answer in the envelope), in one run, at 64 concurrent connections. Rounds
 * alternate kit/bare; the medians are compared. Target: throughput ratio ≥ 0.90. p99 is printed for both.
 * Exits 1 when the target is missed.
 *
 *   npx tsx bench/callbacks.ts [--seconds 1] [--rounds 15] [--connections 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { defineCallback } from '../src/callbacks/declaration.js';
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
const report = new BenchReport('callbacks');

const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-callbacks-'));
const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
const clientIds = await seedActiveConnections(store, count);

// The handler work both servers do: price a small basket.
const Quote = z.object({ items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive(), price: z.number() })).min(1) });
const price = (input: z.output<typeof Quote>) => ({ total: input.items.reduce((sum, item) => sum + item.quantity * item.price, 0) });

const module = await startModule({
  module: defineModule({
    integrationCode: 'bench',
    name: 'Bench',
    logo: 'https://bench.example/logo.svg',
    baseUrl: 'http://127.0.0.1',
    callbacks: { actions: { quote: defineCallback({ input: Quote, handle: ({ input }) => price(input) }) } },
  }),
  store,
  cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
  accountUrlPolicy: { allowLocal: true },
  logger: false,
});

const bare = await startBareCallback({ store, path: '/callback/quote', field: 'quote', schema: Quote, handle: price });
const bareUrl = bare.url;

const requests: LoadRequest[] = clientIds.map((clientId, i) => ({
  method: 'POST' as const,
  path: '/callback/quote',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    clientId,
    quote: JSON.stringify({ items: [{ sku: `sku-${i}`, quantity: 1 + (i % 3), price: 9.5 }, { sku: 'gift', quantity: 1, price: 0 }] }),
  }).toString(),
}));

await compareKitWithBare(report, {
  figure: 'declared callback / bare route',
  title: `declared callback vs bare route: ${count} connections, SQLite`,
  kit: { name: 'kit declared callback', url: module.url },
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
