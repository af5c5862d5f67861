/**
 * Counters and histograms for the hot paths (every callback, every CRM request). prom-client hashes and
 * validates the label object on every `inc`/`observe`, even through a `labels()` child; here a label
 * combination is resolved once to a series object, and counting is a field increment. They register into a
 * prom-client Registry like its own metrics (the same `get()` shape), so the text exposition is prom-client's.
 * @module
 */

interface MetricValue {
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: MetricValue[];
  readonly aggregator: 'sum';
}

abstract class HotMetric<Series> {
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';
  protected readonly series = new Map<string, { readonly labels: Record<string, string>; readonly data: Series }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The series of one label combination (values in `labelNames` order); keep it for the hot path. */
  child(...values: readonly string[]): Series {
    const key = values.join('\u0000');
    let found = this.series.get(key);
    if (!found) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      found = { labels, data: this.create() };
      this.series.set(key, found);
    }
    return found.data;
  }

  protected abstract create(): Series;
  abstract get(): Promise<MetricSnapshot>;

  reset(): void {
    this.series.clear();
  }
}

export interface CounterSeries {
  value: number;
}

export class HotCounter extends HotMetric<CounterSeries> {
  readonly type = 'counter' as const;

  protected create(): CounterSeries {
    return { value: 0 };
  }

  async get(): Promise<MetricSnapshot> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].map((s) => ({ labels: s.labels, value: s.data.value })) };
  }
}

export interface HistogramSeries {
  observe(value: number): void;
}

export class HotHistogram extends HotMetric<HistogramSeries & { readonly counts: Float64Array; sum: number; count: number }> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, labelNames);
    this.#bounds = [...bounds].sort((a, b) => a - b);
  }

  protected create() {
    const bounds = this.#bounds;
    const series = {
      counts: new Float64Array(bounds.length),
      sum: 0,
      count: 0,
      observe(value: number) {
        series.sum += value;
        series.count += 1;
        // Per-bucket counts, made cumulative when scraped.
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]!) {
            series.counts[i]! += 1;
            return;
          }
        }
      },
    };
    return series;
  }

  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, data } of this.series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += data.counts[i] ?? 0;
        values.push({ labels: { ...labels, le: String(bound) }, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: data.count, metricName: bucket });
      values.push({ labels, value: data.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: data.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
