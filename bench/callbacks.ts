/**
 * A declared callback served by the kit against a bare Fastify route doing the same handler work (parse the form,
 * the JSON field through the same zod schema, find the connection by clientId within the module, refuse a
 * switched-off one, compute, answer in the envelope), in one run, at 64 concurrent connections. Rounds alternate
 * kit/bare; decided on the median ratio. Target: throughput ratio ≥ 0.90. p99 is printed for both. Exits 1 when the
 * target is missed.
 *
 *   npx tsx bench/callbacks.ts [--seconds 1] [--rounds 15] [--connections 1000]
 */
import { z } from 'zod';
import { defineCallback } from '../src/callbacks/declaration.js';
import { runDeclaredCallbackBench } from './lib/declared-callback-bench.js';

// The handler work both servers do: price a small basket.
const Quote = z.object({ items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive(), price: z.number() })).min(1) });
const price = (input: z.output<typeof Quote>) => ({ total: input.items.reduce((sum, item) => sum + item.quantity * item.price, 0) });

await runDeclaredCallbackBench({
  bench: 'callbacks',
  title: 'declared callback vs bare route',
  figure: 'declared callback / bare route',
  kitName: 'kit declared callback',
  callbacks: { actions: { quote: defineCallback({ input: Quote, handle: ({ input }) => price(input) }) } },
  path: '/callback/quote',
  field: 'quote',
  schema: Quote,
  handle: price,
  input: (i) => ({ items: [{ sku: `sku-${i}`, quantity: 1 + (i % 3), price: 9.5 }, { sku: 'gift', quantity: 1, price: 0 }] }),
});
