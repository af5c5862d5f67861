/**
 * The account-URL policy (PROTOCOL §14, §18): the only way an address typed by a stranger becomes an
 * {@link AccountUrl} the client may call. It normalizes what people type and refuses everything else, with a
 * reason that has a message in every language (`accountUrl.reason.<reason>`).
 *
 * The policy is the first of two gates against SSRF. The second is the transport's address guard, which checks
 * the address a host really resolves to at connect time (`address-guard.ts`, `transport.ts`).
 * @module
 */
import { ConfigError } from '../errors.js';
import { translate, type Locale } from '../i18n/index.js';
import type { MessageKey } from '../i18n/en.js';
import type { AccountUrl, AccountUrlCheck, AccountUrlPolicyOptions, AccountUrlRejection } from './types.js';
import { isLocalhostName } from './address-guard.js';

/** The vendor's published customer domains (PROTOCOL §18: crm-domains.json plus the hard-coded ecomlogic.com). */
export const DEFAULT_CRM_DOMAINS: readonly string[] = Object.freeze([
  'retailcrm.ru',
  'retailcrm.pro',
  'retailcrm.es',
  'simla.com',
  'simla.io',
  'retailcrm.io',
  'ecomlogic.com',
]);

/** The ConfigError problem for the dev switch under `NODE_ENV=production` (policy and transport report the same). */
export const ALLOW_LOCAL_IN_PRODUCTION =
  'allowLocal admits local addresses for development and cannot be enabled when NODE_ENV=production';

/** Longer input is refused before parsing: a host is at most 253 characters, plus `https://` and a slash. */
export const MAX_ACCOUNT_URL_LENGTH = 300;

/** One DNS label of an account name: letters, digits and inner hyphens, not an IDN (`xn--`) label. */
const ACCOUNT_LABEL = /^(?!xn--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const LOCAL_NAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A normalized, frozen policy; build it once with {@link createAccountUrlPolicy} and reuse it (STYLE R11). */
export interface AccountUrlPolicy {
  readonly allowedDomains: ReadonlySet<string>;
  readonly boxHosts: ReadonlySet<string>;
  readonly allowLocal: boolean;
  readonly maxLength: number;
}

/** The default policy: the vendor's domains, no box hosts, no local addresses. */
export const defaultAccountUrlPolicy: AccountUrlPolicy = Object.freeze({
  allowedDomains: new Set(DEFAULT_CRM_DOMAINS),
  boxHosts: new Set<string>(),
  allowLocal: false,
  maxLength: MAX_ACCOUNT_URL_LENGTH,
});

/**
 * Checks and normalizes the options once. Throws {@link ConfigError} naming every problem, including
 * `allowLocal: true` under `NODE_ENV=production` (STYLE R17: a dev-only switch never reaches production).
 * @example
 * const policy = createAccountUrlPolicy({ boxHosts: ['crm.example.com'] });
 * parseAccountUrl(' Demo.RetailCRM.ru/ ', policy); // { ok: true, url: 'https://demo.retailcrm.ru', host: 'demo.retailcrm.ru' }
 */
export function createAccountUrlPolicy(
  options: AccountUrlPolicyOptions = {},
  env: { readonly NODE_ENV?: string | undefined } = process.env,
): AccountUrlPolicy {
  const problems: string[] = [];
  const normalizeHost = (value: string, what: string): string | undefined => {
    const host = asciiHost(value.trim().replace(/\.$/, ''));
    if (host === undefined || host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host) || !host.includes('.')) {
      problems.push(`${what} "${value}" is not a host name`);
      return undefined;
    }
    return host;
  };
  const allowedDomains = new Set<string>();
  for (const domain of options.allowedDomains ?? DEFAULT_CRM_DOMAINS) {
    const host = normalizeHost(domain.replace(/^\*\./, ''), 'allowedDomains entry');
    if (host !== undefined) allowedDomains.add(host);
  }
  const boxHosts = new Set<string>();
  for (const box of options.boxHosts ?? []) {
    const host = normalizeHost(box, 'boxHosts entry');
    if (host !== undefined) boxHosts.add(host);
  }
  const allowLocal = options.allowLocal === true;
  if (allowLocal && env.NODE_ENV === 'production') {
    problems.push(ALLOW_LOCAL_IN_PRODUCTION);
  }
  if (allowedDomains.size === 0 && boxHosts.size === 0 && !allowLocal) problems.push('no account host is allowed');
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ allowedDomains, boxHosts, allowLocal, maxLength: MAX_ACCOUNT_URL_LENGTH });
}

/** WHATWG host parsing (IDN → punycode, lower case); `undefined` when it is not a valid host. */
function asciiHost(host: string): string | undefined {
  try {
    const url = new URL(`https://${host}/`);
    return url.hostname === '' || url.host !== url.hostname ? undefined : url.hostname;
  } catch {
    return undefined;
  }
}

const reject = (reason: AccountUrlRejection): AccountUrlCheck => ({ ok: false, reason });

/**
 * Normalizes what a person typed into an account origin, or says why it is refused (STYLE R4: a refusal is a
 * value, not a throw). Accepted: `https://{account}.{allowed domain}` or `https://{box host}`, optionally with
 * surrounding spaces, a trailing slash, upper case, no scheme, or Unicode (IDN) letters in a box host.
 * Refused: other schemes, ports, credentials, paths, queries, fragments, IP literals in any notation,
 * hosts off the list, look-alike Unicode domains, control characters, input over {@link MAX_ACCOUNT_URL_LENGTH}.
 * @see ../../../shared/PROTOCOL.md §14, §18
 */
export function parseAccountUrl(input: unknown, policy: AccountUrlPolicy = defaultAccountUrlPolicy): AccountUrlCheck {
  if (typeof input !== 'string') return reject('empty');
  if (input.length > policy.maxLength) return reject('too_long');
  const text = input.trim();
  if (text === '') return reject('empty');
  // WHATWG URL silently drops tabs and newlines and decodes %-escapes in hosts; refuse instead of guessing.
  if (/[\u0000-\u0020\u007f-\u009f\u00a0\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff\\]/.test(text)) {
    return reject('malformed');
  }

  let withScheme = text;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text);
  if (!text.includes('://')) {
    // `host:port` looks like `scheme:` to a parser; anything else before a colon is a real scheme
    // (`javascript:`, `file:`, `data:`), which is refused outright.
    if (scheme && !/^[^:/]+:\d*(?:[/?#]|$)/.test(text)) return reject('scheme');
    withScheme = `https://${text}`;
  } else if (!scheme || !text.toLowerCase().startsWith(`${scheme[1]!.toLowerCase()}://`)) {
    return reject('malformed');
  }

  const afterScheme = withScheme.slice(withScheme.indexOf('://') + 3);
  const authority = afterScheme.split(/[/?#]/, 1)[0] ?? '';
  const rest = afterScheme.slice(authority.length);

  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return reject('malformed');
  }
  const protocol = url.protocol;
  if (protocol !== 'https:' && protocol !== 'http:') return reject('scheme');
  if (authority.includes('@')) return reject('credentials');
  if (authority.includes('%')) return reject('malformed');
  if (authority === '') return reject('malformed');

  // The port is read from what was typed: WHATWG drops a default port (`:443`), and we refuse any port.
  const portMatch = /:(\d*)$/.exec(authority);
  const hasPort = portMatch !== null && !authority.endsWith(']');
  const host = url.hostname;
  const isLocal = policy.allowLocal && (host === '127.0.0.1' || (isLocalhostName(host) && host !== 'localhost'));

  if (rest.includes('#')) return reject('fragment');
  if (rest.includes('?')) return reject('query');
  if (!/^\/*$/.test(rest)) return reject('path');

  if (isLocal) {
    if (host !== '127.0.0.1' && !host.slice(0, -'.localhost'.length).split('.').every((l) => LOCAL_NAME_LABEL.test(l))) {
      return reject('host_not_allowed');
    }
    const port = url.port;
    if (hasPort && port !== '' && (Number(port) < 1 || Number(port) > 65535)) return reject('port');
    return { ok: true, url: url.origin as AccountUrl, host };
  }

  if (protocol !== 'https:') return reject('scheme');
  if (hasPort) return reject('port');
  if (host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host)) return reject('ip_literal');
  // A digits-and-dots name WHATWG did not turn into an address (e.g. `1.2.3.4.5`) is no account either.
  if (/^[\d.]+$/.test(host)) return reject('ip_literal');

  if (policy.boxHosts.has(host)) return { ok: true, url: `https://${host}` as AccountUrl, host };
  const dot = host.indexOf('.');
  const label = host.slice(0, dot);
  const domain = host.slice(dot + 1);
  if (dot > 0 && policy.allowedDomains.has(domain) && ACCOUNT_LABEL.test(label)) {
    return { ok: true, url: `https://${host}` as AccountUrl, host };
  }
  return reject('host_not_allowed');
}

/** Every reason, in a stable order (for docs and tests). */
export const ACCOUNT_URL_REJECTIONS: readonly AccountUrlRejection[] = Object.freeze([
  'empty',
  'too_long',
  'malformed',
  'scheme',
  'credentials',
  'port',
  'path',
  'query',
  'fragment',
  'ip_literal',
  'host_not_allowed',
  'address_blocked',
]);

/** The localized text of one rejection reason (`accountUrl.reason.<reason>`). */
export function accountUrlReasonText(locale: Locale, reason: AccountUrlRejection): string {
  return translate(locale, `accountUrl.reason.${reason}` as MessageKey);
}

/**
 * The full localized message for a refused account URL, ready to show next to the form field: the error
 * message of the matching code, with `{reason}` filled by the localized reason.
 */
export function accountUrlRejectionMessage(locale: Locale, reason: AccountUrlRejection): string {
  if (reason === 'address_blocked') return translate(locale, 'error.RCMK_ACCOUNT_ADDRESS_BLOCKED');
  if (reason === 'host_not_allowed' || reason === 'ip_literal') return translate(locale, 'error.RCMK_ACCOUNT_URL_NOT_ALLOWED');
  return translate(locale, 'error.RCMK_ACCOUNT_URL_INVALID', { reason: accountUrlReasonText(locale, reason) });
}
