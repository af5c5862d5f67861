import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activitySparklines, requestChartSvg } from './svg-charts.js';

const attrs = (svg: string, kind: string) => [...svg.matchAll(new RegExp(`data-kind="${kind}" data-count="(\\d+)" data-second="(-?\\d+)"`, 'g'))].map((m) => [Number(m[1]), Number(m[2])]);

describe('request chart', () => {
  it('bins per second, stacks 503s above accepted calls, draws the limit, and ignores calls older than the window', () => {
    const base = Date.UTC(2026, 0, 1, 12, 0, 0);
    const requests = [
      ...Array.from({ length: 10 }, (_, i) => ({ at: base + i, status: 200 })),
      ...Array.from({ length: 5 }, (_, i) => ({ at: base + 100 + i, status: 503 })),
      { at: base + 2000, status: 200 },
      { at: base + 2001, status: 500 },
      { at: base - 120_000, status: 200 },
    ];
    const svg = requestChartSvg(requests, { limitPerSecond: 10 }).value;
    assert.deepEqual(attrs(svg, 'accepted'), [[10, -2], [1, 0]]);
    assert.deepEqual(attrs(svg, 'rate-limited'), [[5, -2]]);
    assert.deepEqual(attrs(svg, 'failed'), [[1, 0]]);
    assert.match(svg, /data-rate-limited="5"/);
    assert.match(svg, /data-limit="10"/);
    assert.doesNotMatch(svg, /<script/);
  });

  it('draws no limit line when the limit is off, and an empty chart for no calls', () => {
    const svg = requestChartSvg([], { limitPerSecond: null }).value;
    assert.doesNotMatch(svg, /data-limit/);
    assert.doesNotMatch(svg, /data-kind=/);
  });
});

describe('activity sparklines', () => {
  it('renders both series with totals in the page language, and nothing without data', () => {
    const buckets = Array.from({ length: 24 }, (_, i) => ({ total: i === 23 ? 3 : 0, failed: i === 23 ? 1 : 0 }));
    const ru = activitySparklines({ bucketMs: 3_600_000, endsAt: 0, callbacks: buckets, crmCalls: buckets.map(() => ({ total: 0, failed: 0 })) }, 'ru')!.value;
    assert.match(ru, /За последние 24 часа/);
    assert.match(ru, /data-series="callbacks" data-total="3" data-failed="1"/);
    assert.match(ru, /data-series="crm-calls" data-total="0" data-failed="0"/);
    assert.equal((ru.match(/data-failed="1"/g) ?? []).length, 2, 'the svg and its red bar');
    assert.equal(activitySparklines(undefined, 'en'), undefined);
  });
});
