import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedLabel, crmEndpointOf } from './crm-endpoint.js';
import { createRecentActivity } from './recent-activity.js';
import { combineTelemetry, observeCallback, quietTelemetry, type KitStep } from './telemetry.js';

describe('crmEndpointOf', () => {
  it('keeps method names and replaces identifiers', () => {
    const cases: [string, string][] = [
      ['/api/api-versions', '/api/api-versions'],
      ['/api/v5/integration-modules/acme-sync/edit', '/api/v5/integration-modules/{code}/edit'],
      ['/api/v5/integration-modules/acme-sync', '/api/v5/integration-modules/{code}'],
      ['/api/v5/orders/create', '/api/v5/orders/create'],
      ['/api/v5/orders/1234/edit?by=id', '/api/v5/orders/{id}/edit'],
      ['/api/v5/orders/A-77', '/api/v5/orders/{code}'],
      ['/api/v5/reference/sites', '/api/v5/reference/sites'],
      ['/api/v5/reference/sites/main/edit', '/api/v5/reference/sites/{code}/edit'],
      ['/api/v5/store/products', '/api/v5/store/products'],
      ['/api/v5/telephony/call/event', '/api/v5/telephony/call/event'],
      ['/api/v5/customers/x%40y.z', '/api/v5/customers/{code}'],
    ];
    for (const [path, template] of cases) assert.equal(crmEndpointOf(path), template, path);
  });

  it('boundedLabel lets the first values through and folds later new ones into "other"', () => {
    const label = boundedLabel(2);
    assert.deepEqual(['a', 'b', 'c', 'a', 'd'].map(label), ['a', 'b', 'other', 'a', 'other']);
  });
});

describe('recent activity', () => {
  it('counts per hour of the last day, forgets older hours, keys callbacks by connection and calls by account', () => {
    let now = Date.UTC(2026, 0, 1, 10, 30);
    const hour = 3_600_000;
    const recent = createRecentActivity({ now: () => now });
    const call = (status: number | undefined, accountUrl = 'https://a.retailcrm.ru') =>
      recent.crmCallFinished({ method: 'GET', path: '/api/credentials', accountUrl, startedAt: 0, waitedMs: 0, ...(status ? { status } : { error: 'RCMK_NETWORK' }) });
    recent.callbackServed({ action: 'activity', status: 200, durationMs: 1, connectionId: 'c1' });
    recent.callbackServed({ action: 'activity', status: 500, durationMs: 1, connectionId: 'c1' });
    recent.callbackServed({ action: 'activity', status: 200, durationMs: 1, connectionId: 'c2' });
    call(200);
    call(503);
    now += 2 * hour;
    call(undefined);
    call(200, 'https://b.retailcrm.ru');
    const seen = recent.recentActivity!({ id: 'c1', accountUrl: 'https://a.retailcrm.ru' })!;
    assert.equal(seen.callbacks.length, 24);
    assert.deepEqual(seen.callbacks.at(-3), { total: 2, failed: 1 });
    assert.deepEqual(seen.callbacks.at(-1), { total: 0, failed: 0 });
    assert.deepEqual(seen.crmCalls.at(-3), { total: 2, failed: 1 });
    assert.deepEqual(seen.crmCalls.at(-1), { total: 1, failed: 1 });
    now += 23 * hour;
    const later = recent.recentActivity!({ id: 'c1', accountUrl: 'https://a.retailcrm.ru' })!;
    assert.equal(later.callbacks.reduce((a, b) => a + b.total, 0), 0, 'a day later the 10:00 hour is gone');
    assert.equal(later.crmCalls.reduce((a, b) => a + b.total, 0), 1);
  });

  it('keeps at most maxKeys connections, dropping the one least recently active (by hour)', () => {
    let now = 0;
    const recent = createRecentActivity({ maxKeys: 2, now: () => now });
    const served = (id: string) => recent.callbackServed({ action: 'activity', status: 200, durationMs: 1, connectionId: id });
    served('a');
    served('b');
    now += 3_600_000;
    served('a');
    served('c');
    const total = (id: string) => recent.recentActivity!({ id, accountUrl: '' })!.callbacks.reduce((s, b) => s + b.total, 0);
    assert.deepEqual([total('a'), total('b'), total('c')], [2, 0, 1]);
  });
});

describe('telemetry composition', () => {
  it('combined observers all hear an event; steps nest first-outermost; a thrown step still reports', async () => {
    const order: string[] = [];
    const tracer = (name: string) => ({
      ...quietTelemetry,
      async step<T>(step: KitStep, run: () => Promise<T>) {
        order.push(`${name}>${step}`);
        try {
          return await run();
        } finally {
          order.push(`${name}<`);
        }
      },
      callbackServed(e: { status: number }) {
        order.push(`${name}:${e.status}`);
      },
    });
    const both = { telemetry: combineTelemetry(tracer('a'), undefined, tracer('b')) };
    await assert.rejects(observeCallback(both, 'settings', async () => { throw new Error('boom'); }));
    assert.deepEqual(order, ['a>callback', 'b>callback', 'b<', 'a<', 'a:500', 'b:500']);
    assert.equal(combineTelemetry(undefined, undefined), undefined);
  });
});
