/**
 * Chaos, short (issue 14, item 8): a module process SIGKILLed at a random point of each connect and started again
 * on the same store; the person's next submit must succeed and leave the store and the CRM agreeing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runKillCampaign } from './world.js';

const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);

describe(`chaos: SIGKILL during connects (CHAOS_SEED=${SEED})`, () => {
  it('6 connects, each cut by a SIGKILL and retried after a restart on the same store', async () => {
    const tally = await runKillCampaign({ connects: 6, seed: SEED });
    const context = `CHAOS_SEED=${SEED}: ${tally.problems.join(' | ')}`;
    assert.equal(tally.kills, 6);
    assert.equal(tally.halfWritten, 0, context);
    assert.equal(tally.storeNotCrm, 0, context);
    assert.equal(tally.duplicates, 0, context);
    assert.equal(tally.retriesFailed, 0, context);
  });
});
