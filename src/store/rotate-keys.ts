/**
 * Key rotation: re-seals every row not sealed by the keyring's sealing key, without downtime.
 * @see docs/store.md ("Rotating keys")
 * @module
 */
import type { Kysely } from 'kysely';
import { SealBrokenError } from '../errors.js';
import type { Keyring } from './keyring.js';
import { classifyStoreError, KyselyConnectionStore, openSettings } from './kysely-connection-store.js';
import type { StoreDatabase } from './schema.js';
import { createSealer } from './seal.js';

export interface RotateKeysOptions {
  /** Rows read per batch; default 500. */
  readonly batchSize?: number;
  /** Called after each batch with the running totals. */
  readonly onProgress?: (progress: RotateKeysResult) => void;
}

export interface RotateKeysResult {
  /** Rows examined (not already sealed by the sealing key). */
  readonly scanned: number;
  /** Rows re-sealed by this run. */
  readonly resealed: number;
  /**
   * Rows changed by someone else between read and write and left for the next run (usually they were re-sealed
   * by that write already). Run again until `skipped` and `failed` are 0.
   */
  readonly skipped: number;
  /** Ids of rows whose seal could not be opened with this keyring (their key is missing, or they are damaged). */
  readonly failed: readonly string[];
  /** Rows sealed by the sealing key after the run (including ones that already were). */
  readonly current: number;
  readonly sealingKeyId: string;
}

/**
 * Re-seals, with `keyring`'s sealing key (its last key), every connection sealed by another key, and re-keys its
 * clientId lookup hash. Each row is its own single-statement update guarded by its old sealed values, so the store
 * stays online, concurrent writes are never overwritten, and the run can be stopped and repeated at any time.
 * Rows are read in id order, in batches.
 * @example
 * const result = await rotateKeys(store, parseKeyring(process.env.MODULE_SECRET_KEYS!));
 */
export async function rotateKeys(
  target: KyselyConnectionStore | Kysely<StoreDatabase>,
  keyring: Keyring,
  options: RotateKeysOptions = {},
): Promise<RotateKeysResult> {
  const db = target instanceof KyselyConnectionStore ? target.db : target;
  const sealer = createSealer(keyring);
  const newKeyId = sealer.sealingKeyId;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  let scanned = 0;
  let resealed = 0;
  let skipped = 0;
  const failed: string[] = [];
  let lastId = '';
  const totals = async (): Promise<RotateKeysResult> => {
    const row = await db
      .selectFrom('rcmk_connections')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('key_id', '=', newKeyId)
      .executeTakeFirstOrThrow();
    return Object.freeze({ scanned, resealed, skipped, failed: Object.freeze([...failed]), current: Number(row.n), sealingKeyId: newKeyId });
  };

  try {
    for (;;) {
      const rows = await db
        .selectFrom('rcmk_connections')
        .select(['id', 'key_id', 'client_id_sealed', 'api_key_sealed', 'client_id_hash', 'staged_api_key_sealed', 'settings', 'staged_settings'])
        // Settings written by a process still on the old keyring may carry the old key under a current key_id.
        .where((eb) =>
          eb.or([
            eb('key_id', '<>', newKeyId),
            eb('settings', 'not like', `v1.${newKeyId}.%`),
            eb.and([eb('staged_settings', 'is not', null), eb('staged_settings', 'not like', `v1.${newKeyId}.%`)]),
          ]),
        )
        .where('id', '>', lastId)
        .orderBy('id')
        .limit(batchSize)
        .execute();
      if (rows.length === 0) break;
      lastId = (rows[rows.length - 1] as (typeof rows)[number]).id;
      for (const row of rows) {
        scanned += 1;
        let clientId: string;
        let apiKey: string;
        let stagedApiKey: string | null;
        let settings: Record<string, unknown>;
        let stagedSettings: Record<string, unknown> | null;
        try {
          clientId = sealer.open(row.client_id_sealed, row.id, 'clientId');
          apiKey = sealer.open(row.api_key_sealed, row.id, 'apiKey');
          stagedApiKey = row.staged_api_key_sealed === null ? null : sealer.open(row.staged_api_key_sealed, row.id, 'stagedApiKey');
          settings = openSettings(sealer, row.id, row.settings);
          stagedSettings = row.staged_settings === null ? null : openSettings(sealer, row.id, row.staged_settings, 'stagedSettings');
        } catch (error) {
          if (!(error instanceof SealBrokenError)) throw error;
          failed.push(row.id);
          continue;
        }
        const result = await db
          .updateTable('rcmk_connections')
          .set({
            client_id_hash: sealer.lookupHash(clientId),
            client_id_sealed: sealer.seal(clientId, row.id, 'clientId'),
            api_key_sealed: sealer.seal(apiKey, row.id, 'apiKey'),
            staged_api_key_sealed: stagedApiKey === null ? null : sealer.seal(stagedApiKey, row.id, 'stagedApiKey'),
            settings: sealer.seal(JSON.stringify(settings), row.id, 'settings'),
            staged_settings: stagedSettings === null ? null : sealer.seal(JSON.stringify(stagedSettings), row.id, 'stagedSettings'),
            key_id: newKeyId,
          })
          // The version is left alone: rotation changes no data, so it must not make a user's edit conflict.
          // Guarding on the old sealed values means a concurrent key change is never overwritten.
          .where('id', '=', row.id)
          .where('key_id', '=', row.key_id)
          .where('client_id_sealed', '=', row.client_id_sealed)
          .where('api_key_sealed', '=', row.api_key_sealed)
          .where((eb) =>
            row.staged_api_key_sealed === null ? eb('staged_api_key_sealed', 'is', null) : eb('staged_api_key_sealed', '=', row.staged_api_key_sealed),
          )
          .where('settings', '=', row.settings)
          .where((eb) => (row.staged_settings === null ? eb('staged_settings', 'is', null) : eb('staged_settings', '=', row.staged_settings)))
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) resealed += 1;
        else skipped += 1;
      }
      if (options.onProgress) options.onProgress(await totals());
    }
    return await totals();
  } catch (error) {
    throw classifyStoreError(error);
  }
}
