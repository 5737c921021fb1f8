/**
 * Every algorithm end to end through createVerifier: tokens signed by an independent implementation
 * (jose; node:crypto for ES256K and Ed448, see test/helpers/sign.ts) must verify, and every tampered
 * variant (payload changed, signature bit flipped, truncated, emptied) must fail with
 * ERR_SIGNATURE_INVALID, on both verifyIdToken and verifyIdTokenSync. HS* only with clientSecret.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createVerifier, VerifyError, type ErrorCode, type Verifier } from '../src/index.js';
import {
  ALL_KINDS,
  ASYMMETRIC_KINDS,
  AUDIENCE,
  ISSUER,
  NOW_MS,
  SYMMETRIC_KINDS,
  idTokenClaims,
  issuerFor,
  kindLabel,
  makeIssuer,
  tamperedVariants,
  type TestIssuer,
} from './support/sign.js';

function checkError(err: unknown, code: ErrorCode, token: string): VerifyError {
  assert.ok(err instanceof VerifyError, `expected VerifyError ${code}, got ${String(err)}`);
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  const sig = token.split('.')[2] ?? '';
  if (sig.length >= 8) assert.ok(!err.message.includes(sig.slice(0, 24)), 'message leaks the signature');
  return err;
}

/** Asserts the async and the sync path both fail with `code`. */
async function fails(verifier: Verifier, token: string, code: ErrorCode): Promise<VerifyError> {
  let asyncErr: unknown;
  await verifier.verifyIdToken(token).then(
    () => assert.fail(`verifyIdToken accepted a token that must fail with ${code}`),
    (e: unknown) => {
      asyncErr = e;
    },
  );
  const err = checkError(asyncErr, code, token);
  assert.throws(
    () => verifier.verifyIdTokenSync(token),
    (e: unknown) => checkError(e, code, token) !== undefined,
  );
  return err;
}

function verifierFor(iss: TestIssuer, extra: Record<string, unknown> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: iss.jwks,
    now: () => NOW_MS,
    ...(iss.secret !== undefined ? { clientSecret: iss.secret } : {}),
    ...extra,
  });
}

describe('asymmetric algorithms: valid and tampered', () => {
  for (const kind of ASYMMETRIC_KINDS) {
    test(kindLabel(kind), async () => {
      const iss = await issuerFor(kind);
      const verifier = verifierFor(iss);
      const token = await iss.sign(idTokenClaims());

      const r = await verifier.verifyIdToken(token);
      assert.equal(r.payload.sub, 'user-123');
      assert.equal(r.header.alg, kind.alg);
      assert.deepEqual(r.key, { kid: iss.kid, alg: kind.alg });
      assert.equal(r.issuer, ISSUER);
      assert.deepEqual(verifier.verifyIdTokenSync(token).payload, r.payload);

      for (const v of tamperedVariants(token)) {
        await fails(verifier, v.token, 'ERR_SIGNATURE_INVALID').catch((e: unknown) => {
          throw new Error(`${kindLabel(kind)} ${v.name}: ${(e as Error).message}`);
        });
      }
    });
  }
});

describe('asymmetric algorithms: key selection and binding', () => {
  test('one verifier with every key: each token finds its key by kid', async () => {
    const issuers = await Promise.all(ASYMMETRIC_KINDS.map((k) => issuerFor(k)));
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: issuers.map((i) => i.jwk!) },
      now: () => NOW_MS,
    });
    for (const iss of issuers) {
      const r = await verifier.verifyIdToken(await iss.sign(idTokenClaims()));
      assert.equal(r.key.kid, iss.kid);
    }
  });

  test('without kid: the key fitting the alg (JWK alg, kty, crv) is found', async () => {
    const issuers = await Promise.all(ASYMMETRIC_KINDS.map((k) => issuerFor(k)));
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: issuers.map((i) => i.jwk!) },
      now: () => NOW_MS,
    });
    for (const iss of issuers) {
      const token = await iss.sign(idTokenClaims(), { kid: undefined });
      const r = verifier.verifyIdTokenSync(token);
      assert.equal(r.key.kid, iss.kid, kindLabel(iss));
    }
  });

  test('signed by another key of the same kind under the same kid: ERR_SIGNATURE_INVALID', async () => {
    for (const kind of ASYMMETRIC_KINDS) {
      const real = await issuerFor(kind);
      const other = await issuerFor(kind, 'impostor');
      const token = await other.sign(idTokenClaims(), { kid: real.kid });
      await fails(verifierFor(real), token, 'ERR_SIGNATURE_INVALID');
    }
  });

  test('allowlist: an alg outside `algorithms` is ERR_ALG_NOT_ALLOWED even with a fitting key', async () => {
    const es = await makeIssuer('ES256');
    const verifier = verifierFor(es, { algorithms: ['RS256', 'EdDSA'] });
    await fails(verifier, await es.sign(idTokenClaims()), 'ERR_ALG_NOT_ALLOWED');
  });

  test('RS256-declared JWK does not verify a PS256 token from the same RSA key pair', async () => {
    const ps = await makeIssuer('PS256');
    // Publish PS256's modulus declared as RS256: the PS256 token must not be accepted.
    const jwk = { ...ps.jwk!, alg: 'RS256' };
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] }, now: () => NOW_MS });
    await fails(verifier, await ps.sign(idTokenClaims()), 'ERR_KEY_NOT_FOUND');
  });
});

describe('HS256/384/512: only with clientSecret', () => {
  for (const kind of SYMMETRIC_KINDS) {
    test(`${kind.alg} with clientSecret: valid and tampered`, async () => {
      const iss = await issuerFor(kind);
      const verifier = verifierFor(iss);
      const token = await iss.sign(idTokenClaims());
      const r = await verifier.verifyIdToken(token);
      assert.equal(r.header.alg, kind.alg);
      assert.equal(r.key.alg, kind.alg);
      assert.equal(verifier.verifyIdTokenSync(token).payload.sub, 'user-123');
      for (const v of tamperedVariants(token)) await fails(verifier, v.token, 'ERR_SIGNATURE_INVALID');
    });

    test(`${kind.alg} without clientSecret: ERR_ALG_NOT_ALLOWED`, async () => {
      const iss = await issuerFor(kind);
      const rsa = await makeIssuer('RS256');
      const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: rsa.jwks, now: () => NOW_MS });
      const err = await fails(verifier, await iss.sign(idTokenClaims()), 'ERR_ALG_NOT_ALLOWED');
      assert.match(err.message, new RegExp(kind.alg));
    });

    test(`${kind.alg} with a different clientSecret: ERR_SIGNATURE_INVALID`, async () => {
      const iss = await issuerFor(kind);
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [] },
        clientSecret: 'another-secret-of-enough-length-0123456789',
        now: () => NOW_MS,
      });
      const err = await fails(verifier, await iss.sign(idTokenClaims()), 'ERR_SIGNATURE_INVALID');
      assert.ok(!err.message.includes('another-secret'), 'message leaks the secret');
    });
  }

  test('HS* in `algorithms` without clientSecret is ERR_CONFIG at createVerifier', () => {
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      assert.throws(
        () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] }, algorithms: [alg] }),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
      );
    }
  });

  test('clientSecret with an asymmetric-only allowlist: HS256 is ERR_ALG_NOT_ALLOWED', async () => {
    const iss = await makeIssuer('HS256');
    const verifier = verifierFor(iss, { algorithms: ['RS256'] });
    await fails(verifier, await iss.sign(idTokenClaims()), 'ERR_ALG_NOT_ALLOWED');
  });

  test('with clientSecret the asymmetric algorithms stay allowed by default', async () => {
    const rsa = await makeIssuer('RS256');
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: rsa.jwks,
      clientSecret: 'secret-0123456789-0123456789-0123',
      now: () => NOW_MS,
    });
    assert.equal((await verifier.verifyIdToken(await rsa.sign(idTokenClaims()))).key.alg, 'RS256');
  });
});

test('every kind is covered (15: 6 RSA, 4 ECDSA, 2 EdDSA curves, 3 HMAC)', () => {
  assert.equal(ALL_KINDS.length, 15);
  assert.equal(ASYMMETRIC_KINDS.length, 12);
  assert.equal(SYMMETRIC_KINDS.length, 3);
});

test('the fully specified name Ed25519 (RFC 9864) end to end: verified, allowlisted on its own, at_hash with SHA-512', async () => {
  const ed = await makeIssuer('EdDSA');
  const ed448 = await makeIssuer('EdDSA', { crv: 'Ed448' });
  const accessToken = 'access-token-value';
  const digest = createHash('sha512').update(accessToken).digest();
  const atHash = digest.subarray(0, 32).toString('base64url');
  const token = await ed.sign(idTokenClaims({ at_hash: atHash }), { alg: 'Ed25519' });
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [ed448.jwk!, ed.jwk!] }, now: () => NOW_MS });
  const r = await verifier.verifyIdToken(token, { accessToken });
  assert.deepEqual(r.key, { kid: ed.kid, alg: 'Ed25519' });
  assert.equal(verifier.verifyIdTokenSync(token, { accessToken }).header.alg, 'Ed25519');
  const sha256Hash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
  const wrongHash = await ed.sign(idTokenClaims({ at_hash: sha256Hash }), { alg: 'Ed25519' });
  await assert.rejects(
    verifier.verifyIdToken(wrongHash, { accessToken }),
    (e: unknown) => e instanceof VerifyError && e.code === 'ERR_AT_HASH',
  );
  // Each name is allowlisted on its own.
  const onlyEdDSA = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: ed.jwks, algorithms: ['EdDSA'], now: () => NOW_MS });
  await fails(onlyEdDSA, token, 'ERR_ALG_NOT_ALLOWED');
  const onlyEd25519 = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: ed.jwks, algorithms: ['Ed25519'], now: () => NOW_MS });
  await onlyEd25519.verifyIdToken(token, { accessToken });
  await fails(onlyEd25519, await ed.sign(idTokenClaims()), 'ERR_ALG_NOT_ALLOWED');
  // Ed25519 names one curve: an Ed448 key under the token's kid cannot verify it.
  await fails(verifier, await ed448.sign(idTokenClaims(), { alg: 'Ed25519', kid: ed448.kid }), 'ERR_KEY_NOT_FOUND');
});
