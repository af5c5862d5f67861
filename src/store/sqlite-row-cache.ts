/**
 * Rows of the direct SQLite path's single-row reads (a connection by lookup hash or by id), remembered until the
 * database changes. Each entry carries the two change counters of a {@link ChangeWatch} (sqlite-changes.ts) as
 * they were before its row was read: this process's writes to the file, counted exactly, and what SQLite reports
 * of other processes' commits, asked at most once a millisecond. While both are unchanged, no row can have changed
 * (another process's commit: none older than that millisecond), and the remembered row is the one the read would
 * return. The counters are taken before the row, so a write landing in between leaves the entry older than its row,
 * never the reverse: the next read misses and reads again.
 *
 * What it keeps: the rows as stored, secrets still sealed (nothing is opened here; the plaintext cache is the
 * opt-in `openCacheSize`, docs/store.md), at most {@link ROW_CACHE_SIZE} per statement, each from its second read.
 * Any write anywhere in the database empties it in effect, so it pays on read-mostly traffic (repeated callbacks of
 * the same accounts) and would only cost on write-heavy traffic (a write before every read): while fewer than a
 * quarter of reads hit, it steps aside and only 1 read in 16 goes through it, to notice when hits come back.
 * @module
 */
import { HitRate } from './hit-rate.js';
import type { ChangeWatch } from './sqlite-changes.js';

export const ROW_CACHE_SIZE = 1000;

interface Entry {
  readonly writes: number;
  readonly foreign: number;
  readonly row: Readonly<Record<string, unknown>>;
}

export interface RowCache {
  /** The row `load` reads for `key`, or the remembered one while the database is unchanged. */
  read(key: string, load: () => Record<string, unknown> | undefined): Readonly<Record<string, unknown>> | undefined;
}

/** A cache for one read statement of the database `changes` watches. */
export function createRowCache(changes: ChangeWatch): RowCache {
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
      const writes = changes.writes;
      const foreign = changes.foreign();
      const hit = entries.get(key);
      if (hit !== undefined && hit.writes === writes && hit.foreign === foreign) {
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
      entries.set(key, { writes, foreign, row: frozen });
      return frozen;
    },
  };
}
