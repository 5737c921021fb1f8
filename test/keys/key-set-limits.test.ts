/**
 * Bounds of key selection: several keys sharing one kid are tried at most MAX_SAME_ID_CANDIDATES
 * at a time, and the explanation of a miss is built once per key set, not once per token.
 */
// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freshKeyPair } from '../support/fresh-key-pair.js';
import { KeySet, MAX_SAME_ID_CANDIDATES, keyNotFound } from '../../src/keys/key-set.js';
import type { JoseHeader } from '../../src/jose/types.js';

type J = Record<string, unknown>;
const h = (m: J): JoseHeader => m as unknown as JoseHeader;
const p256 = (kid: string): J => ({ ...(freshKeyPair('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as J), kid });

describe('KeySet limits', () => {
  test(`keys sharing a kid: at most ${MAX_SAME_ID_CANDIDATES} are tried, the first that fit the alg`, () => {
    assert.equal(MAX_SAME_ID_CANDIDATES, 3);
    const rsa = freshKeyPair('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as J;
    const keys = [{ ...rsa, kid: 'dup' }, ...Array.from({ length: 10 }, () => p256('dup'))];
    const set = KeySet.fromJwks({ keys });
    const m = set.select(h({ alg: 'ES256', kid: 'dup' }), 'ES256');
    assert.deepEqual(
      m.keys?.map((k) => k.index),
      [1, 2, 3],
    );
    const same = KeySet.fromJwks({ keys: keys.slice(1) }).select(h({ alg: 'ES256', kid: 'dup' }), 'ES256');
    assert.equal(same.keys?.length, 3);
    // A lone key (and a short list) is returned as is.
    assert.equal(KeySet.fromJwks({ keys: [p256('one')] }).select(h({ alg: 'ES256', kid: 'one' }), 'ES256').keys?.length, 1);
  });

  test('an unknown kid reuses one explanation per key set (no per-token rebuild), in JWKS order', () => {
    const keys: unknown[] = [p256('a'), {}, p256('b')];
    for (let i = 0; i < 2000; i++) keys.push({ kid: `junk${i}` });
    const set = KeySet.fromJwks({ keys });
    const one = set.select(h({ alg: 'ES256', kid: 'x1' }), 'ES256');
    const two = set.select(h({ alg: 'ES256', kid: 'x2' }), 'ES256');
    assert.ok(one.rejections && two.rejections);
    assert.equal(one.rejections, two.rejections, 'the same list, built once');
    assert.equal(one.rejections.length, keys.length);
    assert.deepEqual(
      one.rejections.map((r) => r.index),
      keys.map((_, i) => i),
    );
    assert.deepEqual(
      one.rejections.slice(0, 3).map((r) => r.reason.replace(/:.*/, '')),
      ['kid differs', 'skipped at import', 'kid differs'],
    );
    // The same holds for an alg no key fits.
    const noKid1 = set.select(h({ alg: 'RS256' }), 'RS256');
    const noKid2 = set.select(h({ alg: 'RS256' }), 'RS256');
    assert.equal(noKid1.rejections, noKid2.rejections);
    assert.match(keyNotFound(h({ alg: 'RS256' }), 'RS256', noKid1.rejections!, 'x').message, /and 1993 more$/);
  });

  test('a known kid with an unfit alg: the candidate carries its own reason, the others the shared one', () => {
    const keys: unknown[] = [p256('a'), {}, p256('b'), p256('b')];
    const set = KeySet.fromJwks({ keys });
    const m = set.select(h({ alg: 'ES384', kid: 'b' }), 'ES384');
    assert.deepEqual(
      m.rejections?.map((r) => [r.index, r.reason.replace(/:.*/, '')]),
      [
        [0, 'does not match'],
        [1, 'skipped at import'],
        [2, 'kty EC crv P-256 cannot verify ES384'],
        [3, 'kty EC crv P-256 cannot verify ES384'],
      ],
    );
    // The shared list is not altered by the copy.
    assert.equal(set.select(h({ alg: 'ES384', kid: 'a' }), 'ES384').rejections?.[2]?.reason, 'does not match');
  });

  test('selection allocates nothing per token when every candidate fits: the same list each time', () => {
    const set = KeySet.fromJwks({ keys: [p256('a'), p256('a'), p256('b')] });
    const one = set.select(h({ alg: 'ES256', kid: 'a' }), 'ES256').keys;
    assert.deepEqual(
      one?.map((k) => k.index),
      [0, 1],
    );
    assert.equal(set.select(h({ alg: 'ES256', kid: 'a' }), 'ES256').keys, one);
    // With an unfit key among them, a filtered copy.
    const rsa = freshKeyPair('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as J;
    const mixed = KeySet.fromJwks({ keys: [{ ...rsa, kid: 'm' }, p256('m')] });
    assert.deepEqual(
      mixed.select(h({ alg: 'ES256', kid: 'm' }), 'ES256').keys?.map((k) => k.index),
      [1],
    );
    assert.deepEqual(
      mixed.select(h({ alg: 'RS256', kid: 'm' }), 'RS256').keys?.map((k) => k.index),
      [0],
    );
  });
});
