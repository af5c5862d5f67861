/**
 * The registration's `actions` maps, derived from the declared callbacks (STYLE B1): whatever the kit serves is
 * registered, on the first connection, a re-connect and a settings save alike, because every one of them builds
 * its payload through `registrationPayload`.
 * @module
 */
import { CALLBACK_GROUPS } from './kinds.js';
import type { DeclaredCallback } from './declaration.js';

type Json = Record<string, unknown>;

/**
 * Puts each callback's path (with the base path `prefix`) where its group's actions live, over `payload`'s own
 * (a module's hand-written `integrations.x.actions` entry is kept unless a declaration names the same action).
 */
export function placeCallbackActions(payload: Json, callbacks: readonly DeclaredCallback[], prefix: string): Json {
  const out: Json = { ...payload };
  for (const callback of callbacks) {
    const place = CALLBACK_GROUPS[callback.group].place;
    let node = out;
    for (const key of place.slice(0, -1)) {
      const child = node[key];
      node[key] = child && typeof child === 'object' && !Array.isArray(child) ? { ...(child as Json) } : {};
      node = node[key] as Json;
    }
    const last = place[place.length - 1] as string;
    const actions = node[last];
    node[last] = { ...(actions && typeof actions === 'object' && !Array.isArray(actions) ? (actions as Json) : {}), [callback.action]: `${prefix}${callback.path}` };
  }
  return out;
}
