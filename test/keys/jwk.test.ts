/**
 * importJwk: which JWKs become verification keys, for which algorithms, and why others are refused.
 */
// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { importJwk, keyFitsAlgorithm, type VerificationKey } from '../../src/keys/jwk.js';
import { useNodeCrypto, useWebCrypto } from '../../src/jose/backend.js';
import { makeIssuer } from '../support/sign.js';
import { freshKeyPair } from '../support/fresh-key-pair.js';

type J = Record<string, unknown>;

function ok(jwk: unknown): VerificationKey {
  const r = importJwk(jwk, 0);
  assert.ok('key' in r, `refused: ${'reason' in r ? r.reason : ''}`);
  return r.key;
}

function refused(jwk: unknown, reason: RegExp): void {
  let r: ReturnType<typeof importJwk> | undefined;
  assert.doesNotThrow(() => {
    r = importJwk(jwk, 3);
  });
  assert.ok(r && 'reason' in r, `accepted: ${JSON.stringify(jwk)?.slice(0, 120)}`);
  assert.match(r.reason, reason);
}

function nodeJwk(type: 'ec' | 'ed25519' | 'ed448', namedCurve?: string): J {
  const { publicKey } =
    type === 'ec' ? freshKeyPair('ec', { namedCurve: namedCurve! }) : type === 'ed25519' ? freshKeyPair('ed25519') : freshKeyPair('ed448');
  return publicKey.export({ format: 'jwk' });
}

function rsaJwk(bits: number): J {
  return freshKeyPair('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
}

const P256 = nodeJwk('ec', 'P-256');
const P384 = nodeJwk('ec', 'P-384');
const P521 = nodeJwk('ec', 'P-521');
const K256 = nodeJwk('ec', 'secp256k1');
const ED25519 = nodeJwk('ed25519');
const ED448 = nodeJwk('ed448');

describe('importJwk: key types and the algorithms they may verify', () => {
  test('RSA ≥ 2048 without alg: every RS* and PS*', async () => {
    const rsa = (await makeIssuer('RS256')).jwk!;
    const k = ok({ kty: 'RSA', n: rsa.n, e: rsa.e, kid: 'r1' });
    assert.deepEqual([...k.algorithms].sort(), ['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512']);
    assert.equal(k.bits, 2048);
    assert.equal(k.kid, 'r1');
    assert.equal(k.keyObject?.type, 'public');
    assert.equal(k.index, 0);
  });

  test('RSA with alg PS256: only PS256', async () => {
    const rsa = (await makeIssuer('RS256')).jwk!;
    const k = ok({ kty: 'RSA', n: rsa.n, e: rsa.e, alg: 'PS256' });
    assert.deepEqual([...k.algorithms], ['PS256']);
    assert.equal(keyFitsAlgorithm(k, 'PS256'), true);
    assert.equal(keyFitsAlgorithm(k, 'RS256'), false);
  });

  const curves: [string, J, string[]][] = [
    ['P-256', P256, ['ES256']],
    ['P-384', P384, ['ES384']],
    ['P-521', P521, ['ES512']],
    ['secp256k1', K256, ['ES256K']],
    ['Ed25519', ED25519, ['EdDSA', 'Ed25519']],
    ['Ed448', ED448, ['EdDSA']],
  ];
  for (const [name, jwk, algs] of curves) {
    test(`${name}: ${algs.join(', ')}`, () => {
      const k = ok(jwk);
      assert.deepEqual([...k.algorithms].sort(), [...algs].sort());
      assert.equal(k.crv, jwk.crv);
      for (const alg of ['RS256', 'PS256', 'HS256', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA', 'Ed25519'] as const) {
        assert.equal(keyFitsAlgorithm(k, alg), algs.includes(alg), `${name} fits ${alg}`);
      }
    });
  }

  test('Ed25519 key with alg EdDSA or Ed25519 keeps both names (same operation)', () => {
    for (const alg of ['EdDSA', 'Ed25519']) {
      assert.deepEqual([...ok({ ...ED25519, alg }).algorithms].sort(), ['Ed25519', 'EdDSA']);
    }
  });

  test('a member with private key material is refused, never stripped and trusted (RFC 7517 §5)', () => {
    const { privateKey } = freshKeyPair('ec', { namedCurve: 'P-256' });
    const priv = privateKey.export({ format: 'jwk' }) as J;
    assert.ok(typeof priv.d === 'string', "typeof priv.d === 'string'");
    refused({ ...priv, kid: 'p' }, /^private key material published: member "d"/);
    const rsaPriv = freshKeyPair('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as J;
    refused(rsaPriv, /private key material published/);
  });

  test('the imported key: index, kid, kty, crv, alg, thumbprints, bits, algorithms, a public KeyObject and the JWK as given', () => {
    const jwk = { ...P256, kid: 'e1', alg: 'ES256', x5t: 'abc', 'x5t#S256': 'def', use: 'sig', key_ops: ['verify'] };
    const r = importJwk(jwk, 7);
    assert.ok('key' in r);
    const { keyObject, algorithms, ...rest } = r.key;
    assert.deepEqual(rest, { index: 7, kid: 'e1', kty: 'EC', crv: 'P-256', alg: 'ES256', x5t: 'abc', x5tS256: 'def', jwk });
    assert.deepEqual([...algorithms], ['ES256']);
    assert.equal(keyObject?.type, 'public');
    assert.equal(keyObject?.asymmetricKeyType, 'ec');
    // Empty strings are not recorded; bits only for RSA, every member in the same order.
    const bare = ok({ ...P384, kid: '', x5t: '', 'x5t#S256': '' });
    assert.deepEqual(Object.keys(bare), ['index', 'kty', 'crv', 'algorithms', 'keyObject', 'jwk']);
  });

  test('RSA: the modulus length in bits is recorded', () => {
    const k = ok(rsaJwk(2048));
    assert.equal(k.bits, 2048);
    assert.deepEqual(Object.keys(k), ['index', 'kty', 'bits', 'algorithms', 'keyObject', 'jwk']);
  });

  test('key_ops: an array of distinct strings with "verify" (RFC 7517 §4.3)', () => {
    refused({ ...P256, key_ops: ['verify', 'verify'] }, /^key_ops has duplicate members \(RFC 7517 §4\.3\)$/);
    refused({ ...P256, key_ops: ['verify', 1] }, /^key_ops has a member that is not a string$/);
    refused({ ...P256, key_ops: null }, /^key_ops is not an array$/);
  });

  test('oct keys: refused with or without key material, and named as such', () => {
    refused({ kty: 'oct' }, /^symmetric \(oct\) keys are never taken from a key set$/);
    refused(
      { kty: 'oct', k: 'AAAA' },
      /^private key material published: member "k" is present; a JWKS holds public keys only \(RFC 7517 §5\); symmetric \(oct\) keys are never taken from a key set$/,
    );
    refused(
      { ...P256, d: 'AAAA' },
      /^private key material published: member "d" is present; a JWKS holds public keys only \(RFC 7517 §5\)$/,
    );
  });

  test('a curve the signature backend cannot verify is refused with the runtime and the reason', () => {
    useWebCrypto('TestRuntime');
    try {
      refused(ED448, /^Ed448 keys cannot be used on TestRuntime: WebCrypto on TestRuntime has no Ed448$/);
      refused(K256, /^secp256k1 keys cannot be used on TestRuntime: WebCrypto on TestRuntime has no secp256k1$/);
      assert.deepEqual([...ok(ED25519).algorithms], ['EdDSA', 'Ed25519']);
      assert.deepEqual([...ok(P256).algorithms], ['ES256']);
    } finally {
      useNodeCrypto();
    }
    assert.deepEqual([...ok(ED448).algorithms], ['EdDSA']);
    assert.deepEqual([...ok(K256).algorithms], ['ES256K']);
  });

  test('kid, alg, x5t and x5t#S256 are recorded', () => {
    const k = ok({ ...P256, kid: 'e1', alg: 'ES256', x5t: 'abc', 'x5t#S256': 'def' });
    assert.equal(k.kid, 'e1');
    assert.equal(k.alg, 'ES256');
    assert.equal(k.x5t, 'abc');
    assert.equal(k.x5tS256, 'def');
  });
});

describe('importJwk: refusals', () => {
  test('not an object', () => {
    for (const v of [null, undefined, 'RSA', 3, [P256], true]) refused(v, /not a JSON object/);
  });

  test('missing or empty kty', () => {
    refused({ ...P256, kty: undefined }, /missing kty/);
    refused({ ...P256, kty: '' }, /missing kty/);
    refused({ ...P256, kty: 1 }, /missing kty/);
  });

  test('use: "enc" (and anything but "sig") is skipped', () => {
    refused({ ...P256, use: 'enc' }, /use is "enc", not "sig"/);
    refused({ ...P256, use: 'SIG' }, /use/);
    refused({ ...P256, use: null }, /use/);
    assert.ok(ok({ ...P256, use: 'sig' }), "ok({ ...P256, use: 'sig' })");
  });

  test('key_ops without "verify" is skipped', () => {
    refused({ ...P256, key_ops: ['encrypt'] }, /key_ops does not include "verify"/);
    refused({ ...P256, key_ops: ['sign'] }, /key_ops does not include "verify"/);
    refused({ ...P256, key_ops: [] }, /key_ops does not include "verify"/);
    refused({ ...P256, key_ops: 'verify' }, /key_ops is not an array/);
    assert.ok(ok({ ...P256, key_ops: ['verify'] }), "ok({ ...P256, key_ops: ['verify'] })");
    assert.ok(ok({ ...P256, key_ops: ['sign', 'verify'] }), "ok({ ...P256, key_ops: ['sign', 'verify'] })");
  });

  test('unknown kty', () => {
    refused({ kty: 'AKP', pub: 'x' }, /unsupported kty "AKP"/);
    refused({ kty: 'rsa', n: 'x', e: 'AQAB' }, /unsupported kty "rsa"/);
    refused({ kty: 'DSA' }, /unsupported kty/);
  });

  test('oct (symmetric) keys are never taken, whatever they declare', () => {
    const k = Buffer.alloc(32, 1).toString('base64url');
    refused({ kty: 'oct', k }, /symmetric \(oct\) keys are never taken/);
    refused({ kty: 'oct', k, alg: 'HS256', use: 'sig', key_ops: ['verify'] }, /symmetric \(oct\)/);
  });

  test('RSA keys under 2048 bits are refused', () => {
    refused(rsaJwk(1024), /RSA key of 1024 bits is below the 2048-bit minimum/);
    refused(rsaJwk(1536), /1536 bits/);
    refused(rsaJwk(2040), /2040 bits/);
  });

  test('RSA public exponents other than odd and ≥ 3 are refused (e = 1 would make signatures forgeable)', () => {
    const base = rsaJwk(2048);
    for (const e of ['AQ', 'Ag', 'BA', 'AAE', 'AQAA']) {
      // 1, 2, 4, 1 with a leading zero octet, 65536
      const r = importJwk({ ...base, e }, 0);
      assert.ok('reason' in r, `e=${e} must be refused`);
    }
    refused({ ...base, e: 'AQ' }, /public exponent 1 is not an odd number of at least 3/);
    refused({ ...base, e: 'AQAA' }, /public exponent 65536 /);
    for (const e of ['Aw', 'AQAB']) assert.ok('key' in importJwk({ ...base, e }, 0), `e=${e} (3, 65537) is accepted`);
  });

  test('alg that does not fit kty/crv', async () => {
    const rsa = (await makeIssuer('RS256')).jwk!;
    const rsaPub = { kty: 'RSA', n: rsa.n, e: rsa.e };
    refused({ ...rsaPub, alg: 'ES256' }, /^alg ES256 does not fit kty RSA$/);
    refused({ ...rsaPub, alg: 'EdDSA' }, /alg EdDSA does not fit kty RSA/);
    refused({ ...P256, alg: 'ES384' }, /alg ES384 does not fit kty EC crv P-256/);
    refused({ ...P256, alg: 'ES256K' }, /does not fit kty EC crv P-256/);
    refused({ ...K256, alg: 'ES256' }, /does not fit kty EC crv secp256k1/);
    refused({ ...P521, alg: 'ES256' }, /does not fit/);
    refused({ ...ED448, alg: 'Ed25519' }, /alg Ed25519 does not fit kty OKP crv Ed448/);
    refused({ ...ED25519, alg: 'RS256' }, /does not fit/);
  });

  test('alg that is symmetric, none, unknown or not a signature alg', () => {
    for (const alg of ['HS256', 'none', 'RSA-OAEP', 'rs256', 'ES256 ', '', 5]) {
      refused({ ...P256, alg }, /unsupported alg/);
    }
  });

  test('unsupported curves', () => {
    refused({ ...P256, crv: 'P-192' }, /unsupported EC curve "P-192"/);
    refused({ ...P256, crv: undefined }, /unsupported EC curve/);
    refused({ kty: 'OKP', crv: 'X25519', x: ED25519.x }, /unsupported OKP curve "X25519"/);
    refused({ ...ED25519, crv: 'ed25519' }, /unsupported OKP curve/);
  });

  test('missing or invalid key material', () => {
    refused({ kty: 'RSA', e: 'AQAB' }, /missing or invalid "n"/);
    refused({ kty: 'RSA', n: 5, e: 'AQAB' }, /"n"/);
    refused({ ...P256, y: undefined }, /missing or invalid "y"/);
    refused({ ...ED25519, x: '' }, /missing or invalid "x"/);
  });

  test('material that does not import (off-curve point, wrong length, junk)', () => {
    const x = Buffer.from(P256.x as string, 'base64url');
    const y = Buffer.from(P256.y as string, 'base64url');
    y[31]! ^= 1;
    refused({ kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') }, /cannot import/);
    refused({ ...ED25519, x: Buffer.alloc(31).toString('base64url') }, /cannot import/);
    refused({ kty: 'RSA', n: '!!!', e: 'AQAB' }, /cannot import|bits/);
  });

  test('never throws on hostile input', () => {
    const hostile: unknown[] = [
      { kty: 'RSA', n: 'A'.repeat(10_000), e: 'AQAB' },
      { kty: 'RSA', n: '', e: '' },
      { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' },
      { kty: 'OKP', crv: 'Ed448', x: 'AA' },
      Object.create(null),
      { kty: 'EC', crv: 'P-256', x: {}, y: [] },
      { kty: 'RSA', n: P256.x as string, e: 'AAAA' },
      { kty: 'EC', crv: '__proto__' },
      { kty: 'toString' },
    ];
    for (const j of hostile) {
      const r = importJwk(j, 0);
      assert.ok('reason' in r || 'key' in r, "'reason' in r || 'key' in r");
    }
  });
});
