/**
 * Optimistic updates with a bounded retry: callbacks and people may change one connection at the same moment.
 */
import { ErrorCode, isKitError } from '../errors.js';
import type { Connection, ConnectionPatch, ConnectionStore, NewEvent } from '../store/types.js';

export interface Change {
  readonly patch: ConnectionPatch;
  readonly events?: readonly NewEvent[];
}

/**
 * Re-reads the connection and re-applies `change` when another writer got there first. `change` sees the
 * current row and may return `undefined` for "nothing to do". Gives up (rethrowing the conflict) after
 * `attempts` tries, so a hot row cannot spin forever.
 */
export async function updateConnection(
  store: ConnectionStore,
  current: Connection,
  change: (connection: Connection) => Change | undefined,
  attempts = 4,
): Promise<Connection> {
  let connection = current;
  for (let attempt = 1; ; attempt++) {
    const next = change(connection);
    if (!next) return connection;
    try {
      return await store.update(connection.id, connection.version, next.patch, next.events);
    } catch (error) {
      if (!(isKitError(error) && error.code === ErrorCode.StoreConflict) || attempt >= attempts) throw error;
      const fresh = await store.findById(connection.id);
      if (!fresh) throw error;
      connection = fresh;
    }
  }
}
