/**
 * The child of bench/instructions.ts, run under callgrind: starts one scenario's servers, prints them as one JSON
 * line (`{ sides: { name: { url, requests } } }`), serves until its stdin closes.
 */
import { startActivitySides } from './activity-sides.js';
import { deliveryBench, quoteBench } from './callback-specs.js';
import { startDeclaredCallbackSides } from './declared-callback-bench.js';
import type { LoadRequest } from './load.js';

type Sides = Record<string, { readonly url: string; readonly requests: readonly LoadRequest[] }>;
const CONNECTIONS = 200;

const scenario = process.argv[2];
let sides: Sides;
let close: () => Promise<void>;
if (scenario === 'callbacks' || scenario === 'delivery') {
  const started = scenario === 'callbacks' ? await startDeclaredCallbackSides(quoteBench, CONNECTIONS) : await startDeclaredCallbackSides(deliveryBench, CONNECTIONS);
  sides = { kit: started.kit, bare: started.bare };
  close = started.close;
} else if (scenario === 'activity') {
  const started = await startActivitySides(CONNECTIONS);
  sides = {
    'activity, no write': { url: started.module.url, requests: started.repeat },
    '/health': { url: started.module.url, requests: started.health },
    'activity, state change': { url: started.module.url, requests: started.flips },
    'bare route, same store work': { url: started.bareUrl, requests: started.flips },
  };
  close = started.close;
} else {
  throw new Error(`unknown scenario "${scenario}": callbacks, delivery or activity`);
}
// A timer keeps the event loop waking, so callgrind_control's requests are served while the servers idle.
const tick = setInterval(() => undefined, 20);
process.stdout.write(`${JSON.stringify({ sides })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(tick);
  void close().then(() => process.exit(0));
});
