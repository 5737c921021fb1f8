/**
 * KeySet / StaticKeySource / keyNotFound: how keys are picked for a token header and how a miss is
 * explained.
 */
// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyNotFoundError, VerifyError } from '../../src/errors.js';
import { DEFAULT_MAX_KEYS, KeySet, MAX_UNNAMED_CANDIDATES, keyNotFound } from '../../src/keys/key-set.js';
import { StaticKeySource } from '../../src/keys/key-source.js';
import type { JoseHeader } from '../../src/jose/types.js';
import { makeIssuer } from '../support/sign.js';
import { freshKeyPair } from '../support/fresh-key-pair.js';

type J = Record<string, unknown>;

const ec = (crv: string): J => freshKeyPair('ec', { namedCurve: crv }).publicKey.export({ format: 'jwk' });
const ed = (): J => freshKeyPair('ed25519').publicKey.export({ format: 'jwk' });

const P256 = ec('P-256');
const P256b = ec('P-256');
const P384 = ec('P-384');
const ED = ed();
let RSA: J;

const h = (m: J): JoseHeader => m as unknown as JoseHeader;

async function rsa(): Promise<J> {
  if (!RSA) {
    const jwk = (await makeIssuer('RS256')).jwk!;
    RSA = { kty: 'RSA', n: jwk.n, e: jwk.e };
  }
  return RSA;
}

function kids(m: ReturnType<KeySet['select']>): (string | undefined)[] {
  assert.ok(m.keys, `no keys: ${JSON.stringify(m.rejections)}`);
  return m.keys.map((k) => k.kid);
}

describe('KeySet.fromJwks', () => {
  test('a document that is not { keys: [...] } is ERR_CONFIG (or the requested code)', () => {
    for (const doc of [null, undefined, [], 'x', {}, { keys: {} }, { keys: 'a' }, { Keys: [] }]) {
      assert.throws(
        () => KeySet.fromJwks(doc),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
      );
      assert.throws(
        () => KeySet.fromJwks(doc, { errorCode: 'ERR_JWKS_FETCH' }),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_JWKS_FETCH',
      );
    }
  });

  test('an empty set is allowed; unusable keys are skipped with index, kid and reason', async () => {
    assert.equal(KeySet.fromJwks({ keys: [] }).keys.length, 0);
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'good' },
        { ...P256, kid: 'enc', use: 'enc' },
        { kty: 'oct', k: 'AAAA', kid: 'sym' },
        { ...P256, kid: 'wrap', key_ops: ['wrapKey'] },
        { kty: 'XYZ', kid: 'odd' },
        null,
        { ...(await rsa()), kid: 'r' },
      ],
    });
    assert.deepEqual(
      set.keys.map((k) => k.kid),
      ['good', 'r'],
    );
    assert.deepEqual(
      set.skipped.map((s) => [s.index, s.kid]),
      [
        [1, 'enc'],
        [2, 'sym'],
        [3, 'wrap'],
        [4, 'odd'],
        [5, undefined],
      ],
    );
    assert.match(set.skipped[0]!.reason, /use/);
    assert.match(set.skipped[1]!.reason, /oct/);
    assert.match(set.skipped[2]!.reason, /key_ops/);
    assert.match(set.skipped[3]!.reason, /kty/);
    assert.match(set.skipped[4]!.reason, /not a JSON object/);
  });

  test(`at most maxKeys keys are imported (default ${DEFAULT_MAX_KEYS})`, () => {
    const keys = Array.from({ length: 5 }, (_, i) => ({ ...P256, kid: `k${i}` }));
    const set = KeySet.fromJwks({ keys }, { maxKeys: 2 });
    assert.deepEqual(
      set.keys.map((k) => k.kid),
      ['k0', 'k1'],
    );
    assert.deepEqual(
      set.skipped.map((s) => s.kid),
      ['k2', 'k3', 'k4'],
    );
    assert.match(set.skipped[0]!.reason, /beyond the cap of 2 keys/);
    const big = KeySet.fromJwks({ keys: Array.from({ length: DEFAULT_MAX_KEYS + 3 }, (_, i) => ({ ...ED, kid: `e${i}` })) });
    assert.equal(big.keys.length, DEFAULT_MAX_KEYS);
    assert.equal(big.skipped.length, 3);
  });
});

describe('KeySet.select', () => {
  test('by kid', async () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'a' },
        { ...P256b, kid: 'b' },
        { ...(await rsa()), kid: 'r' },
      ],
    });
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', kid: 'b' }), 'ES256')), ['b']);
    assert.deepEqual(kids(set.select(h({ alg: 'RS256', kid: 'r' }), 'RS256')), ['r']);
    assert.equal(set.hasKid('a'), true);
    assert.equal(set.hasKid('z'), false);
  });

  test('unknown kid: every key explained as "kid differs", unknownKid reported', () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'a' },
        { ...P256b, kid: 'b' },
        { ...P256, use: 'enc', kid: 'x' },
      ],
    });
    const m = set.select(h({ alg: 'ES256', kid: 'zzz' }), 'ES256');
    assert.equal(m.keys, undefined);
    assert.equal(m.unknownKid, 'zzz');
    assert.deepEqual(
      m.rejections?.map((r) => [r.index, r.kid]),
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'x'],
      ],
    );
    assert.equal(m.rejections?.[0]?.reason, 'kid differs');
    assert.match(m.rejections?.[2]?.reason ?? '', /skipped at import: use/);
  });

  test('kid pointing to a key of another type is not used', async () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'ec' },
        { ...(await rsa()), kid: 'rsa' },
      ],
    });
    const m = set.select(h({ alg: 'ES256', kid: 'rsa' }), 'ES256');
    assert.equal(m.keys, undefined);
    assert.equal(m.unknownKid, undefined);
    const byKid = new Map(m.rejections.map((r) => [r.kid, r.reason]));
    assert.match(byKid.get('rsa')!, /kty RSA cannot verify ES256/);
    assert.equal(byKid.get('ec'), 'does not match');
  });

  test('kid pointing to a key whose JWK alg differs', async () => {
    const set = KeySet.fromJwks({ keys: [{ ...(await rsa()), kid: 'r', alg: 'RS256' }] });
    const m = set.select(h({ alg: 'PS256', kid: 'r' }), 'PS256');
    assert.match(m.rejections![0]!.reason, /key is for alg RS256, token uses PS256/);
  });

  test('curve mismatch under a matching kid (ES384 token, P-256 key)', () => {
    const set = KeySet.fromJwks({ keys: [{ ...P256, kid: 'a' }] });
    const m = set.select(h({ alg: 'ES384', kid: 'a' }), 'ES384');
    assert.match(m.rejections![0]!.reason, /kty EC crv P-256 cannot verify ES384/);
  });

  test('one kid on two keys of different types: the one fitting the alg is taken', async () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...(await rsa()), kid: 'same' },
        { ...P256, kid: 'same' },
      ],
    });
    const es = set.select(h({ alg: 'ES256', kid: 'same' }), 'ES256');
    assert.deepEqual(
      es.keys?.map((k) => k.kty),
      ['EC'],
    );
    const rs = set.select(h({ alg: 'RS256', kid: 'same' }), 'RS256');
    assert.deepEqual(
      rs.keys?.map((k) => k.kty),
      ['RSA'],
    );
  });

  test('x5t#S256 without kid', () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'a', 'x5t#S256': 'AAA' },
        { ...P256b, kid: 'b', 'x5t#S256': 'BBB' },
      ],
    });
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', 'x5t#S256': 'BBB' }), 'ES256')), ['b']);
    const miss = set.select(h({ alg: 'ES256', 'x5t#S256': 'CCC' }), 'ES256');
    assert.deepEqual(
      miss.rejections?.map((r) => r.reason),
      ['x5t#S256 differs', 'x5t#S256 differs'],
    );
  });

  test('x5t without kid', () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'a', x5t: 'AAA' },
        { ...P256b, kid: 'b', x5t: 'BBB' },
      ],
    });
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', x5t: 'AAA' }), 'ES256')), ['a']);
    const miss = set.select(h({ alg: 'ES256', x5t: 'ZZZ' }), 'ES256');
    assert.deepEqual(
      miss.rejections?.map((r) => r.reason),
      ['x5t differs', 'x5t differs'],
    );
  });

  test('x5t#S256 is preferred over x5t when both are in the header', () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'a', x5t: 'S1', 'x5t#S256': 'A256' },
        { ...P256b, kid: 'b', x5t: 'S1b', 'x5t#S256': 'B256' },
      ],
    });
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', x5t: 'S1', 'x5t#S256': 'B256' }), 'ES256')), ['b']);
  });

  test('malformed x5t next to a valid kid still matches by kid (Asgardeo sample shape)', async () => {
    const r = await rsa();
    // The Asgardeo sample header: x5t is the base64url of a hex string, not a SHA-1 thumbprint; the JWK has no x5t.
    const seedShape = KeySet.fromJwks({ keys: [{ ...r, kid: 'K_RS256', use: 'sig', alg: 'RS256' }] });
    for (const x5t of ['Yzc5OTgwZTE3MWQz', 'not base64url!!', '', 'a'.repeat(500)]) {
      assert.deepEqual(kids(seedShape.select(h({ alg: 'RS256', kid: 'K_RS256', x5t }), 'RS256')), ['K_RS256']);
    }
    // Even when the JWK carries a different x5t, the kid decides.
    const withX5t = KeySet.fromJwks({ keys: [{ ...r, kid: 'K', x5t: 'real-thumbprint', 'x5t#S256': 'real256' }] });
    assert.deepEqual(kids(withX5t.select(h({ alg: 'RS256', kid: 'K', x5t: 'garbage', 'x5t#S256': 'garbage' }), 'RS256')), ['K']);
  });

  test('non-string kid / thumbprints are ignored, falling back to alg candidates', () => {
    const set = KeySet.fromJwks({ keys: [{ ...P256, kid: 'a' }] });
    for (const header of [{ kid: 5 }, { kid: null }, { kid: ['a'] }, { x5t: 1 }, { 'x5t#S256': {} }]) {
      assert.deepEqual(kids(set.select(h({ alg: 'ES256', ...header }), 'ES256')), ['a']);
    }
  });

  test('header thumbprint with no key carrying thumbprints: falls back to alg candidates', () => {
    const set = KeySet.fromJwks({ keys: [{ ...P256, kid: 'a' }] });
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', x5t: 'whatever' }), 'ES256')), ['a']);
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', 'x5t#S256': 'whatever' }), 'ES256')), ['a']);
  });

  test('thumbprint selection when only some keys carry one: keys without it are not candidates', () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'plain' },
        { ...P256b, kid: 's256', 'x5t#S256': 'B256' },
        { ...P256, kid: 'sha1', x5t: 'S1' },
      ],
    });
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', 'x5t#S256': 'B256' }), 'ES256')), ['s256']);
    assert.deepEqual(kids(set.select(h({ alg: 'ES256', x5t: 'S1' }), 'ES256')), ['sha1']);
    // x5t#S256 first: with no key of that thumbprint, the header's x5t is not consulted.
    const miss = set.select(h({ alg: 'ES256', 'x5t#S256': 'C256', x5t: 'S1' }), 'ES256');
    assert.equal(miss.keys, undefined);
    assert.deepEqual(miss.rejections, [
      { index: 0, kid: 'plain', reason: 'x5t#S256 differs' },
      { index: 1, kid: 's256', reason: 'x5t#S256 differs' },
      { index: 2, kid: 'sha1', reason: 'x5t#S256 differs' },
    ]);
    const miss1 = set.select(h({ alg: 'ES256', x5t: 'S2' }), 'ES256');
    assert.deepEqual(
      miss1.rejections?.map((r) => r.reason),
      ['x5t differs', 'x5t differs', 'x5t differs'],
    );
    // The matching key must still fit the alg.
    const unfit = set.select(h({ alg: 'ES384', x5t: 'S1' }), 'ES384');
    assert.deepEqual(unfit.rejections, [
      { index: 0, kid: 'plain', reason: 'x5t differs' },
      { index: 1, kid: 's256', reason: 'x5t differs' },
      { index: 2, kid: 'sha1', reason: 'kty EC crv P-256 cannot verify ES384' },
    ]);
    // Keys carrying only x5t: a header x5t#S256 falls through to the header's x5t.
    const sha1Only = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'a', x5t: 'S1' },
        { ...P256b, kid: 'b' },
      ],
    });
    assert.deepEqual(kids(sha1Only.select(h({ alg: 'ES256', 'x5t#S256': 'B256', x5t: 'S1' }), 'ES256')), ['a']);
    assert.deepEqual(kids(sha1Only.select(h({ alg: 'ES256', 'x5t#S256': 'B256' }), 'ES256')), ['a', 'b']);
  });

  test(`no kid, no thumbprint: keys fitting the alg, at most ${MAX_UNNAMED_CANDIDATES}`, async () => {
    const keys = [
      { ...(await rsa()), kid: 'r' },
      ...Array.from({ length: 6 }, (_, i) => ({ ...(i % 2 ? P256 : P256b), kid: `e${i}` })),
      { ...ED, kid: 'ed' },
    ];
    const set = KeySet.fromJwks({ keys });
    const m = set.select(h({ alg: 'ES256' }), 'ES256');
    assert.equal(MAX_UNNAMED_CANDIDATES, 3);
    assert.deepEqual(kids(m), ['e0', 'e1', 'e2']);
    assert.deepEqual(kids(set.select(h({ alg: 'EdDSA' }), 'EdDSA')), ['ed']);
    assert.deepEqual(kids(set.select(h({ alg: 'RS256' }), 'RS256')), ['r']);
    const none = set.select(h({ alg: 'ES384' }), 'ES384');
    assert.equal(none.keys, undefined);
    assert.equal(none.rejections?.length, keys.length);
  });

  test('header keys (jwk, jku, x5u, x5c) are never used', () => {
    const attacker = ec('P-256');
    const set = KeySet.fromJwks({ keys: [{ ...P384, kid: 'only' }] });
    const m = set.select(
      h({ alg: 'ES256', jwk: attacker, jku: 'https://evil.example/jwks', x5u: 'https://evil.example/c', x5c: ['MII='] }),
      'ES256',
    );
    assert.equal(m.keys, undefined);
    assert.equal(m.rejections?.length, 1);
    const withFit = KeySet.fromJwks({ keys: [{ ...P256, kid: 'mine' }] });
    const m2 = withFit.select(h({ alg: 'ES256', jwk: attacker }), 'ES256');
    assert.deepEqual(
      m2.keys?.map((k) => k.jwk.x),
      [P256.x],
    );
  });
});

describe('keyNotFound / StaticKeySource', () => {
  test('KeyNotFoundError explains every key, including those skipped at import', async () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 'a' },
        { ...(await rsa()), kid: 'r' },
        { ...P256, kid: 'enc', use: 'enc' },
        { kty: 'oct', k: 'AA' },
      ],
    });
    const header = h({ alg: 'ES384', kid: 'a' });
    const m = set.select(header, 'ES384');
    const err = keyNotFound(header, 'ES384', m.rejections!, 'the configured JWKS');
    assert.ok(err instanceof KeyNotFoundError, 'err instanceof KeyNotFoundError');
    assert.ok(err instanceof VerifyError, 'err instanceof VerifyError');
    assert.equal(err.code, 'ERR_KEY_NOT_FOUND');
    assert.equal(err.considered.length, 4);
    assert.deepEqual(
      err.considered.map((r) => r.index),
      [0, 1, 2, 3],
    );
    for (const part of [
      'the configured JWKS',
      'ES384',
      'kid "a"',
      '#0 (kid "a")',
      'cannot verify ES384',
      '#1 (kid "r")',
      '#2 (kid "enc")',
      'skipped at import',
      '#3',
    ]) {
      assert.ok(err.message.includes(part), `message lacks ${part}: ${err.message}`);
    }
  });

  test('the message names the lookup used (kid, x5t#S256, x5t, no kid)', () => {
    const set = KeySet.fromJwks({ keys: [{ ...P384, kid: 'a', x5t: 'T', 'x5t#S256': 'T256' }] });
    const cases: [J, RegExp][] = [
      [{ alg: 'ES256', kid: 'zz' }, /kid "zz"/],
      [{ alg: 'ES256', 'x5t#S256': 'S' }, /x5t#S256 "S"/],
      [{ alg: 'ES256', x5t: 'S' }, /x5t "S"/],
      [{ alg: 'ES256' }, /no kid/],
    ];
    for (const [header, re] of cases) {
      const m = set.select(h(header), 'ES256');
      assert.match(keyNotFound(h(header), 'ES256', m.rejections!, 'src').message, re);
    }
  });

  test('empty key set and long lists are summarised', () => {
    assert.match(keyNotFound(h({ alg: 'RS256' }), 'RS256', [], 'x').message, /the key set is empty/);
    const many = Array.from({ length: 14 }, (_, index) => ({ index, reason: 'kid differs' }));
    const err = keyNotFound(h({ alg: 'RS256', kid: 'q' }), 'RS256', many, 'x');
    assert.match(err.message, /and 4 more$/);
    assert.equal(err.considered.length, 14);
  });

  test('a hostile kid does not flood the message beyond its JSON form', () => {
    const set = KeySet.fromJwks({ keys: [{ ...P256, kid: 'a' }] });
    const header = h({ alg: 'ES256', kid: 'k'.repeat(5000) });
    const err = keyNotFound(header, 'ES256', set.select(header, 'ES256').rejections!, 'x');
    assert.ok(err.message.length < 12_000, 'err.message.length < 12_000');
  });

  test('StaticKeySource: synchronous, ERR_CONFIG on a bad JWKS, KeyNotFoundError on a miss', () => {
    const src = new StaticKeySource({ keys: [{ ...P256, kid: 'a' }] });
    assert.equal(src.synchronous, true);
    assert.deepEqual(
      src.getKeys(h({ alg: 'ES256', kid: 'a' }), 'ES256').map((k) => k.kid),
      ['a'],
    );
    assert.throws(
      () => src.getKeys(h({ alg: 'ES256', kid: 'b' }), 'ES256'),
      (e: unknown) => e instanceof KeyNotFoundError && /configured JWKS/.test(e.message),
    );
    assert.throws(
      () => new StaticKeySource({ nokeys: true }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
  });
});

describe('KeySet: exact entries and messages', () => {
  test('a bad document names the expected shape', () => {
    assert.throws(
      () => KeySet.fromJwks({}),
      (e: unknown) => e instanceof VerifyError && e.message === 'JWKS must be a JSON object with a "keys" array',
    );
  });

  test('entries without a kid carry no kid member (skipped, rejected or explained)', () => {
    const set = KeySet.fromJwks({ keys: [{ ...P256 }, null, { ...P384 }, { ...P256 }] }, { maxKeys: 3 });
    assert.deepEqual(set.skipped, [
      { index: 1, reason: 'not a JSON object' },
      { index: 3, reason: 'beyond the cap of 3 keys' },
    ]);
    const miss = set.select(h({ alg: 'RS256' }), 'RS256');
    assert.deepEqual(miss.rejections, [
      { index: 0, reason: 'kty EC crv P-256 cannot verify RS256' },
      { index: 1, reason: 'skipped at import: not a JSON object' },
      { index: 2, reason: 'kty EC crv P-384 cannot verify RS256' },
      { index: 3, reason: 'skipped at import: beyond the cap of 3 keys' },
    ]);
    // Each alg has its own explanation.
    assert.equal(set.select(h({ alg: 'PS256' }), 'PS256').rejections?.[0]?.reason, 'kty EC crv P-256 cannot verify PS256');
    const thumb = KeySet.fromJwks({
      keys: [
        { ...P256, x5t: 'T' },
        { ...P384, alg: 'ES384' },
      ],
    });
    assert.deepEqual(thumb.select(h({ alg: 'ES384', x5t: 'T' }), 'ES384').rejections, [
      { index: 0, reason: 'kty EC crv P-256 cannot verify ES384' },
      { index: 1, reason: 'x5t differs' },
    ]);
    assert.deepEqual(thumb.select(h({ alg: 'ES256', x5t: 'T' }), 'ES256').keys?.length, 1);
    assert.equal(thumb.select(h({ alg: 'ES256' }), 'ES256').keys?.length, 1);
    const noFit = KeySet.fromJwks({ keys: [{ ...P384, alg: 'ES384' }] }).select(h({ alg: 'ES256' }), 'ES256');
    assert.deepEqual(noFit.rejections, [{ index: 0, reason: 'key is for alg ES384, token uses ES256' }]);
  });

  test('three keys under one kid: the same list each time, no copy', () => {
    const set = KeySet.fromJwks({
      keys: [
        { ...P256, kid: 't' },
        { ...P256b, kid: 't' },
        { ...P256, kid: 't' },
      ],
    });
    const one = set.select(h({ alg: 'ES256', kid: 't' }), 'ES256').keys;
    assert.equal(one?.length, 3);
    assert.equal(set.select(h({ alg: 'ES256', kid: 't' }), 'ES256').keys, one);
  });

  test('keyNotFound lists ten keys, then how many more', () => {
    const rejections = (n: number) => Array.from({ length: n }, (_, i) => ({ index: i, reason: 'r' }));
    const list = (n: number) => Array.from({ length: n }, (_, i) => `#${i}: r`).join('; ');
    const header = h({ alg: 'ES256' });
    assert.equal(keyNotFound(header, 'ES256', rejections(10), 'S').message, `no key in S for ES256 token with no kid: ${list(10)}`);
    assert.equal(
      keyNotFound(header, 'ES256', rejections(12), 'S').message,
      `no key in S for ES256 token with no kid: ${list(10)}; and 2 more`,
    );
  });
});
