/**
 * One registration at a time per account: the flows that send `edit` for a connection (connect, re-connect,
 * settings that re-register, disconnect, reconciliation) take this lock first, so the store and the CRM see their
 * writes in the same order. Without it, two connects of one account could reach the CRM in one order and the
 * store in the other, and each side would keep a different winner.
 *
 * In-process only: instances sharing a database are kept apart by the stage token instead (an attempt whose stage
 * was replaced by another's does not commit; docs/connect-flow.md).
 * @module
 */
import type { ConnectionStore } from '../store/types.js';

/** Runs `work` after every earlier `work` of the same key has settled. */
export interface KeyedLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Keys with work running or queued (tests). */
  readonly size: () => number;
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<void>>();
  return {
    size: () => tails.size,
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      try {
        return await work();
      } finally {
        release();
        // Forget the key when nobody queued behind us, so memory follows the accounts being connected right now.
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}

const locks = new WeakMap<ConnectionStore, KeyedLock>();

/** The lock of one store: kits sharing a store (several modules, tests) share it. */
export function registrationLock(store: ConnectionStore): KeyedLock {
  let lock = locks.get(store);
  if (!lock) {
    lock = createKeyedLock();
    locks.set(store, lock);
  }
  return lock;
}

/** The lock key of a module's connection in an account. */
export function accountKey(moduleCode: string, accountUrl: string): string {
  return `${moduleCode}\n${accountUrl}`;
}
