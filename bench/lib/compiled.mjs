/**
 * The benches' TypeScript loader: `node --import ./bench/lib/compiled.mjs bench/x.ts`.
 *
 * Benches measure the kit as its users run it, compiled. tsx (the dev runner) compiles with esbuild's
 * `keepNames`, which wraps every named function and closure in a `__name()` call that `tsc`'s output (dist/)
 * does not have; on a hot path made of small closures that cost the kit up to a tenth of its throughput against a
 * bare route with fewer closures (docs/performance.md). This loader compiles every `.ts` file, kit, bench and
 * baseline alike, with the same esbuild and no `keepNames`, and resolves the `.js` specifiers of TypeScript's
 * NodeNext style to their `.ts` sources.
 */
import { register } from 'node:module';

register('./compiled-hooks.mjs', import.meta.url);
