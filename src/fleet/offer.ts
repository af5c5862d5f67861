/**
 * At start: when connections are registered with an older payload than the one this code sends, say so once
 * and name the command that fixes it. Runs in the background; a failure only logs.
 * @module
 */
import type { Kysely } from 'kysely';
import type { ConnectKit } from '../connect/kit.js';
import { FleetStore } from './fleet-store.js';
import { planReregistration } from './reregister.js';

interface OfferLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

export function offerReregistration(kit: Pick<ConnectKit, 'module' | 'store'>, db: Kysely<any>, log: OfferLogger): void {
  planReregistration(kit, new FleetStore(db))
    .then(({ pending, upToDate }) => {
      if (pending.length > 0)
        log.warn(
          { outdated: pending.length, upToDate },
          `${pending.length} connection(s) are registered with an older registration payload; run "retailcrm-module-kit fleet reregister --module <file>" to update them`,
        );
    })
    .catch(() => undefined);
}
