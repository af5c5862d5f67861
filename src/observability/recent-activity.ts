/**
 * Keeps each connection's recent traffic in memory — callbacks by connection, CRM calls by account — as hourly
 * counts of the last day, for the settings page's sparkline. Per process: with several instances behind a
 * balancer each page shows what its own instance served. Bounded: the least recently active keys are dropped
 * past `maxKeys`.
 * @module
 */
import { quietTelemetry, type CallbackServed, type CrmCallFinished, type KitTelemetry, type RecentActivity } from './telemetry.js';

export interface RecentActivityOptions {
  /** Buckets kept; default 24. */
  readonly buckets?: number;
  /** Width of a bucket; default one hour. */
  readonly bucketMs?: number;
  /** Connections and accounts remembered at most; default 10,000 each (about 400 bytes apiece). The least recently active (by bucket) go first. */
  readonly maxKeys?: number;
  /** Wall clock in ms (tests). */
  readonly now?: () => number;
}

interface Series {
  /** Bucket index (time / bucketMs) of the newest slot written. */
  newest: number;
  /** [total, failed] per slot, ring-indexed by bucket index. */
  readonly counts: Uint32Array;
}

export function createRecentActivity(options: RecentActivityOptions = {}): KitTelemetry {
  const size = options.buckets ?? 24;
  const bucketMs = options.bucketMs ?? 60 * 60 * 1000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const callbacks = new Map<string, Series>();
  const crmCalls = new Map<string, Series>();

  const count = (map: Map<string, Series>, key: string, failed: boolean) => {
    const bucket = Math.floor(now() / bucketMs);
    let series = map.get(key);
    if (!series) {
      series = { newest: bucket, counts: new Uint32Array(size * 2) };
      if (map.size >= maxKeys) map.delete(map.keys().next().value as string);
      map.set(key, series);
    } else if (series.newest !== bucket) {
      // Moved to the end once per bucket, not per call: the Map's order is then "least recently active bucket
      // first", which is what eviction needs, at a fraction of the cost.
      map.delete(key);
      map.set(key, series);
      advance(series, bucket);
    }
    const slot = (bucket % size) * 2;
    series.counts[slot] = (series.counts[slot] ?? 0) + 1;
    if (failed) series.counts[slot + 1] = (series.counts[slot + 1] ?? 0) + 1;
  };

  /** Clears the slots between the newest written bucket and `bucket`, which they no longer describe. */
  const advance = (series: Series, bucket: number) => {
    if (bucket <= series.newest) return;
    for (let b = series.newest + 1; b <= Math.min(bucket, series.newest + size); b += 1) {
      series.counts[(b % size) * 2] = 0;
      series.counts[(b % size) * 2 + 1] = 0;
    }
    series.newest = bucket;
  };

  const read = (series: Series | undefined, bucket: number) => {
    const out: { total: number; failed: number }[] = [];
    for (let b = bucket - size + 1; b <= bucket; b += 1) {
      const inRange = series !== undefined && b <= series.newest && b > series.newest - size;
      out.push(inRange ? { total: series.counts[(b % size) * 2] ?? 0, failed: series.counts[(b % size) * 2 + 1] ?? 0 } : { total: 0, failed: 0 });
    }
    return out;
  };

  return Object.freeze({
    ...quietTelemetry,
    callbackServed(e: CallbackServed) {
      if (e.connectionId) count(callbacks, e.connectionId, e.status >= 400);
    },
    crmCallFinished(e: CrmCallFinished) {
      count(crmCalls, e.accountUrl, e.error !== undefined || (e.status ?? 0) >= 400);
    },
    recentActivity(connection: { readonly id: string; readonly accountUrl: string }): RecentActivity {
      const bucket = Math.floor(now() / bucketMs);
      return {
        bucketMs,
        endsAt: (bucket + 1) * bucketMs,
        callbacks: read(callbacks.get(connection.id), bucket),
        crmCalls: read(crmCalls.get(connection.accountUrl), bucket),
      };
    },
  });
}
