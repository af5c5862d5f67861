/**
 * The example's actual job: read the orders created in its store since the last run, through the CRM's order
 * history and a cursor kept per connection, and remember the last ones synced (shown on the settings page).
 *
 * The ledger is in memory to keep the example short; a real module keeps the cursor in its own database, next to
 * what it sent to the partner, and saves it after each batch (a crash then repeats at most one batch).
 */
import { ErrorCode, isKitError, type Connection, type CrmClient, type ErrorParams, type HistoryCursor } from 'retailcrm-module-kit';

export interface SyncedOrder {
  readonly id: number;
  readonly number: string;
  readonly status: string;
  readonly total: number;
  readonly customer: string;
  readonly syncedAt: string;
}

export interface SyncState {
  readonly cursor: HistoryCursor;
  /** Newest first, at most {@link KEEP}. */
  readonly orders: readonly SyncedOrder[];
  readonly lastRunAt?: string;
  readonly lastAdded?: number;
  /** Set when the last run failed (shown to the person); cleared by the next good run. */
  readonly lastError?: { readonly code: ErrorCode; readonly params: ErrorParams };
}

const KEEP = 20;
const EMPTY: SyncState = Object.freeze({ cursor: { sinceId: 0 }, orders: [] });

/** Per-connection sync state of one module process. */
export class SyncLedger {
  readonly #states = new Map<string, SyncState>();
  /** Runs in progress, so two clicks on "Sync now" do not read the same batch twice. */
  readonly #running = new Map<string, Promise<SyncState>>();

  get(connectionId: string): SyncState {
    return this.#states.get(connectionId) ?? EMPTY;
  }

  /** Starts a connection's sync at the newest history entry, unless it has a cursor already (a re-connect keeps it). */
  async startAtLatest(connection: Connection, crm: CrmClient): Promise<void> {
    if (this.#states.has(connection.id)) return;
    this.#states.set(connection.id, { cursor: await crm.orders.latestHistoryCursor(), orders: [] });
  }

  /** Syncs one connection; a second call while one runs waits for it instead of starting another. */
  run(connection: Connection, crm: CrmClient): Promise<SyncState> {
    const running = this.#running.get(connection.id);
    if (running) return running;
    const run = syncNewOrders(crm, connection.settings as unknown as OrderSyncSettings, this.get(connection.id), (state) => this.#states.set(connection.id, state))
      .finally(() => this.#running.delete(connection.id));
    this.#running.set(connection.id, run);
    return run;
  }
}

export interface OrderSyncSettings {
  readonly siteCode: string;
  readonly includeCancelled?: boolean;
}

/**
 * One run: every history batch after the cursor; orders created in the connection's store are "synced" (a real
 * module would send them to its partner here), and the cursor is saved after each batch.
 */
export async function syncNewOrders(
  crm: CrmClient,
  settings: OrderSyncSettings,
  start: SyncState,
  save: (state: SyncState) => void,
): Promise<SyncState> {
  let state: SyncState = start;
  let added = 0;
  try {
    for await (const batch of crm.orders.historyFrom(start.cursor, { limit: 100 })) {
      const fresh: SyncedOrder[] = [];
      for (const entry of batch.entries) {
        if (entry.created !== true || entry.order.site !== settings.siteCode) continue;
        const order = entry.order as Record<string, unknown>;
        const status = String(order.status ?? '');
        if (!settings.includeCancelled && status.startsWith('cancel')) continue;
        fresh.unshift({
          id: entry.order.id,
          number: String(order.number ?? entry.order.id),
          status,
          total: Number(order.totalSumm ?? 0),
          customer: [order.firstName, order.lastName].filter((part) => typeof part === 'string' && part !== '').join(' '),
          syncedAt: new Date().toISOString(),
        });
      }
      added += fresh.length;
      state = { ...state, cursor: batch.cursor, orders: [...fresh, ...state.orders].slice(0, KEEP) };
      save(state);
    }
    state = { cursor: state.cursor, orders: state.orders, lastRunAt: new Date().toISOString(), lastAdded: added };
  } catch (error) {
    // What was read before the failure stays synced; the message is for the person on the settings page.
    state = { ...state, lastRunAt: new Date().toISOString(), lastAdded: added, lastError: isKitError(error) ? { code: error.code, params: error.params } : { code: ErrorCode.Internal, params: {} } };
  }
  save(state);
  return state;
}
