/**
 * The CRM client of a connection, opened on first use: a hook or callback that never calls the CRM costs no
 * decryption of the API key (the activity callback's hot path stays as it is).
 * @module
 */
import type { AccountUrl, CrmClient } from '../crm/types.js';
import type { Connection } from '../store/types.js';
import type { ConnectKit } from './kit.js';

/** Adds a lazily opened `crm` to `context`. */
export function withConnectionCrm<T extends object>(
  kit: Pick<ConnectKit, 'openCrm'>,
  connection: Pick<Connection, 'accountUrl' | 'apiKey'>,
  context: T,
): T & { readonly crm: CrmClient } {
  let crm: CrmClient | undefined;
  return Object.defineProperty({ ...context }, 'crm', {
    enumerable: true,
    get: () => (crm ??= kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey)),
  }) as T & { readonly crm: CrmClient };
}
