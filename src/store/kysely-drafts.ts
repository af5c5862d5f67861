/**
 * Connect drafts on Kysely (migration 020): save sealed, take once. Taking deletes the row in the same statement
 * (`DELETE … RETURNING`, on SQLite ≥ 3.35 and PostgreSQL), so two tabs racing for one draft cannot both get it.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';
import type { Sealer } from './seal.js';
import type { ConnectDraft, NewConnectDraft } from './types.js';

/** The sealing row id of a draft: distinct from every connection id, so a draft's seal opens nowhere else. */
const rowIdOf = (id: string) => `draft:${id}`;

export async function saveDraft(db: Kysely<StoreDatabase>, sealer: Sealer, draft: NewConnectDraft, now: Date): Promise<string> {
  const id = randomBytes(24).toString('base64url');
  // Expired drafts go on the next save: nothing else reads them, and no job is needed.
  await db.deleteFrom('rcmk_connect_drafts').where('expires_at', '<=', now.toISOString()).execute();
  await db
    .insertInto('rcmk_connect_drafts')
    .values({
      id,
      binding_hash: draft.bindingHash,
      account_url: draft.accountUrl,
      api_key_sealed: sealer.seal(draft.apiKey, rowIdOf(id), 'apiKey'),
      secrets_sealed: draft.secrets && Object.keys(draft.secrets).length > 0 ? sealer.seal(JSON.stringify(draft.secrets), rowIdOf(id), 'settings') : null,
      created_at: now.toISOString(),
      expires_at: draft.expiresAt.toISOString(),
    })
    .execute();
  return id;
}

export async function takeDraft(
  db: Kysely<StoreDatabase>,
  sealer: Sealer,
  id: string,
  bindingHash: string,
  now: Date,
): Promise<ConnectDraft | undefined> {
  if (!id) return undefined;
  const row = await db.deleteFrom('rcmk_connect_drafts').where('id', '=', id).returningAll().executeTakeFirst();
  // Another session's draft is burnt, not handed over: whoever holds an id without its cookie gets nothing.
  if (!row || row.binding_hash !== bindingHash || row.expires_at <= now.toISOString()) return undefined;
  const secrets = row.secrets_sealed ? (JSON.parse(sealer.open(row.secrets_sealed, rowIdOf(id), 'settings')) as Record<string, string>) : {};
  return { accountUrl: row.account_url, apiKey: sealer.open(row.api_key_sealed, rowIdOf(id), 'apiKey'), secrets };
}
