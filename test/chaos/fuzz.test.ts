/**
 * Chaos, short (issue 14, item 8): fast-check fuzzing of every public endpoint of a module process. Whatever it is
 * sent, it answers below 500 and keeps running; a failure is shrunk to the smallest request that shows it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRequests, sendRaw, startFuzzTarget } from './world.js';

const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);

describe(`chaos: fuzzing the module's endpoints (CHAOS_SEED=${SEED})`, () => {
  let fuzz: Awaited<ReturnType<typeof startFuzzTarget>>;
  before(async () => {
    fuzz = await startFuzzTarget();
  });
  after(async () => fuzz.close());

  it('800 generated requests: no answer is 5xx, the process never exits, /health still answers', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzRequests(fuzz.target), async (raw) => {
        const status = await sendRaw(fuzz.target.port, raw);
        return status > 0 && status < 500;
      }),
      { numRuns: 800, seed: SEED, endOnFailure: false },
    );
    assert.equal(fuzz.child.crashes, 0);
    const health = await fetch(`${fuzz.target.moduleUrl}/health`);
    assert.equal(health.status, 200);
  });
});
