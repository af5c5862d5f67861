/**
 * Keeps the registration hash current without touching the connect flows: a module's `onConnected` is wrapped so
 * that each completed connect records the hash of the payload it was just registered with.
 * @module
 */
import type { Kysely } from 'kysely';
import type { AnyModuleDefinition } from '../connect/module-definition.js';
import { FleetStore, payloadHash } from './fleet-store.js';

export function withRegistrationTracking<M extends AnyModuleDefinition>(module: M, db: Kysely<any>): M {
  const fleet = new FleetStore(db);
  const own = module.hooks.onConnected;
  return Object.freeze({
    ...module,
    hooks: Object.freeze({
      ...module.hooks,
      async onConnected(context: Parameters<NonNullable<AnyModuleDefinition['hooks']['onConnected']>>[0]) {
        await own?.call(module.hooks, context);
        // Bookkeeping only: a failure here must not fail the person's connect. An unknown hash just counts as
        // outdated, and the next `fleet reregister` sends it again.
        await fleet.registered(context.connection.id, payloadHash(module, context.connection)).catch(() => undefined);
      },
    }),
  });
}
