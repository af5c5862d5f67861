/**
 * The address guard: the second gate against SSRF. The account-URL policy checks the *name*; this checks the
 * *address* the name resolves to, at connect time, so a listed name whose DNS points inside our network
 * (by mistake or by DNS rebinding) is still refused.
 * @module
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The outcome of checking one IP address. `range` is ipaddr.js's range name (`private`, `loopback`…). */
export type AddressCheck =
  | { readonly ok: true; readonly address: string; readonly family: 4 | 6 }
  | { readonly ok: false; readonly range: string };

/** `localhost` and every `*.localhost` name (RFC 6761: they always mean loopback). */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Classifies one IP address. Only ordinary public unicast addresses pass; refused are loopback, private
 * (RFC 1918), unique-local, link-local, CGNAT (100.64/10), multicast, broadcast, unspecified, reserved and
 * documentation ranges, and the IPv6 forms that embed IPv4 (IPv4-mapped, NAT64, 6to4, Teredo). An IPv4-mapped
 * address is judged by the IPv4 address inside it. `allowLoopback` (the dev switch) admits loopback only.
 */
export function checkAddress(address: string, options: { readonly allowLoopback?: boolean } = {}): AddressCheck {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 0) return { ok: false, range: 'invalid' };
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(bare);
  } catch {
    return { ok: false, range: 'invalid' };
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  if (range === 'unicast') return { ok: true, address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 };
  if (range === 'loopback' && options.allowLoopback === true) {
    return { ok: true, address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 };
  }
  return { ok: false, range };
}
