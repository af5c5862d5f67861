/**
 * How the CRM's `active` / `freeze` flags map onto a connection's state.
 */
import type { Activity } from '../protocol/index.js';
import type { ConnectionState } from '../store/types.js';

/** Frozen wins over inactive: a frozen module is shown as frozen whatever its switch says. */
export function stateFromActivity(activity: Activity): ConnectionState {
  if (activity.freeze) return 'frozen';
  return activity.active ? 'active' : 'inactive';
}
