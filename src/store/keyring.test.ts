import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import { KeyringInvalidError, KeyringMissingError } from '../errors.js';
import { generateKeyEntry, loadKeyring, parseKeyring } from './keyring.js';

const b64 = (n = 32) => randomBytes(n).toString('base64');

describe('keyring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-keyring-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses entries in order; the last one seals; separators may be commas, spaces or newlines', () => {
    const a = b64();
    const b = b64();
    const ring = parseKeyring(` old:${a},\n new:${b} `);
    assert.deepEqual(ring.ids, ['old', 'new']);
    assert.equal(ring.sealingKeyId, 'new');
    assert.equal(ring.key('old')?.toString('base64'), a);
    assert.equal(ring.key('missing'), undefined);
  });

  it('accepts base64url and unpadded keys', () => {
    const raw = randomBytes(32);
    assert.deepEqual(parseKeyring(`k:${raw.toString('base64url')}`).key('k'), raw);
  });

  it('rejects malformed keyrings with a reason that names no key material', () => {
    const secret = b64(16);
    const cases: [string, RegExp][] = [
      ['', /no keys/],
      [`nocolon${b64()}`, /entry 1 has no "id:"/],
      [`bad.id:${b64()}`, /key id must be/],
      [`a:${b64()},a:${b64()}`, /appears twice/],
      [`a:${secret}`, /16 bytes; it must be exactly 32/],
      ['a:not*base64!', /not valid base64/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(() => parseKeyring(text), (error: unknown) => {
        assert.ok(error instanceof KeyringInvalidError, text);
        assert.equal(error.code, 'RCMK_KEYRING_INVALID');
        assert.match(error.reason, reason);
        assert.ok(!error.message.includes(secret), 'the message quotes key material');
        return true;
      });
    }
  });

  it('never prints key bytes (inspect, JSON)', () => {
    const key = b64();
    const ring = parseKeyring(`k1:${key}`);
    assert.ok(!inspect(ring, { showHidden: true, depth: 5 }).includes(key));
    assert.ok(!JSON.stringify(ring).includes(key));
    assert.deepEqual(JSON.parse(JSON.stringify(ring)), { ids: ['k1'], sealingKeyId: 'k1' });
  });

  it('generates entries that parse', () => {
    const entry = generateKeyEntry();
    assert.match(entry, /^k\d{14}:/);
    assert.equal(parseKeyring(entry).ids.length, 1);
    assert.equal(parseKeyring(generateKeyEntry('mine')).sealingKeyId, 'mine');
  });

  it('loadKeyring: env wins; production without it throws KeyringMissingError', () => {
    const entry = generateKeyEntry('envkey');
    assert.equal(loadKeyring({ production: true, env: { MODULE_SECRET_KEYS: entry } }).keyring.sealingKeyId, 'envkey');
    assert.throws(() => loadKeyring({ production: true, env: {}, dataDir: dir }), KeyringMissingError);
    assert.throws(() => loadKeyring({ production: true, env: { MODULE_SECRET_KEYS: '  ' }, dataDir: dir }), KeyringMissingError);
  });

  it('loadKeyring in development generates <dataDir>/keyring once (mode 0600) and reuses it', () => {
    const dataDir = join(dir, 'nested', '.data');
    const first = loadKeyring({ production: false, env: {}, dataDir });
    assert.equal(first.source, 'generated');
    const path = join(dataDir, 'keyring');
    assert.equal(first.path, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const second = loadKeyring({ production: false, env: {}, dataDir });
    assert.equal(second.source, 'file');
    assert.deepEqual(second.keyring.key('dev'), first.keyring.key('dev'));
    assert.match(readFileSync(path, 'utf8'), /^dev:/);
  });
});
