// The hashes of src/jose/digest.ts on both platforms: WebCrypto (what the edge entry uses: this
// file starts without the node:crypto platform installed) against node:crypto on inputs around
// every block edge, then the synchronous helpers' ERR_CONFIG without node:crypto and their values
// with it. Also the byte helpers that run without Buffer (base64url, UTF-8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { nodePlatform } from '../../src/jose/backend.js';
import { digest, digestAsync, hmacSha256, hmacSha256Async, sha256Base64url, sha256Base64urlAsync } from '../../src/jose/digest.js';
import { decodeBase64url, decodePortable } from '../../src/jose/base64url.js';
import { concatBytes, hex, isUtf8 } from '../../src/jose/bytes.js';
import { VerifyError } from '../../src/errors.js';
import { hashClaimValue, hashClaimValueAsync } from '../../src/claims/hash-claim.js';
import { jwkThumbprint, jwkThumbprintAsync } from '../../src/dpop/thumbprint.js';
import { accessTokenHash, accessTokenHashAsync } from '../../src/dpop/verify-proof.js';
import { createDpopNonceSource, createDpopNonceSourceAsync } from '../../src/dpop/nonce.js';
import { OIDC_ACCESS_TOKEN, OIDC_AT_HASH, RFC7638_KEY, RFC7638_THUMBPRINT } from '../support/spec-vectors.js';

function assertConfigError(fn: () => unknown, name: string, alternative: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VerifyError);
    assert.equal(e.code, 'ERR_CONFIG');
    assert.match(e.message, new RegExp(`^${name} is synchronous and needs node:crypto; on .+ use ${alternative}$`));
    return true;
  });
}

test('without node:crypto: SHA-256/384/512 and HMAC-SHA-256 come from WebCrypto and equal node:crypto', async () => {
  assert.equal(nodePlatform(), undefined, 'this file must start without the node:crypto platform');
  for (const name of ['sha256', 'sha384', 'sha512'] as const) {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 65537]) {
      const data = randomBytes(n);
      assert.equal(hex((await digestAsync(name, data))!), createHash(name).update(data).digest('hex'), `${name} of ${n} bytes`);
    }
  }
  // FIPS 180-4 example "abc", as a string (hashed as its UTF-8 octets).
  assert.equal(hex((await digestAsync('sha256', 'abc'))!), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(await sha256Base64urlAsync('é'), createHash('sha256').update('é', 'utf8').digest('base64url'));
  assert.equal(await digestAsync('shake256-114', 'x'), undefined, 'SHAKE256 exists on node:crypto only');
  // WebCrypto refuses a zero-length HMAC key; the nonce source needs 32 octets or more.
  for (const k of [1, 32, 64, 65, 200]) {
    for (const n of [0, 8, 100]) {
      const key = randomBytes(k);
      const data = randomBytes(n);
      assert.equal(hex(await hmacSha256Async(key, data)), createHmac('sha256', key).update(data).digest('hex'), `key ${k}, data ${n}`);
    }
  }
});

test('without node:crypto: the async helpers give the RFC 7638 and OIDC Core vectors, the sync ones ERR_CONFIG', async () => {
  assert.equal(nodePlatform(), undefined);
  assert.equal(await jwkThumbprintAsync(RFC7638_KEY), RFC7638_THUMBPRINT);
  assert.equal(await hashClaimValueAsync(OIDC_ACCESS_TOKEN, 'RS256'), OIDC_AT_HASH);
  assert.equal(await accessTokenHashAsync('abc'), createHash('sha256').update('abc').digest('base64url'));
  assert.equal(await hashClaimValueAsync('x', 'EdDSA', 'Ed448'), undefined, 'no SHAKE256 in WebCrypto');
  assertConfigError(() => jwkThumbprint(RFC7638_KEY), 'jwkThumbprint', 'jwkThumbprintAsync');
  assertConfigError(() => hashClaimValue(OIDC_ACCESS_TOKEN, 'RS256'), 'hashClaimValue', 'hashClaimValueAsync');
  assertConfigError(() => accessTokenHash('abc'), 'accessTokenHash', 'accessTokenHashAsync');
  assertConfigError(() => createDpopNonceSource({ secret: 'x'.repeat(32) }), 'createDpopNonceSource', 'createDpopNonceSourceAsync');
  assertConfigError(() => digest('sha256', 'abc'), 'digest', 'digestAsync');
  assertConfigError(() => sha256Base64url('abc'), 'digest', 'digestAsync');
  assertConfigError(() => hmacSha256(new Uint8Array(32), new Uint8Array(1)), 'hmacSha256', 'hmacSha256Async');
});

test('without node:crypto: a nonce source imports its HMAC key into WebCrypto once, not per nonce', async () => {
  assert.equal(nodePlatform(), undefined);
  const subtle = globalThis.crypto.subtle;
  const realImport = subtle.importKey.bind(subtle);
  let imports = 0;
  // Counts the calls and passes them to the real WebCrypto (the values below are WebCrypto's).
  const counting = ((...args: Parameters<typeof realImport>) => {
    imports++;
    return realImport(...args);
  }) as typeof subtle.importKey;
  Object.defineProperty(subtle, 'importKey', { value: counting, configurable: true, writable: true });
  try {
    const nonces = createDpopNonceSourceAsync({ secret: 's'.repeat(32), now: () => 1_700_000_000_000 });
    const first = await nonces.current();
    for (let i = 0; i < 5; i++) assert.equal(await nonces.check(first), true);
    assert.equal(await nonces.check(first.slice(0, -1) + (first.endsWith('A') ? 'B' : 'A')), false);
    assert.equal(await nonces.current(), first);
    assert.equal(imports, 1);
  } finally {
    delete (subtle as { importKey?: unknown }).importKey;
  }
  assert.equal(Object.hasOwn(subtle, 'importKey'), false, 'the real method is back');
});

test('with node:crypto: the sync helpers work and agree with the WebCrypto answers; nonce sources agree', async () => {
  const secret = 'n'.repeat(32);
  const now = (): number => 1_700_000_000_000;
  const webNonces = createDpopNonceSourceAsync({ secret, now });
  const webNonce = await webNonces.current();
  await import('../../src/concurrency/node-platform.js');
  assert.notEqual(nodePlatform(), undefined);
  assert.equal(jwkThumbprint(RFC7638_KEY), RFC7638_THUMBPRINT);
  assert.equal(hashClaimValue(OIDC_ACCESS_TOKEN, 'RS256'), OIDC_AT_HASH);
  assert.equal(accessTokenHash('abc'), await accessTokenHashAsync('abc'));
  const nodeNonces = createDpopNonceSource({ secret, now });
  assert.equal(nodeNonces.current(), webNonce, 'the same nonce from the node:crypto and the WebCrypto HMAC');
  assert.equal(nodeNonces.check(webNonce), true);
  assert.equal(await webNonces.check(nodeNonces.current()), true);
  assert.equal(await webNonces.check(webNonce.slice(0, -1) + (webNonce.endsWith('A') ? 'B' : 'A')), false);
});

test('base64url without Buffer decodes exactly what the Buffer path decodes, and refuses the same spellings', () => {
  for (let n = 0; n < 70; n++) {
    const data = randomBytes(n);
    const text = data.toString('base64url');
    assert.deepEqual(decodePortable(text, text.length & 3), new Uint8Array(data), `${n} bytes`);
  }
  for (const bad of ['QR', 'QQ==', 'Q Q', 'QQ+/', 'Q/', 'ŁQ', 'QQ=', 'A-_+']) {
    assert.equal(decodeBase64url(bad), undefined, `Buffer path: ${bad}`);
    if ((bad.length & 3) !== 1) assert.equal(decodePortable(bad, bad.length & 3), undefined, `portable: ${bad}`);
  }
});

test('isUtf8 (TextDecoder) and concatBytes', () => {
  assert.equal(isUtf8(Buffer.from([0xc3, 0xa9])), true);
  assert.equal(isUtf8(Buffer.from([0xc3])), false);
  assert.equal(isUtf8(Buffer.from([0xed, 0xa0, 0x80])), false, 'a UTF-8 encoded surrogate');
  assert.deepEqual([...concatBytes([Buffer.from('ab'), Buffer.from('cd')], 4)], [...Buffer.from('abcd')]);
});
