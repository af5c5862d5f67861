/**
 * Telling an account's administrators something: `POST /api/v5/notifications/send` (PROTOCOL-INTEGRATIONS
 * §24.8), form field `notification` = JSON `{type, message, userGroups}`. Sent through the CRM transport (same
 * rate limit, same guards) until the typed client method lands; then only this adapter changes.
 * @module
 */
import type { CrmTransport } from '../crm/transport.js';
import type { AccountUrl } from '../crm/types.js';
import type { Connection } from '../store/types.js';

export interface AdminNotification {
  readonly type: 'api.info' | 'api.error';
  /** Plain text (the CRM accepts HTML; we send none, so nothing needs escaping). */
  readonly message: string;
}

export type AdminNotifier = (connection: Connection, notification: AdminNotification) => Promise<void>;

export const NOTIFICATIONS_SEND_PATH = '/api/v5/notifications/send';

/** Notifies the account's super-administrators; rejects when the CRM does not answer `success: true`. */
export function transportNotifier(transport: CrmTransport): AdminNotifier {
  return async (connection, notification) => {
    const response = await transport.request({
      accountUrl: connection.accountUrl as AccountUrl,
      method: 'POST',
      path: NOTIFICATIONS_SEND_PATH,
      apiKey: connection.apiKey,
      form: { notification: JSON.stringify({ type: notification.type, message: notification.message, userGroups: ['superadmins'] }) },
    });
    let ok = false;
    try {
      ok = response.status < 300 && (JSON.parse(response.body) as { success?: unknown }).success === true;
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`notifications/send answered HTTP ${response.status}`);
  };
}
