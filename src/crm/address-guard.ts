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

export { isLocalhostName } from '../protocol/localhost.js';

/** IPv6 global unicast, `2000::/3`: the only IPv6 space that may reach a CRM (less the special ranges in it). */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

/**
 * Classifies one IP address. Only ordinary public unicast addresses pass; refused are loopback, private
 * (RFC 1918), unique-local, link-local, CGNAT (100.64/10), multicast, broadcast, unspecified, reserved and
 * documentation ranges, and the IPv6 forms that embed IPv4 (IPv4-mapped, NAT64, 6to4, Teredo). IPv6 passes only
 * inside global unicast `2000::/3` and outside every special range ipaddr.js knows: `discard` (`100::/64`),
 * `segmentRouting` (`5f00::/16`) keep their range name, other space outside `2000::/3` (`4000::/3`…) is
 * `notGlobalUnicast`. IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::/96`, e.g.
 * `::7f00:1`) addresses are judged by the IPv4 address inside them. `allowLoopback` (the dev switch) admits
 * loopback only.
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
  if (parsed.kind() === 'ipv6') parsed = embeddedIPv4(parsed as ipaddr.IPv6) ?? parsed;
  const range = parsed.range();
  const pass = (): AddressCheck => ({ ok: true, address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 });
  if (range === 'loopback' && options.allowLoopback === true) return pass();
  if (range !== 'unicast') return { ok: false, range };
  if (parsed.kind() === 'ipv6' && !(parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) return { ok: false, range: 'notGlobalUnicast' };
  return pass();
}

/**
 * The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:0:0/96`, and the deprecated IPv4-compatible
 * `::/96` (RFC 4291 §2.5.5.1), which some stacks still route as IPv4. `::` and `::1` stay IPv6 (unspecified
 * and loopback).
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  const [a, b, c, d, e, f, g, h] = address.parts as [number, number, number, number, number, number, number, number];
  if ((a | b | c | d | e | f) !== 0 || (g === 0 && h <= 1)) return undefined;
  return new ipaddr.IPv4([g >> 8, g & 0xff, h >> 8, h & 0xff]);
}
