// A key source of your own, built only from the public API (no deep imports): the package's
// `exports` forbid deep imports, so this is the path users have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, importVerificationKey, VerifyError, type KeySource } from '../../src/index.js';
import { AUDIENCE, idTokenClaims, makeIssuer, ISSUER, NOW_S } from '../support/sign.js';

test('importVerificationKey + a two-line KeySource verify a token signed by jose', async () => {
  const es = await makeIssuer('ES256');
  const key = importVerificationKey(es.jwks.keys[0]);
  const keySource: KeySource = { synchronous: true, getKeys: () => [key] };
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keySource, now: () => NOW_S * 1000 });
  const token = await es.sign(idTokenClaims());
  assert.equal((await verifier.verifyIdToken(token)).payload.iss, ISSUER);
  assert.equal(verifier.verifyIdTokenSync(token).payload.iss, ISSUER);
});

test('importVerificationKey refuses a private or unusable JWK with ERR_CONFIG and the reason', () => {
  for (const [jwk, reason] of [
    [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'secret-value' }, /private key material/],
    [{ kty: 'oct', k: 'c2VjcmV0' }, /oct|symmetric|private key material/],
    [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', use: 'enc' }, /./],
    ['not a jwk', /./],
  ] as const) {
    assert.throws(
      () => importVerificationKey(jwk),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG' && reason.test(e.message) && !e.message.includes('secret-value'),
    );
  }
});
