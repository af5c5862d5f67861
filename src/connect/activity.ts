/**
 * The activity callback: the CRM says the module was switched on or off, frozen or unfrozen (PROTOCOL §11.1).
 * A hot path: one lookup, at most one write, nothing else awaited before the answer but the store.
 */
import type { AccountUrl } from '../crm/types.js';
import { type Activity, ActivityCallbackForm } from '../protocol/index.js';
import type { Connection, ConnectionState, NewEvent } from '../store/types.js';
import { type ConnectKit, findOwnByClientId } from './kit.js';
import { stateFromActivity } from './state.js';
import { updateConnection } from './update-connection.js';
import { withConnectionCrm } from './connection-crm.js';

export type CallbackOutcome =
  | { readonly status: 200; readonly body: { readonly success: true }; readonly connectionId?: string }
  | { readonly status: 400 | 404; readonly body: { readonly success: false; readonly errorMsg: string } };

const SUCCESS = Object.freeze({ success: true } as const);

/** Applies one activity callback. Repeating an identical callback changes nothing. */
export async function handleActivityCallback(kit: ConnectKit, form: unknown): Promise<CallbackOutcome> {
  const parsed = ActivityCallbackForm.safeParse(form);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? 'body')))];
    return { status: 400, body: { success: false, errorMsg: `Invalid or missing fields: ${fields.join(', ')}` } };
  }
  const { clientId, activity, systemUrl } = parsed.data;
  const connection = await findOwnByClientId(kit, clientId);
  if (!connection) return { status: 404, body: { success: false, errorMsg: 'Unknown clientId' } };

  const previous: Activity = { active: connection.active, freeze: connection.freeze };
  // The CRM mostly repeats what the connection holds, at its usual address: that answer awaits nothing more.
  const movedTo = claimsMove(connection, systemUrl) ? await accountMove(kit, connection, systemUrl) : undefined;
  const updated =
    !movedTo && !activityChange(connection, activity)
      ? connection
      : await updateConnection(kit.store, connection, (current) => {
          const change = activityChange(current, activity);
          const move = movedTo && movedTo !== current.accountUrl ? movedTo : undefined;
          if (!change && !move) return undefined;
          const events: NewEvent[] = change ? [change.event] : [];
          if (move) events.push({ type: 'account_url_changed', details: { from: current.accountUrl, to: move } });
          return { patch: { ...change?.patch, ...(move ? { accountUrl: move } : {}) }, events };
        });

  // The hook hears of real changes of the CRM's flags only, not of repeats or of a state kept by the module.
  const flagsChanged = previous.active !== activity.active || previous.freeze !== activity.freeze;
  if (flagsChanged && kit.module.hooks.onActivityChanged) {
    try {
      await kit.module.hooks.onActivityChanged(withConnectionCrm(kit, updated, { connection: updated, previous, activity }));
    } catch (error) {
      // The CRM's state is recorded either way; a failing hook is the module's bug to see in its logs.
      kit.logger.error({ err: error, connectionId: updated.id }, 'onActivityChanged failed');
    }
  }
  return { status: 200, body: SUCCESS, connectionId: updated.id };
}

/** The state a connection takes from the CRM's flags, where the module's own knowledge does not override them. */
function stateFor(connection: Connection, activity: Activity): ConnectionState {
  // Only a completed registration takes a connection out of `pending` (the connect flow, a reconciliation, saving
  // the settings a simple connection lacked): a callback proves the CRM holds the module, not that the module set
  // itself up (onConnected) nor that it has the settings it requires. The flags are recorded all the same.
  if (connection.state === 'pending') return 'pending';
  // Disconnected by the person stays so until the CRM switches the module on again.
  if (connection.state === 'disconnected' && !activity.active) return 'disconnected';
  return stateFromActivity(activity);
}

function activityChange(connection: Connection, activity: Activity) {
  const state = stateFor(connection, activity);
  if (connection.active === activity.active && connection.freeze === activity.freeze && connection.state === state)
    return undefined;
  const event: NewEvent = {
    type: 'activity_changed',
    details: { active: activity.active, freeze: activity.freeze, from: connection.state, to: state },
  };
  return { patch: { active: activity.active, freeze: activity.freeze, state }, event };
}

/**
 * The CRM reports its current address; adopt it when it moved (PROTOCOL §15), passes the URL policy, no other
 * connection of this module holds it, and **the account at the stored address confirms it**: its
 * `GET /api/system-info` reports the new address as its `publicUrl` or `technicalUrl`. The callback is
 * authenticated by clientId alone, and adopting blindly would send the API key to whatever host the caller named.
 * An unconfirmed claim is recorded once (`account_url_claimed`) and shown on the settings page; the activity
 * change itself is recorded either way.
 */
/** Whether the callback names an address other than the stored one (then {@link accountMove} looks into it). */
function claimsMove(connection: Connection, systemUrl: string | undefined): systemUrl is string {
  return !!systemUrl && systemUrl.replace(/\/+$/, '') !== connection.accountUrl;
}

async function accountMove(kit: ConnectKit, connection: Connection, systemUrl: string): Promise<string | undefined> {
  const check = kit.checkAccountUrl(systemUrl);
  if (!check.ok) {
    kit.logger.warn({ connectionId: connection.id, reason: check.reason }, 'activity callback: systemUrl refused by the URL policy');
    return undefined;
  }
  if (check.url === connection.accountUrl) return undefined;
  const holder = await kit.store.findByAccount(check.url, kit.module.code);
  if (holder && holder.id !== connection.id) {
    kit.logger.warn({ connectionId: connection.id, holder: holder.id }, 'activity callback: systemUrl belongs to another connection; not adopted');
    return undefined;
  }
  if (await confirmedByAccount(kit, connection, check.url)) return check.url;
  kit.logger.warn({ connectionId: connection.id, claimed: check.url }, 'activity callback: a new systemUrl the account does not confirm; not adopted');
  try {
    // Once per claim: the newest address event of the connection says whether this one is already recorded.
    const latest = (await kit.store.listEvents(connection.id, 50)).find((e) => e.type === 'account_url_claimed' || e.type === 'account_url_changed');
    if (!(latest?.type === 'account_url_claimed' && latest.details.to === check.url))
      await kit.store.appendEvent(connection.id, { type: 'account_url_claimed', details: { from: connection.accountUrl, to: check.url } });
  } catch (error) {
    kit.logger.error({ err: error, connectionId: connection.id }, 'could not record an account address claim');
  }
  return undefined;
}

/** True when `GET /api/system-info` at the stored address names `url` as the account's address. */
async function confirmedByAccount(kit: ConnectKit, connection: Connection, url: string): Promise<boolean> {
  try {
    const info = await kit.openCrm(connection.accountUrl as AccountUrl, connection.apiKey).systemInfo();
    return [info.publicUrl, info.technicalUrl].some((reported) => {
      if (!reported) return false;
      const normalized = kit.checkAccountUrl(reported);
      return normalized.ok && normalized.url === url;
    });
  } catch (error) {
    kit.logger.warn({ err: error, connectionId: connection.id }, 'activity callback: system-info at the stored address did not answer');
    return false;
  }
}
