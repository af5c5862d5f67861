/**
 * The narrow seam between the job runner and a queue engine (STYLE B8): enqueue one item per connection, run
 * items with bounded concurrency, retry a failed item with backoff, hand over the last failure. Two engines
 * implement it — pg-boss 10 on PostgreSQL, a table-backed loop in process on SQLite — and one conformance
 * battery (`runner.test.ts`) runs on both.
 * @module
 */
import type { JobDefinition } from './define.js';

/** The whole queue payload (B6): which job, which connection, which tick. Parsed when the item runs. */
export interface QueueItem {
  readonly job: string;
  readonly connectionId: string;
  readonly slot: string;
}

export interface ItemRun extends QueueItem {
  /** 1 for the first try. */
  readonly attempt: number;
  /** No retry follows if this try fails. */
  readonly final: boolean;
}

/** Runs one item; a rejection means "failed" and the backend retries or gives up by the job's policy. */
export type ItemHandler = (run: ItemRun) => Promise<void>;

export interface JobBackend {
  readonly kind: 'pg-boss' | 'in-process';
  start(jobs: readonly JobDefinition[], handle: ItemHandler): Promise<void>;
  /**
   * Queues one item per connection, skipping a connection whose job already waits (one waiting and one running
   * per connection and job, enforced by the database).
   */
  enqueue(job: string, items: readonly QueueItem[]): Promise<void>;
  /** Stops taking items and waits up to `timeoutMs` for runs in progress (the runner aborts them first). */
  stop(timeoutMs: number): Promise<void>;
}

export const PAYLOAD_KEYS = ['job', 'connectionId', 'slot'] as const;

/** Reads a payload from the queue (G1: written by another version or by hand, so checked, never cast). */
export function parseQueueItem(data: unknown): QueueItem | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  if (!PAYLOAD_KEYS.every((key) => typeof record[key] === 'string' && record[key] !== '')) return undefined;
  return { job: record.job as string, connectionId: record.connectionId as string, slot: record.slot as string };
}
