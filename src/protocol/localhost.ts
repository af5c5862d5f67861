/**
 * `*.localhost` names (RFC 6761 §6.3: they always mean loopback). Both sides use this one definition: the CRM
 * client's transport and URL policy, the emulator's Host routing and its callback sender.
 * @module
 */

const SUFFIX = '.localhost';

/** Lower case, without the trailing dot of a fully qualified name. */
function normalize(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** `localhost` and every `*.localhost` name, in any case, with or without a trailing dot. */
export function isLocalhostName(host: string): boolean {
  const name = normalize(host);
  return name === 'localhost' || name.endsWith(SUFFIX);
}

/**
 * What stands in front of `.localhost`, lower-cased (`demo` for `Demo.localhost`, `a.b` for `a.b.localhost`);
 * `undefined` for `localhost` itself and for every other name.
 */
export function localhostSubdomain(host: string): string | undefined {
  const name = normalize(host);
  if (!name.endsWith(SUFFIX) || name.length === SUFFIX.length) return undefined;
  return name.slice(0, -SUFFIX.length);
}
