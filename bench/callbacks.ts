/**
 * A declared callback served by the kit against a bare Fastify route doing the same handler work (parse the form,
 * the JSON field through the same zod schema, find the connection by clientId within the module, refuse a
 * switched-off one, compute, answer in the envelope), in one run, at 64 concurrent connections. Rounds
 * alternate kit/bare; the medians are compared. Target: throughput ratio ≥ 0.90. p99 is printed for both.
 * Exits 1 when the target is missed.
 *
 *   npx tsx bench/callbacks.ts [--seconds 2] [--rounds 5] [--connections 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { z } from 'zod';
import { defineCallback } from '../src/callbacks/declaration.js';
import { defineModule } from '../src/connect/module-definition.js';
import { startModule } from '../src/host/start-module.js';
import { generateKeyEntry } from '../src/store/keyring.js';
import { openConnectionStore } from '../src/store/open-connection-store.js';
import { compareKitWithBare } from './lib/kit-vs-bare.js';
import { type LoadRequest } from './lib/load.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '5' }, connections: { type: 'string', default: '1000' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const count = Number(values.connections);
const CONCURRENCY = 64;
const TARGET = 0.9;

const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-callbacks-'));
const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
const clientIds: string[] = [];
for (let i = 0; i < count; i++) {
  const { connection } = await store.saveConnect({
    moduleCode: 'bench',
    accountUrl: `https://shop${i}.retailcrm.ru`,
    apiKey: `key-${i}-${'x'.repeat(24)}`,
    settings: {},
    apiVersion: '5.0',
    scopes: [],
    newClientId: `client-${i}-${'c'.repeat(40)}`,
  });
  await store.update(connection.id, connection.version, { state: 'active', active: true });
  clientIds.push(connection.clientId);
}

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

const bare = Fastify({ logger: false });
await bare.register(formbody);
bare.post('/callback/quote', async (request, reply) => {
  const form = request.body as { clientId?: string; quote?: string };
  if (!form.clientId || !form.quote) return reply.code(400).send({ success: false, errorMsg: 'missing' });
  const connection = await store.findByClientId(form.clientId);
  if (!connection || connection.moduleCode !== 'bench') return reply.code(404).send({ success: false, errorMsg: 'unknown' });
  if (connection.state !== 'active') return reply.code(403).send({ success: false, errorMsg: 'inactive' });
  let json: unknown;
  try {
    json = JSON.parse(form.quote);
  } catch {
    return reply.code(400).send({ success: false, errorMsg: 'not JSON' });
  }
  const parsed = Quote.safeParse(json);
  if (!parsed.success) return reply.code(400).send({ success: false, errorMsg: 'invalid' });
  return { success: true, result: price(parsed.data) };
});
await bare.listen({ port: 0, host: '127.0.0.1' });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;

const requests: LoadRequest[] = clientIds.map((clientId, i) => ({
  method: 'POST' as const,
  path: '/callback/quote',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    clientId,
    quote: JSON.stringify({ items: [{ sku: `sku-${i}`, quantity: 1 + (i % 3), price: 9.5 }, { sku: 'gift', quantity: 1, price: 0 }] }),
  }).toString(),
}));

const met = await compareKitWithBare({
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
process.exitCode = met ? 0 : 1;
