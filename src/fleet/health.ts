/**
 * `fleet health`: reads back each connection's registration and marks what it finds —
 * - `removed`: the CRM has no module with our code, or has it switched off;
 * - `key_revoked`: the key answered 401/403 on `authFailuresToRevoke` checks in a row;
 * - `degraded`: more than `degradedAbove` of the last `window` checks failed (no answer, 5xx, timeouts). The
 *   account's administrators are told once per episode through `notifications/send`, in their language; the
 *   episode ends with the first check that brings the rate back under the threshold.
 * The settings page shows the mark to the person (`fleetPanel`).
 * @module
 */
import type { Kysely } from 'kysely';
import type { ConnectKit } from '../connect/kit.js';
import { localize } from '../connect/module-definition.js';
import { AccessDeniedError, ApiKeyInvalidError } from '../crm/errors.js';
import type { AccountUrl } from '../crm/types.js';
import { describeFailure } from '../jobs/runner.js';
import type { Connection } from '../store/types.js';
import { FleetStore, type FleetHealth } from './fleet-store.js';
import { fleetText, localeOfAccount } from './messages.js';
import type { AdminNotifier } from './notify.js';

export interface HealthOptions {
  readonly kit: Pick<ConnectKit, 'module' | 'store' | 'openCrm' | 'logger'>;
  readonly db: Kysely<any>;
  readonly notify: AdminNotifier;
  readonly concurrency?: number;
  /** Default 3. */
  readonly authFailuresToRevoke?: number;
  /** Checks remembered per connection. Default 10. */
  readonly window?: number;
  /** Default 0.5; and at least `minChecks` checks before anything is called degraded. */
  readonly degradedAbove?: number;
  readonly minChecks?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly now?: () => Date;
}

export interface HealthReport {
  readonly checked: number;
  readonly byHealth: Readonly<Record<FleetHealth, number>>;
  /** Connections whose administrators were notified by this check. */
  readonly notified: readonly string[];
}

const CHECKED: ReadonlySet<string> = new Set(['active', 'inactive', 'frozen']);

export async function checkFleetHealth(options: HealthOptions): Promise<HealthReport> {
  const { kit, notify } = options;
  const fleet = new FleetStore(options.db, options.now);
  const revokeAfter = options.authFailuresToRevoke ?? 3;
  const window = options.window ?? 10;
  const threshold = options.degradedAbove ?? 0.5;
  const minChecks = options.minChecks ?? 4;
  const known = await fleet.all();
  const connections = (await kit.store.list()).filter((c) => c.moduleCode === kit.module.code && CHECKED.has(c.state));
  const byHealth: Record<FleetHealth, number> = { ok: 0, removed: 0, key_revoked: 0, degraded: 0 };
  const notified: string[] = [];
  let done = 0;

  const checkOne = async (connection: Connection) => {
    const before = known.get(connection.id);
    let recent = before?.recent_checks ?? '';
    let authFailures = before?.auth_failures ?? 0;
    let health: FleetHealth = 'ok';
    let detail: string | null = null;
    try {
      const found = await kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey).findIntegrationModule(kit.module.code);
      authFailures = 0;
      recent = `${recent}0`.slice(-window);
      if (!found) [health, detail] = ['removed', 'the CRM has no module with this code'];
      else if (!found.active) [health, detail] = ['removed', 'the module is switched off in the CRM'];
    } catch (error) {
      detail = describeFailure(error, [connection.apiKey, connection.clientId]);
      if (error instanceof ApiKeyInvalidError || error instanceof AccessDeniedError) {
        authFailures += 1;
        // The key is a verdict, not an outage: it does not count towards the failure rate.
        if (authFailures >= revokeAfter) health = 'key_revoked';
      } else {
        recent = `${recent}1`.slice(-window);
      }
    }
    const failures = [...recent].filter((c) => c === '1').length;
    if (health === 'ok' && recent.length >= minChecks && failures / recent.length > threshold) health = 'degraded';
    await fleet.setHealth(connection.id, {
      health,
      health_detail: detail,
      auth_failures: authFailures,
      recent_checks: recent,
      // Leaving `degraded` ends the episode: the next one is notified again.
      ...(health !== 'degraded' && before?.notified_at ? { notified_at: null } : {}),
    });
    if (health === 'degraded' && (await fleet.claimNotification(connection.id))) {
      const locale = localeOfAccount(connection.accountUrl);
      const t = fleetText(locale);
      try {
        await notify(connection, {
          type: 'api.error',
          message: t.degradedNotice.replace('{module}', localize(kit.module.name, locale)).replace('{rate}', String(Math.round((failures / recent.length) * 100))),
        });
        notified.push(connection.id);
      } catch (error) {
        kit.logger.warn({ connectionId: connection.id, error: describeFailure(error, [connection.apiKey]) }, 'could not notify the account administrators');
      }
    }
    byHealth[health] += 1;
    options.onProgress?.(++done, connections.length);
  };

  let next = 0;
  const worker = async () => {
    while (next < connections.length) await checkOne(connections[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, connections.length) }, worker));
  return { checked: connections.length, byHealth, notified };
}
