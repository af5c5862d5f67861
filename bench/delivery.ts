/**
 * Delivery `calculate` served by the kit (`callbacks.delivery.calculate`) against a bare Fastify route doing the
 * same handler work (parse the form, the `calculate` JSON through the same protocol schema, find the connection
 * by clientId within the module, refuse a switched-off one, price the tariffs, answer in the envelope), in one
 * run, at 64 concurrent connections. The kit also checks its answer against the CRM's shape; the bare route
 * does not, as a hand-written module would not. Rounds alternate kit/bare; the medians are compared. Target:
 * throughput ratio ≥ 0.90. p99 is printed for both. Exits 1 when the target is missed.
 *
 *   node --import ./bench/lib/compiled.mjs bench/delivery.ts [--seconds 1] [--rounds 25] [--connections 1000]
 */
import { deliveryBench } from './lib/callback-specs.js';
import { runDeclaredCallbackBench } from './lib/declared-callback-bench.js';

await runDeclaredCallbackBench(deliveryBench);
