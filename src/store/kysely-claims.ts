/**
 * `claimOnce` for the Kysely store, kept apart from the connection queries. One statement decides: an insert that
 * does nothing on conflict, so two processes racing for one claim get exactly one `true`.
 * @module
 */
import type { Kysely } from 'kysely';
import type { StoreDatabase } from './schema.js';

export async function claimOnce(db: Kysely<StoreDatabase>, claim: string, now: Date, expiresAt?: Date): Promise<boolean> {
  const at = now.toISOString();
  // Expired claims are dead weight: what they guarded (a ticket, say) is refused for its age before any claim.
  await db.deleteFrom('rcmk_claims').where('expires_at', '<', at).execute();
  const inserted = await db
    .insertInto('rcmk_claims')
    .values({ claim, claimed_at: at, expires_at: expiresAt ? expiresAt.toISOString() : null })
    .onConflict((oc) => oc.column('claim').doNothing())
    .returning('claim')
    .executeTakeFirst();
  return inserted !== undefined;
}
