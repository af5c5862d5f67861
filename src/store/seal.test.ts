import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SealBrokenError } from '../errors.js';
import { generateKeyEntry, parseKeyring } from './keyring.js';
import { createSealer } from './seal.js';

const a = generateKeyEntry('a');
const b = generateKeyEntry('b');

describe('seal', () => {
  it('seals to v1.<keyId>.<nonce>.<body>, a fresh nonce each time, and opens back', () => {
    const sealer = createSealer(parseKeyring(a), { openCacheSize: 0 });
    const one = sealer.seal('secret-key', 'row-1', 'apiKey');
    const two = sealer.seal('secret-key', 'row-1', 'apiKey');
    assert.match(one, /^v1\.a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.notEqual(one, two);
    assert.ok(!one.includes('secret-key'));
    assert.equal(sealer.open(one, 'row-1', 'apiKey'), 'secret-key');
    assert.equal(sealer.keyIdOf(one), 'a');
  });

  for (const cacheSize of [0, 100]) {
    it(`refuses a value moved to another row or field, altered, or sealed by an unknown key (cache ${cacheSize})`, () => {
      const sealer = createSealer(parseKeyring(a), { openCacheSize: cacheSize });
      const sealed = sealer.seal('secret', 'row-1', 'apiKey');
      assert.throws(() => sealer.open(sealed, 'row-2', 'apiKey'), SealBrokenError);
      assert.throws(() => sealer.open(sealed, 'row-1', 'clientId'), SealBrokenError);
      const body = sealed.split('.')[3] as string;
      const flipped = `${sealed.slice(0, sealed.length - body.length)}${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
      assert.throws(() => sealer.open(flipped, 'row-1', 'apiKey'), SealBrokenError);
      assert.throws(() => sealer.open('plaintext', 'row-1', 'apiKey'), SealBrokenError);
      const other = createSealer(parseKeyring(b)).seal('secret', 'row-1', 'apiKey');
      assert.throws(() => sealer.open(other, 'row-1', 'apiKey'), (e: unknown) => e instanceof SealBrokenError && /key "b" is not in the keyring/.test(e.message));
      // Same id, different key bytes: authentication fails.
      const impostor = createSealer(parseKeyring(generateKeyEntry('a'))).seal('secret', 'row-1', 'apiKey');
      assert.throws(() => sealer.open(impostor, 'row-1', 'apiKey'), SealBrokenError);
    });
  }

  it('the last key seals, every key opens', () => {
    const old = createSealer(parseKeyring(a)).seal('s', 'r', 'clientId');
    const both = createSealer(parseKeyring(`${a},${b}`));
    assert.equal(both.sealingKeyId, 'b');
    assert.deepEqual(both.keyIds, ['b', 'a']);
    assert.equal(both.open(old, 'r', 'clientId'), 's');
    assert.equal(both.keyIdOf(both.seal('s', 'r', 'clientId')), 'b');
  });

  it('lookup hashes are keyed: stable per key, different across keys, one per keyring key', () => {
    const one = createSealer(parseKeyring(`${a},${b}`));
    const again = createSealer(parseKeyring(`${a},${b}`));
    assert.equal(one.lookupHash('client'), again.lookupHash('client'));
    assert.equal(one.lookupHash('client', 'a'), createSealer(parseKeyring(a)).lookupHash('client'));
    assert.notEqual(one.lookupHash('client', 'a'), one.lookupHash('client', 'b'));
    assert.deepEqual(one.lookupHashes('client'), [one.lookupHash('client', 'b'), one.lookupHash('client', 'a')]);
    assert.match(one.lookupHash('client'), /^[A-Za-z0-9_-]{43}$/);
  });
});
