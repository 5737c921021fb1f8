// The signature primitives (src/jose/signature.ts) and the algorithm table (src/jose/algorithms.ts)
// called directly: the shape checks that run before OpenSSL, and each family's parameters.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createSecretKey, sign, type KeyObject } from 'node:crypto';
import {
  ALGORITHMS,
  ASYMMETRIC_ALGORITHMS,
  MIN_RSA_BITS,
  PSS_PADDING,
  SYMMETRIC_ALGORITHMS,
  algorithmSpec,
  isAlgorithm,
  type AlgorithmSpec,
} from '../../src/jose/algorithms.js';
import { shapeOk, verifySignature, verifySignatureAsync } from '../../src/jose/signature.js';
import { freshKeyPair } from '../support/fresh-key-pair.js';

const data = Buffer.from('header.payload');
const rsa = freshKeyPair('rsa', { modulusLength: 2048 });
const p256 = freshKeyPair('ec', { namedCurve: 'P-256' });
const ed = freshKeyPair('ed25519');
const secret = createSecretKey(Buffer.alloc(32, 7));

const both = async (spec: AlgorithmSpec, key: KeyObject, sig: Uint8Array): Promise<boolean> => {
  const sync = verifySignature(spec, key, data, sig);
  const async = await new Promise<boolean>((resolve) => verifySignatureAsync(spec, key, data, sig, resolve));
  assert.equal(async, sync, 'the threadpool and the calling thread agree');
  return sync;
};

describe('algorithm table (RFC 7518 §3, RFC 8037, RFC 9864)', () => {
  it('lookup by exact name only', () => {
    assert.equal(algorithmSpec('RS256'), ALGORITHMS.RS256);
    for (const a of ['rs256', 'none', 'toString', '__proto__', 'hasOwnProperty', '']) {
      assert.equal(algorithmSpec(a), undefined, a);
      assert.equal(isAlgorithm(a), false, a);
    }
    assert.equal(isAlgorithm('Ed25519'), true);
    assert.equal(isAlgorithm(42), false);
    // Only strings: an array or an object whose text is an algorithm name is not one.
    assert.equal(isAlgorithm(['RS256']), false);
    assert.equal(isAlgorithm({ toString: () => 'RS256' }), false);
    assert.equal(MIN_RSA_BITS, 2048);
    assert.equal(PSS_PADDING, constants.RSA_PKCS1_PSS_PADDING);
  });

  it('every entry: its own name, family, kty, curves, digest, signature length, salt length', () => {
    const rows = Object.entries(ALGORITHMS).map(([k, s]) => [
      k,
      s.alg,
      s.family,
      s.kty,
      s.curves?.join('|'),
      s.digest,
      s.signatureLength,
      s.saltLength,
    ]);
    assert.deepEqual(rows, [
      ['RS256', 'RS256', 'rsa', 'RSA', undefined, 'sha256', undefined, undefined],
      ['RS384', 'RS384', 'rsa', 'RSA', undefined, 'sha384', undefined, undefined],
      ['RS512', 'RS512', 'rsa', 'RSA', undefined, 'sha512', undefined, undefined],
      ['PS256', 'PS256', 'pss', 'RSA', undefined, 'sha256', undefined, 32],
      ['PS384', 'PS384', 'pss', 'RSA', undefined, 'sha384', undefined, 48],
      ['PS512', 'PS512', 'pss', 'RSA', undefined, 'sha512', undefined, 64],
      ['ES256', 'ES256', 'ecdsa', 'EC', 'P-256', 'sha256', 64, undefined],
      ['ES384', 'ES384', 'ecdsa', 'EC', 'P-384', 'sha384', 96, undefined],
      ['ES512', 'ES512', 'ecdsa', 'EC', 'P-521', 'sha512', 132, undefined],
      ['ES256K', 'ES256K', 'ecdsa', 'EC', 'secp256k1', 'sha256', 64, undefined],
      ['EdDSA', 'EdDSA', 'eddsa', 'OKP', 'Ed25519|Ed448', null, undefined, undefined],
      ['Ed25519', 'Ed25519', 'eddsa', 'OKP', 'Ed25519', null, undefined, undefined],
      ['HS256', 'HS256', 'hmac', 'oct', undefined, 'sha256', undefined, undefined],
      ['HS384', 'HS384', 'hmac', 'oct', undefined, 'sha384', undefined, undefined],
      ['HS512', 'HS512', 'hmac', 'oct', undefined, 'sha512', undefined, undefined],
    ]);
    assert.deepEqual(ASYMMETRIC_ALGORITHMS, [
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'ES256K',
      'EdDSA',
      'Ed25519',
    ]);
    assert.deepEqual(SYMMETRIC_ALGORITHMS, ['HS256', 'HS384', 'HS512']);
  });
});

describe('shapeOk and verifySignature', () => {
  it('ECDSA: raw r||s of exactly the curve length, P1363 encoding', async () => {
    const sig = sign('sha256', data, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    const der = sign('sha256', data, p256.privateKey);
    assert.equal(await both(ALGORITHMS.ES256, p256.publicKey, sig), true);
    assert.equal(shapeOk(ALGORITHMS.ES256, p256.publicKey, der), false);
    assert.equal(await both(ALGORITHMS.ES256, p256.publicKey, der), false);
    assert.equal(shapeOk(ALGORITHMS.ES256, p256.publicKey, Buffer.concat([sig, Buffer.alloc(1)])), false);
    assert.equal(shapeOk(ALGORITHMS.ES256, p256.publicKey, sig.subarray(1)), false);
    assert.equal(await both(ALGORITHMS.ES384, p256.publicKey, sig), false);
  });

  it('RSA and PSS: exactly k octets; PSS with the salt length of its digest', async () => {
    const pkcs1 = sign('sha256', data, rsa.privateKey);
    const pss = sign('sha384', data, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
    const pssMaxSalt = sign('sha384', data, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING });
    assert.equal(await both(ALGORITHMS.RS256, rsa.publicKey, pkcs1), true);
    assert.equal(await both(ALGORITHMS.PS384, rsa.publicKey, pss), true);
    assert.equal(await both(ALGORITHMS.PS384, rsa.publicKey, pssMaxSalt), false);
    assert.equal(await both(ALGORITHMS.PS384, rsa.publicKey, pkcs1), false);
    assert.equal(await both(ALGORITHMS.RS256, rsa.publicKey, pss), false);
    assert.equal(shapeOk(ALGORITHMS.RS256, rsa.publicKey, pkcs1.subarray(1)), false);
    assert.equal(shapeOk(ALGORITHMS.PS384, rsa.publicKey, Buffer.concat([Buffer.alloc(1), pss])), false);
    assert.equal(shapeOk(ALGORITHMS.RS256, rsa.publicKey, pkcs1), true);
    assert.equal(shapeOk(ALGORITHMS.RS256, rsa.privateKey, pkcs1), false);
  });

  it('EdDSA: public keys only', async () => {
    const sig = sign(null, data, ed.privateKey);
    assert.equal(await both(ALGORITHMS.EdDSA, ed.publicKey, sig), true);
    assert.equal(await both(ALGORITHMS.Ed25519, ed.publicKey, sig), true);
    assert.equal(shapeOk(ALGORITHMS.EdDSA, ed.privateKey, sig), false);
    assert.equal(await both(ALGORITHMS.EdDSA, ed.privateKey, sig), false);
    assert.equal(await both(ALGORITHMS.EdDSA, ed.publicKey, Buffer.alloc(64)), false);
  });

  it('HMAC: secret keys only, the full tag, constant-time compare', async () => {
    const { createHmac } = await import('node:crypto');
    const tag = createHmac('sha256', Buffer.alloc(32, 7)).update(data).digest();
    assert.equal(await both(ALGORITHMS.HS256, secret, tag), true);
    assert.equal(await both(ALGORITHMS.HS256, secret, tag.subarray(0, 16)), false);
    assert.equal(await both(ALGORITHMS.HS384, secret, tag), false);
    const flipped = Buffer.from(tag);
    flipped[31]! ^= 1;
    assert.equal(await both(ALGORITHMS.HS256, secret, flipped), false);
    assert.equal(shapeOk(ALGORITHMS.HS256, secret, tag), true);
    assert.equal(shapeOk(ALGORITHMS.HS256, p256.publicKey, tag), false);
    assert.equal(await both(ALGORITHMS.HS256, p256.publicKey, tag), false);
    assert.equal(shapeOk(ALGORITHMS.RS256, secret, Buffer.alloc(256)), false);
  });

  it('asymmetric algorithms verify on the threadpool: the callback comes later', async () => {
    const sig = sign('sha256', data, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    let result: boolean | undefined;
    const done = new Promise<void>((resolve) =>
      verifySignatureAsync(ALGORITHMS.ES256, p256.publicKey, data, sig, (ok) => {
        result = ok;
        resolve();
      }),
    );
    assert.equal(result, undefined);
    await done;
    assert.equal(result, true);
  });

  it('a key of another type never throws: false', async () => {
    const sig = sign('sha256', data, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(await both(ALGORITHMS.ES256, rsa.publicKey, sig), false);
    assert.equal(await both(ALGORITHMS.EdDSA, p256.publicKey, sig), false);
    assert.equal(await both(ALGORITHMS.RS256, ed.publicKey, Buffer.alloc(0)), false);
  });
});
