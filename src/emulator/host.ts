/**
 * Routing by Host header: `{name}.localhost:{port}` is account `name`, the bare loopback host is the control API,
 * and anything else is treated like a host with no CRM behind it (PROTOCOL §2.5).
 * @module
 */
import { localhostSubdomain } from '../protocol/index.js';
import { ACCOUNT_NAME_PATTERN } from './control-schemas.js';

export type HostKind =
  | { readonly type: 'control' }
  | { readonly type: 'account'; readonly name: string }
  | { readonly type: 'unknown' };

const CONTROL: HostKind = Object.freeze({ type: 'control' });
const UNKNOWN: HostKind = Object.freeze({ type: 'unknown' });
const CONTROL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Host name without the port, lowercased; IPv6 literals keep their brackets. */
export function hostName(hostHeader: string): string {
  const lower = hostHeader.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

export function classifyHost(hostHeader: string | undefined): HostKind {
  if (hostHeader === undefined || hostHeader === '') return UNKNOWN;
  const name = hostName(hostHeader);
  if (CONTROL_HOSTS.has(name)) return CONTROL;
  const label = localhostSubdomain(name);
  if (label !== undefined && ACCOUNT_NAME_PATTERN.test(label)) return { type: 'account', name: label };
  return UNKNOWN;
}

/** nginx's 405 page: what a host without a CRM account answers (clients read it as "Account does not exist."). */
export const NO_ACCOUNT_HTML =
  '<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
