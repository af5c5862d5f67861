/**
 * Rows of the direct SQLite path's single-row reads (a connection by lookup hash or by id), remembered until the
 * database changes. Every read first asks SQLite for two counters, in one statement cheaper than the row's read:
 * `total_changes()` (rows this connection inserted, updated or deleted, whoever in the process did it) and
 * `data_version` (bumped when another connection, in this process or another, commits). While both are unchanged,
 * no row can have changed, and the remembered row is the one the read would return. The counters are read before
 * the row, so a commit landing in between leaves the entry older than its row, never the reverse: the next read
 * misses and reads again.
 *
 * What it keeps: the rows as stored, secrets still sealed (nothing is opened here; the plaintext cache is the
 * opt-in `openCacheSize`, docs/store.md), at most {@link ROW_CACHE_SIZE} per statement, each from its second read.
 * Any write anywhere in the database empties it in effect, so it pays on read-mostly traffic (repeated callbacks of
 * the same accounts) and would only cost on write-heavy traffic (a write before every read): while fewer than a
 * quarter of reads hit, it steps aside and only 1 read in 16 goes through it, to notice when hits come back.
 * @module
 */
import type { Database, Statement } from 'better-sqlite3';
import { HitRate } from './hit-rate.js';

export const ROW_CACHE_SIZE = 1000;

interface Entry {
  readonly changes: number;
  readonly version: number;
  readonly row: Readonly<Record<string, unknown>>;
}

export interface RowCache {
  /** The row `load` reads for `key`, or the remembered one while the database is unchanged. */
  read(key: string, load: () => Record<string, unknown> | undefined): Readonly<Record<string, unknown>> | undefined;
}

/** A cache for one read statement of `raw`. */
export function createRowCache(raw: Database): RowCache {
  const counters: Statement = raw.prepare('select total_changes(), data_version from pragma_data_version').raw(true);
  const entries = new Map<string, Entry>();
  // Keys read once recently: a row is kept on its key's second read only, so traffic spread over more rows than
  // fit (each read once) keeps none, instead of filling the heap with rows that die after promotion (RSS +35 %
  // in bench/store.ts's 100,000-connection run when every row read was kept).
  const seen = new Set<string>();
  const rate = new HitRate(1024);
  let bypassed = 0;
  return {
    read(key, load) {
      // Judged on 64 reads at least: a cold cache misses at first whatever the traffic.
      if (rate.lookups >= 64 && !rate.atLeast(0.25) && (++bypassed & 15) !== 0) return load();
      const [changes, version] = counters.get() as [number, number];
      const hit = entries.get(key);
      if (hit !== undefined && hit.changes === changes && hit.version === version) {
        rate.count(true);
        return hit.row;
      }
      rate.count(false);
      const row = load();
      // Only rows found are kept: unknown keys (a probe with made-up clientIds) cannot push the real ones out.
      if (row === undefined) {
        entries.delete(key);
        return undefined;
      }
      if (!entries.has(key)) {
        if (!seen.has(key)) {
          if (seen.size >= ROW_CACHE_SIZE) seen.clear();
          seen.add(key);
          return row;
        }
        seen.delete(key);
        if (entries.size >= ROW_CACHE_SIZE) entries.delete(entries.keys().next().value as string);
      }
      const frozen = Object.freeze(row);
      entries.set(key, { changes, version, row: frozen });
      return frozen;
    },
  };
}
