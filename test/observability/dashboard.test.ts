/**
 * The shipped Grafana dashboard against the metrics the kit really exports: every query names only exported
 * series (a histogram's `_bucket`/`_sum`/`_count` included) and only their labels (plus Prometheus's own
 * `job`/`instance`, and `le` for buckets); every exported metric has a panel; the JSON has the shape Grafana
 * imports (unique panel ids, grid positions, a templated Prometheus data source).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createKitMetrics, KIT_METRIC_LABELS, KIT_METRIC_NAMES } from '../../src/observability/index.js';

interface Target { readonly expr: string; readonly refId: string; readonly datasource?: { uid?: string } }
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: readonly Target[];
  readonly datasource?: { type?: string; uid?: string };
}

const dashboard = JSON.parse(readFileSync(new URL('../../docs/guide/grafana/retailcrm-module-kit.json', import.meta.url), 'utf8')) as {
  title: string; uid: string; schemaVersion: number; panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};

const TARGET_LABELS = new Set(['job', 'instance']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** The series and labels one PromQL expression refers to. */
function referencesOf(expr: string): { series: Set<string>; labels: Set<string> } {
  const labels = new Set<string>();
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, matchers: string) => {
    for (const m of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.add(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g, (_, list: string) => {
    for (const l of list.split(',').map((s) => s.trim()).filter(Boolean)) labels.add(l);
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/(?<![a-zA-Z_:])\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi, ' ');
  const series = new Set<string>();
  for (const m of rest.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || KEYWORDS.has(name!)) continue;
    series.add(name!);
  }
  return { series, labels };
}

/** Exported series names → the metric they belong to (histograms export three series). */
function exportedSeries(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of Object.values(KIT_METRIC_NAMES)) {
    if (name.endsWith('_seconds')) for (const suffix of ['_bucket', '_sum', '_count']) out.set(`${name}${suffix}`, name);
    else out.set(name, name);
  }
  return out;
}

describe('the Grafana dashboard', () => {
  const panels = dashboard.panels;
  const queried = panels.filter((p) => p.type !== 'row');

  it('has the shape Grafana imports: ids, grid positions, a templated Prometheus data source', () => {
    assert.equal(dashboard.uid, 'retailcrm-module-kit');
    assert.ok(dashboard.schemaVersion >= 36);
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
    for (const p of panels) {
      assert.ok(p.title && p.gridPos.w > 0 && p.gridPos.h > 0 && p.gridPos.x + p.gridPos.w <= 24, `grid of ${p.title}`);
    }
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource' && v.query === 'prometheus'));
    for (const p of queried) {
      assert.equal(p.datasource?.uid, '${datasource}', p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
      assert.equal(new Set(p.targets!.map((t) => t.refId)).size, p.targets!.length);
    }
  });

  it('queries only series the kit exports, with only their labels, and shows every exported metric', () => {
    const exported = exportedSeries();
    const used = new Set<string>();
    const exprs = [
      ...queried.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
      ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' && v.query ? [{ where: `variable ${v.name}`, expr: String((v.query as { query: string }).query) }] : [])),
    ];
    for (const { where, expr } of exprs) {
      const refs = referencesOf(expr.replace(/^label_values\((\w+),\s*(\w+)\)$/, '$1{$2=""}'));
      assert.ok(refs.series.size > 0, `${where}: the query names a series: ${expr}`);
      const allowed = new Set([...TARGET_LABELS]);
      for (const series of refs.series) {
        const metric = exported.get(series);
        assert.ok(metric, `${where}: ${series} is not a series the kit exports`);
        used.add(metric);
        for (const label of KIT_METRIC_LABELS[metric as keyof typeof KIT_METRIC_LABELS]) allowed.add(label);
        if (series.endsWith('_bucket')) allowed.add('le');
      }
      for (const label of refs.labels) assert.ok(allowed.has(label), `${where}: label ${label} is not on ${[...refs.series].join(', ')}`);
    }
    assert.deepEqual([...Object.values(KIT_METRIC_NAMES)].filter((m) => !used.has(m)), [], 'every exported metric has a panel');
  });

  it('reads its list of names from what the registry really holds', async () => {
    const metrics = createKitMetrics();
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).sort();
    assert.deepEqual(registered, [...Object.values(KIT_METRIC_NAMES)].sort());
    const text = await metrics.render();
    for (const [name, labels] of Object.entries(KIT_METRIC_LABELS)) {
      assert.match(text, new RegExp(`# TYPE ${name} (counter|histogram|gauge)`));
      assert.ok(Array.isArray(labels));
    }
  });

  it('the query reader catches a wrong name and a wrong label (so the checks above can fail)', () => {
    const refs = referencesOf('sum by (action, nope) (rate(rcmk_callbacks_totl{status=~"5.."}[5m])) / 1e-9');
    assert.deepEqual([...refs.series], ['rcmk_callbacks_totl']);
    assert.deepEqual([...refs.labels].sort(), ['action', 'nope', 'status']);
  });
});
