/**
 * A declared callback served by the kit against a bare Fastify route doing the same handler work (parse the form,
 * the JSON field through the same zod schema, find the connection by clientId within the module, refuse a
 * switched-off one, compute, answer in the envelope), in one run, at 64 concurrent connections. Rounds alternate
 * kit/bare; decided on the median ratio. Target: throughput ratio ≥ 0.90. p99 is printed for both. Exits 1 when the
 * target is missed.
 *
 *   node --import ./bench/lib/compiled.mjs bench/callbacks.ts [--seconds 1] [--rounds 25] [--connections 1000]
 */
import { quoteBench } from './lib/callback-specs.js';
import { runDeclaredCallbackBench } from './lib/declared-callback-bench.js';

await runDeclaredCallbackBench(quoteBench);
