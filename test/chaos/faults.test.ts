/**
 * Chaos, short (issue 14, item 8): connects under faults injected on every CRM call, 50 concurrent connects of one
 * account, and activity callbacks out of order with duplicates. bench/chaos.ts runs the same at full size and
 * prints the figures; test/chaos/world.ts says what each check means.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runActivityStorm, runConcurrentConnects, runFaultedConnects, startWorld, type Tally, type World } from './world.js';

const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);

function assertClean(tally: Tally, label: string): void {
  const context = `${label} (CHAOS_SEED=${SEED}): ${tally.problems.join(' | ')}`;
  assert.equal(tally.halfWritten, 0, context);
  assert.equal(tally.storeNotCrm, 0, context);
  assert.equal(tally.duplicates, 0, context);
  assert.equal(tally.createdTwice, 0, context);
  assert.equal(tally.retriesFailed, 0, context);
}

describe(`chaos: faults, concurrency, callbacks (CHAOS_SEED=${SEED})`, () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => world.close());

  it('80 connects, half with a fault scenario: nothing half-written, store and CRM agree, every retry succeeds', async () => {
    const tally = await runFaultedConnects(world, { connects: 80, faultRate: 0.5, seed: SEED });
    assertClean(tally, 'faulted connects');
    assert.ok(tally.faulted >= 20, `only ${tally.faulted} connects were faulted`);
    assert.ok(tally.failed > 0, 'some faults outlast the retries and fail an attempt');
  });

  it('50 concurrent connects of one account: one connection, the last attempt on both sides, onConnected once', async () => {
    const tally = await runConcurrentConnects(world, 50, SEED + 1);
    assertClean(tally, 'concurrent connects');
    assert.equal(tally.failed, 0);
  });

  it('300 activity callbacks out of order with duplicates: all 200, and the CRM\'s last word is the store\'s', async () => {
    const storm = await runActivityStorm(world, { connections: 10, callbacks: 300, seed: SEED + 2 });
    assert.equal(storm.non200, 0);
    assert.equal(storm.status5xx, 0);
    assert.equal(storm.disagreeAfterSync, 0);
  });
});
