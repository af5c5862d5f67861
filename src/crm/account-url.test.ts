/**
 * The account-URL policy and the address guard against hostile input (issue 3: "at least 40 hostile or
 * malformed account URLs… each rejected with a clear reason and no connection attempted").
 * A listening socket on 127.0.0.1 counts every connection it gets; it must get none.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import {
  ACCOUNT_URL_REJECTIONS,
  ALLOW_LOCAL_IN_PRODUCTION,
  accountUrlReasonText,
  accountUrlRejectionMessage,
  createAccountUrlPolicy,
  defaultAccountUrlPolicy,
  parseAccountUrl,
} from './account-url.js';
import { checkAddress } from './address-guard.js';
import { createCrmClient } from './client.js';
import { AccountAddressBlockedError, AccountUrlInvalidError, AccountUrlNotAllowedError } from './errors.js';
import { createCrmTransport, type HostLookup } from './transport.js';
import type { AccountUrl, AccountUrlRejection } from './types.js';
import { LOCALES } from '../i18n/index.js';

let listener: Server;
let port = 0;
const seen: Socket[] = [];

before(async () => {
  listener = createServer((socket) => {
    seen.push(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
after(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

/** Hostile or malformed input → the reason it must be refused with. A function sees the listener's port. */
const hostile: readonly (readonly [string | (() => string), AccountUrlRejection, string])[] = [
  ['', 'empty', 'empty string'],
  ['   \t ', 'empty', 'only spaces'],
  ['a'.repeat(400), 'too_long', 'over-long garbage'],
  [`https://${'a'.repeat(290)}.retailcrm.ru`, 'too_long', 'over-long host under an allowed domain'],
  ['javascript:alert(1)', 'scheme', 'javascript: URL'],
  ['JavaScript:fetch("//evil")', 'scheme', 'javascript: in mixed case'],
  ['file:///etc/passwd', 'scheme', 'file: URL'],
  ['data:text/html,<script>alert(1)</script>', 'scheme', 'data: URL'],
  ['ftp://demo.retailcrm.ru', 'scheme', 'ftp'],
  ['http://demo.retailcrm.ru', 'scheme', 'plain http'],
  [() => `http://demo.localhost:${port}`, 'scheme', 'the emulator address without allowLocal'],
  ['https://demo.retailcrm.ru@127.0.0.1', 'credentials', 'allowed name as user, loopback as host'],
  ['https://user:pass@demo.retailcrm.ru', 'credentials', 'credentials'],
  ['https://@demo.retailcrm.ru', 'credentials', 'empty user info'],
  ['https://127.0.0.1#@demo.retailcrm.ru', 'fragment', 'loopback host, allowed name after #'],
  ['https://blabla.simla.com#test', 'fragment', 'fragment'],
  ['https://demo.retailcrm.ru/#', 'fragment', 'empty fragment'],
  ['https://demo.retailcrm.ru?next=http://127.0.0.1', 'query', 'query'],
  ['https://demo.retailcrm.ru/?', 'query', 'empty query'],
  ['https://test.retailcrm.pro/test', 'path', 'path'],
  ['https://demo.retailcrm.ru/api/v5/../../admin', 'path', 'path traversal'],
  ['https://asd.retailcrm.ru:90', 'port', 'port'],
  ['HTTPS://DEMO.RETAILCRM.RU:443', 'port', 'default port written out'],
  ['demo.retailcrm.ru:8080', 'port', 'port without scheme'],
  [() => `https://127.0.0.1:${port}`, 'port', 'loopback with the listener port'],
  ['https://127.0.0.1', 'ip_literal', 'loopback dotted'],
  ['https://2130706433', 'ip_literal', 'loopback decimal'],
  ['https://0177.0.0.1', 'ip_literal', 'loopback octal'],
  ['https://0x7f000001', 'ip_literal', 'loopback hex'],
  ['https://0x7f.0.0.1', 'ip_literal', 'loopback mixed hex'],
  ['https://127.1', 'ip_literal', 'loopback short form'],
  ['https://0', 'ip_literal', 'unspecified as one number'],
  ['https://10.0.0.1', 'ip_literal', 'private 10/8'],
  ['https://192.168.1.1', 'ip_literal', 'private 192.168/16'],
  ['https://169.254.169.254', 'ip_literal', 'cloud metadata (link-local)'],
  ['https://100.64.0.1', 'ip_literal', 'CGNAT'],
  ['https://8.8.8.8', 'ip_literal', 'public IP literal'],
  ['https://[::1]', 'ip_literal', 'IPv6 loopback'],
  ['https://[0:0:0:0:0:0:0:1]', 'ip_literal', 'IPv6 loopback, long form'],
  ['https://[::ffff:127.0.0.1]', 'ip_literal', 'IPv4-mapped loopback'],
  ['https://[::ffff:a00:1]', 'ip_literal', 'IPv4-mapped private, hex'],
  ['https://[fe80::1]', 'ip_literal', 'IPv6 link-local'],
  ['https://127。0。0。1', 'ip_literal', 'loopback with ideographic full stops'],
  ['https://localhost', 'host_not_allowed', 'localhost'],
  ['https://demo.localhost', 'host_not_allowed', '*.localhost'],
  ['https://demo.retаilcrm.ru', 'host_not_allowed', 'Cyrillic а in the domain (homoglyph)'],
  ['https://dеmo.retailcrm.ru', 'host_not_allowed', 'Cyrillic е in the account name (homoglyph)'],
  ['https://demo.retailcrm.ru.evil.com', 'host_not_allowed', 'allowed domain as a prefix'],
  ['https://evilretailcrm.ru', 'host_not_allowed', 'allowed domain as a suffix without a dot'],
  ['https://retailcrm.ru', 'host_not_allowed', 'the bare domain'],
  ['https://a.b.retailcrm.ru', 'host_not_allowed', 'two labels below the domain'],
  ['https://demo.simlachat.com', 'host_not_allowed', 'a domain dropped from the vendor list'],
  ['https://demo.retailcrm.ru.', 'host_not_allowed', 'trailing dot'],
  ['https://-demo.retailcrm.ru', 'host_not_allowed', 'label starting with a hyphen'],
  ['https://demo.retailcrm.ru\\@evil.com', 'malformed', 'backslash'],
  ['https://demo.retail\ncrm.ru', 'malformed', 'newline inside (WHATWG would drop it)'],
  ['https://demo\u0000.retailcrm.ru', 'malformed', 'NUL'],
  ['https://demo%2eretailcrm.ru', 'malformed', 'percent-encoded host'],
  ['https://demo.retailcrm.ru\u200b', 'malformed', 'zero-width space'],
  ['https://', 'malformed', 'no host'],
  ['//demo.retailcrm.ru', 'malformed', 'scheme-relative'],
];

describe('parseAccountUrl: hostile and malformed input', () => {
  it(`has at least 40 cases (${hostile.length})`, () => assert.ok(hostile.length >= 40));

  const transportFor = () => createCrmTransport({ rateLimiter: false });

  for (const [input, reason, label] of hostile) {
    it(`refuses ${label} → ${reason}`, () => {
      const value = typeof input === 'function' ? input() : input;
      assert.deepEqual(parseAccountUrl(value, defaultAccountUrlPolicy), { ok: false, reason });
      // The client refuses it too, before any request: the policy error, with the same reason.
      const transport = transportFor();
      assert.throws(
        () => createCrmClient({ accountUrl: value, apiKey: 'k'.repeat(32), transport }),
        (error: unknown) =>
          (error instanceof AccountUrlInvalidError || error instanceof AccountUrlNotAllowedError) && error.reason === reason,
      );
    });
  }

  it('the listening socket saw no connection from any of them', () => {
    assert.equal(seen.length, 0);
  });
});

describe('parseAccountUrl: what people type', () => {
  const accepted: readonly [string, string][] = [
    ['https://demo.retailcrm.ru', 'https://demo.retailcrm.ru'],
    ['  Demo.RetailCRM.ru/  ', 'https://demo.retailcrm.ru'],
    ['HTTPS://DEMO.RETAILCRM.RU/', 'https://demo.retailcrm.ru'],
    ['https://test.retailcrm.pro//', 'https://test.retailcrm.pro'],
    ['raisa.retailcrm.es', 'https://raisa.retailcrm.es'],
    ['https://blabla.simla.com', 'https://blabla.simla.com'],
    ['https://shop-1.simla.io', 'https://shop-1.simla.io'],
    ['https://x2.retailcrm.io', 'https://x2.retailcrm.io'],
    ['https://acme.ecomlogic.com', 'https://acme.ecomlogic.com'],
  ];
  for (const [input, url] of accepted) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      const check = parseAccountUrl(input, defaultAccountUrlPolicy);
      assert.deepEqual(check, { ok: true, url, host: new URL(url).hostname });
    });
  }

  it('accepts configured box hosts, IDN ones in punycode, and nothing below them', () => {
    const policy = createAccountUrlPolicy({ boxHosts: ['crm.example.com', 'CRM.Пример.рф'] });
    assert.deepEqual(parseAccountUrl('https://crm.example.com/', policy), { ok: true, url: 'https://crm.example.com', host: 'crm.example.com' });
    const idn = parseAccountUrl('https://crm.пример.рф', policy);
    assert.equal(idn.ok && idn.url, 'https://crm.xn--e1afmkfd.xn--p1ai');
    assert.deepEqual(parseAccountUrl('https://x.crm.example.com', policy), { ok: false, reason: 'host_not_allowed' });
    // The default list still applies unless replaced.
    assert.equal(parseAccountUrl('demo.retailcrm.ru', policy).ok, true);
    const only = createAccountUrlPolicy({ allowedDomains: ['*.Example.org'] });
    assert.equal(parseAccountUrl('a.example.org', only).ok, true);
    assert.equal(parseAccountUrl('demo.retailcrm.ru', only).ok, false);
  });

  it('admits the emulator addresses only with allowLocal, and never in production', () => {
    const dev = createAccountUrlPolicy({ allowLocal: true }, { NODE_ENV: 'test' });
    assert.deepEqual(parseAccountUrl('http://Demo.localhost:4010/', dev), { ok: true, url: 'http://demo.localhost:4010', host: 'demo.localhost' });
    assert.deepEqual(parseAccountUrl('http://127.0.0.1:4010', dev), { ok: true, url: 'http://127.0.0.1:4010', host: '127.0.0.1' });
    assert.equal(parseAccountUrl('demo.retailcrm.ru', dev).ok, true);
    // The switch opens loopback names only, not other addresses or paths.
    assert.deepEqual(parseAccountUrl('http://10.0.0.1:80', dev), { ok: false, reason: 'scheme' });
    assert.deepEqual(parseAccountUrl('https://10.0.0.1', dev), { ok: false, reason: 'ip_literal' });
    assert.deepEqual(parseAccountUrl('http://demo.localhost:4010/admin', dev), { ok: false, reason: 'path' });
    assert.deepEqual(parseAccountUrl('http://localhost:4010', dev), { ok: false, reason: 'scheme' });
    assert.throws(() => createAccountUrlPolicy({ allowLocal: true }, { NODE_ENV: 'production' }), ConfigError);
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      assert.throws(() => createCrmTransport({ accountUrlPolicy: { allowLocal: true } }), ConfigError);
      // A policy built elsewhere (before NODE_ENV was set, or by hand) is checked again by the transport.
      assert.throws(
        () => createCrmTransport({ accountUrlPolicy: dev }),
        (error: unknown) => error instanceof ConfigError && error.problems.includes(ALLOW_LOCAL_IN_PRODUCTION),
      );
      const handMade = Object.freeze({ ...defaultAccountUrlPolicy, allowLocal: true });
      assert.throws(() => createCrmTransport({ accountUrlPolicy: handMade }), ConfigError);
      // Without the switch a prebuilt policy is still fine in production.
      const box = createAccountUrlPolicy({ boxHosts: ['crm.example.com'] });
      void createCrmTransport({ accountUrlPolicy: box, rateLimiter: false }).close();
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it('reports every bad option at once', () => {
    assert.throws(
      () => createAccountUrlPolicy({ allowedDomains: ['127.0.0.1', 'nodot'], boxHosts: ['[::1]'] }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 4 && error.problems.at(-1) === 'no account host is allowed',
    );
  });

  it('has a localized text for every reason, in every locale', () => {
    for (const locale of LOCALES) {
      const texts = new Set<string>();
      for (const reason of ACCOUNT_URL_REJECTIONS) {
        const text = accountUrlReasonText(locale, reason);
        assert.ok(!text.startsWith('accountUrl.'), `${locale}: ${reason} has no text`);
        texts.add(text);
      }
      assert.equal(texts.size, ACCOUNT_URL_REJECTIONS.length, `${locale}: two reasons share a text`);
    }
    assert.match(accountUrlRejectionMessage('ru', 'port'), /порта/);
    assert.match(accountUrlRejectionMessage('es', 'scheme'), /https:\/\//);
    assert.match(accountUrlRejectionMessage('en', 'path'), /^The account address is not valid \(enter only the address/);
    assert.doesNotMatch(accountUrlRejectionMessage('en', 'query'), /\{reason\}/);
    assert.match(accountUrlRejectionMessage('en', 'host_not_allowed'), /not a RetailCRM/);
  });
});

describe('address guard', () => {
  const blocked: readonly [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['[::ffff:169.254.169.254]', 'linkLocal'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001:db8::1', 'reserved'],
    // IPv4-compatible `::/96` is judged by the IPv4 inside (these passed as IPv6 unicast before).
    ['::7f00:1', 'loopback'],
    ['::a00:1', 'private'],
    ['[::a9fe:a9fe]', 'linkLocal'],
    ['::c0a8:1', 'private'],
    ['::0.0.0.2', 'unspecified'],
    // IPv6 outside global unicast 2000::/3, or special inside it.
    ['4000::1', 'notGlobalUnicast'],
    ['1000::1', 'notGlobalUnicast'],
    ['e000::1', 'notGlobalUnicast'],
    ['100::1', 'discard'],
    ['5f00::1', 'segmentRouting'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['::ffff:0:a00:1', 'rfc6145'],
    ['2001::1', 'teredo'],
    ['2001:2::1', 'benchmarking'],
    ['3fff::1', 'reserved'],
    ['not-an-ip', 'invalid'],
  ];
  for (const [address, range] of blocked) {
    it(`refuses ${address} (${range})`, () => assert.deepEqual(checkAddress(address), { ok: false, range }));
  }
  it('passes public unicast, and IPv4-mapped public as its IPv4', () => {
    assert.deepEqual(checkAddress('8.8.8.8'), { ok: true, address: '8.8.8.8', family: 4 });
    assert.deepEqual(checkAddress('2606:4700:4700::1111'), { ok: true, address: '2606:4700:4700::1111', family: 6 });
    assert.deepEqual(checkAddress('::ffff:8.8.8.8'), { ok: true, address: '8.8.8.8', family: 4 });
    assert.deepEqual(checkAddress('::808:808'), { ok: true, address: '8.8.8.8', family: 4 });
    assert.deepEqual(checkAddress('2a00:1450:4001:82a::200e'), { ok: true, address: '2a00:1450:4001:82a::200e', family: 6 });
  });
  it('the dev switch admits loopback only', () => {
    assert.equal(checkAddress('127.0.0.1', { allowLoopback: true }).ok, true);
    assert.equal(checkAddress('::1', { allowLoopback: true }).ok, true);
    assert.equal(checkAddress('10.0.0.1', { allowLoopback: true }).ok, false);
  });
});

describe('transport: an allowed name that resolves to a forbidden address', () => {
  // The policy refuses any port, so to aim at the listener these go straight to the transport with a forged
  // AccountUrl: the guard alone must stop them, before a socket is opened.
  const cases: readonly [string, readonly string[], string][] = [
    ['loopback', ['127.0.0.1'], 'loopback'],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1'], 'loopback'],
    ['IPv6 loopback', ['::1'], 'loopback'],
    ['IPv4-compatible loopback', ['::7f00:1'], 'loopback'],
    ['IPv4-compatible private', ['::a00:1'], 'private'],
    ['private', ['10.0.0.7'], 'private'],
    ['metadata', ['169.254.169.254'], 'linkLocal'],
    ['one public and one private address', ['93.184.216.34', '127.0.0.1'], 'loopback'],
  ];
  for (const [label, addresses, range] of cases) {
    it(`refuses ${label} without connecting`, async () => {
      let lookups = 0;
      const lookup: HostLookup = async () => {
        lookups += 1;
        return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      };
      const transport = createCrmTransport({ lookup, rateLimiter: false });
      try {
        for (const scheme of ['https', 'http']) {
          await assert.rejects(
            transport.request({
              accountUrl: `${scheme}://demo.retailcrm.ru:${port}` as AccountUrl,
              method: 'GET',
              path: '/api/credentials',
              apiKey: 'secret-key-123',
            }),
            (error: unknown) => error instanceof AccountAddressBlockedError && error.range === range && !error.message.includes('secret'),
          );
        }
        assert.equal(lookups, 2, 'one lookup per connection attempt');
        assert.equal(seen.length, 0);
      } finally {
        await transport.close();
      }
    });
  }

  it('refuses literal loopback and *.localhost at the transport when allowLocal is off', async () => {
    const transport = createCrmTransport({ rateLimiter: false });
    try {
      for (const accountUrl of [`http://127.0.0.1:${port}`, `http://demo.localhost:${port}`, `http://[::1]:${port}`]) {
        await assert.rejects(
          transport.request({ accountUrl: accountUrl as AccountUrl, method: 'GET', path: '/api/credentials', apiKey: 'k' }),
          AccountAddressBlockedError,
        );
      }
      assert.equal(seen.length, 0);
    } finally {
      await transport.close();
    }
  });

  it('control: with allowLocal the same listener does get a connection (so the zero above means something)', async () => {
    const transport = createCrmTransport({ rateLimiter: false, accountUrlPolicy: { allowLocal: true }, requestTimeoutMs: 2000 });
    try {
      await assert.rejects(
        transport.request({ accountUrl: `http://demo.localhost:${port}` as AccountUrl, method: 'GET', path: '/', apiKey: 'k' }),
      );
      assert.equal(seen.length, 1);
    } finally {
      await transport.close();
      seen.length = 0;
    }
  });
});
