/**
 * Whether a SQLite database may have changed since a moment, cheaply enough to ask before every cached read
 * (sqlite-row-cache.ts). Two sources:
 * - **writes from this process**, counted exactly: the store's statements go through `noteWrite` (open-connection-
 *   store.ts wraps every statement that writes, and every commit), and every store of the process on the same file
 *   shares one count, so a second store's write is seen at once too;
 * - **commits by other processes** (the CLI, a second instance on the file): SQLite's `data_version`, with
 *   `total_changes()` as a backstop for a write on this connection that bypassed the wrapper. Asking costs a
 *   statement (SQLite takes its read lock for it, two syscalls), about what the cached read spares, so it is asked
 *   at most once per {@link FOREIGN_CHECK_MS}: another process's commit is seen within that time.
 * @module
 */
import { resolve } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';

/** How stale a read may be for a commit made by another process (docs/store.md, "The row cache"). */
export const FOREIGN_CHECK_MS = 1;

export interface ChangeWatch {
  /** Writes this process made to the file, so far. */
  readonly writes: number;
  /** Changes SQLite reports (other connections' commits, writes on this connection), as of at most {@link FOREIGN_CHECK_MS} ago. */
  foreign(): number;
  /** Called after every statement of this process that writes to the file, and after every commit. */
  noteWrite(): void;
  /** Forget the shared count when the last store of the process on the file closes. */
  close(): void;
}

interface SharedCount {
  writes: number;
  users: number;
}

// Per file, for every store of this process on it ('' for a private in-memory database).
const counts = new Map<string, SharedCount>();

/** `checkMs`: how often SQLite is asked; tests pass their own. */
export function watchChanges(raw: Database, file: string, checkMs = FOREIGN_CHECK_MS): ChangeWatch {
  const key = file === ':memory:' || file === '' ? undefined : resolve(file);
  const shared = (key === undefined ? undefined : counts.get(key)) ?? { writes: 0, users: 0 };
  if (key !== undefined) counts.set(key, shared);
  shared.users += 1;
  const counters: Statement = raw.prepare('select total_changes(), data_version from pragma_data_version').raw(true);
  let foreign = 0;
  let lastChanges = -1;
  let lastVersion = -1;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return {
    get writes() {
      return shared.writes;
    },
    foreign() {
      const now = performance.now();
      if (now - checkedAt >= checkMs) {
        checkedAt = now;
        const [changes, version] = counters.get() as [number, number];
        if (changes !== lastChanges || version !== lastVersion) {
          lastChanges = changes;
          lastVersion = version;
          foreign += 1;
        }
      }
      return foreign;
    },
    noteWrite() {
      shared.writes += 1;
    },
    close() {
      shared.users -= 1;
      if (key !== undefined && shared.users === 0) counts.delete(key);
    },
  };
}
