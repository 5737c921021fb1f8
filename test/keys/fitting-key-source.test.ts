// fittingKeySource (src/keys/fitting-key-source.ts) around a custom KeySource: unfit keys are
// dropped, a source with none left is a KeyNotFoundError naming every key, and the optional
// members are passed through only when the source has them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyNotFoundError } from '../../src/errors.js';
import { fittingKeySource } from '../../src/keys/fitting-key-source.js';
import { importJwk, type VerificationKey } from '../../src/keys/jwk.js';
import type { KeySource } from '../../src/keys/key-source.js';
import type { JoseHeader } from '../../src/jose/types.js';
import { freshKeyPair } from '../support/fresh-key-pair.js';

const imported = (jwk: Record<string, unknown>, index: number): VerificationKey => {
  const r = importJwk(jwk, index);
  assert.ok('key' in r, JSON.stringify(r));
  return r.key;
};
const P256 = imported({ ...freshKeyPair('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'p256' }, 0);
const P384 = imported({ ...freshKeyPair('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }), kid: 'p384' }, 1);
const P256b = imported(freshKeyPair('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), 2);
const header = { alg: 'ES256', kid: 'p256' } as JoseHeader;

const source = (keys: unknown, extra: Partial<KeySource> = {}): KeySource => ({
  synchronous: true,
  getKeys: () => keys as readonly VerificationKey[],
  ...extra,
});

function notFound(fn: () => unknown): KeyNotFoundError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof KeyNotFoundError, String(thrown));
  assert.equal(thrown.code, 'ERR_KEY_NOT_FOUND');
  return thrown;
}

describe('fittingKeySource', () => {
  it('all keys fit: the list as given; some fit: only those', () => {
    const all = [P256, P256b];
    assert.equal(fittingKeySource(source(all)).getKeys(header, 'ES256'), all);
    assert.deepEqual(fittingKeySource(source([P384, P256, P256b])).getKeys(header, 'ES256'), [P256, P256b]);
    assert.deepEqual(fittingKeySource(source([P256, P384])).getKeys(header, 'ES384'), [P384]);
  });

  it('a promise is fitted when it resolves', async () => {
    const s = fittingKeySource({ synchronous: false, getKeys: () => Promise.resolve([P384, P256]) });
    assert.equal(s.synchronous, false);
    assert.deepEqual(await s.getKeys(header, 'ES256'), [P256]);
    await assert.rejects(Promise.resolve(s.getKeys(header, 'RS256')), KeyNotFoundError);
  });

  it('no fit key: KeyNotFoundError naming each key with its index, kid and reason', () => {
    const e = notFound(() => fittingKeySource(source([P384, P256b])).getKeys(header, 'RS256'));
    assert.deepEqual(e.considered, [
      { index: 1, kid: 'p384', reason: 'cannot verify RS256' },
      { index: 2, reason: 'cannot verify RS256' },
    ]);
    assert.equal(
      e.message,
      'no key in the key source for RS256 token with kid "p256": #1 (kid "p384"): cannot verify RS256; #2: cannot verify RS256',
    );
  });

  it('anything that is not an imported key is unfit, and never throws a TypeError', () => {
    const forged = { index: 'x', kid: 7, kty: 'EC', algorithms: ['ES256'], keyObject: P256.keyObject };
    const fake = { ...P256, algorithms: new Set(['ES384']) };
    const e = notFound(() => fittingKeySource(source([null, 'key', forged, fake, undefined])).getKeys(header, 'ES256'));
    assert.deepEqual(e.considered, [
      { index: 0, reason: 'cannot verify ES256' },
      { index: 1, reason: 'cannot verify ES256' },
      { index: 2, reason: 'cannot verify ES256' },
      { index: 0, kid: 'p256', reason: 'cannot verify ES256' },
      { index: 4, reason: 'cannot verify ES256' },
    ]);
    for (const keys of [undefined, null, { 0: P256, length: 1 }, 'P256']) {
      const miss = notFound(() => fittingKeySource(source(keys)).getKeys(header, 'ES256'));
      assert.deepEqual(miss.considered, []);
      assert.match(miss.message, /: the key set is empty$/);
    }
  });

  it('synchronous follows the source; optional members only when the source has them', async () => {
    let sync = true;
    const calls: string[] = [];
    const full: KeySource = {
      get synchronous() {
        return sync;
      },
      getKeys: () => [P256],
      advertisedAlgorithms: () => (calls.push('adv'), ['ES256']),
      warmUp: () => (calls.push('warm'), Promise.resolve()),
      stats: () => (calls.push('stats'), { keys: 1 }),
      close: () => void calls.push('close'),
    };
    const w = fittingKeySource(full);
    assert.equal(w.synchronous, true);
    sync = false;
    assert.equal(w.synchronous, false);
    assert.deepEqual(w.advertisedAlgorithms!(), ['ES256']);
    await w.warmUp!();
    assert.deepEqual(w.stats!(), { keys: 1 });
    w.close!();
    assert.deepEqual(calls, ['adv', 'warm', 'stats', 'close']);
    const bare = fittingKeySource(source([P256]));
    assert.deepEqual(
      (['advertisedAlgorithms', 'warmUp', 'stats', 'close'] as const).map((m) => typeof bare[m]),
      ['undefined', 'undefined', 'undefined', 'undefined'],
    );
  });
});
