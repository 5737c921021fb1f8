/**
 * Mutations of real tokens from oidc-provider, after the OpenID Foundation's RP certification
 * tests (named in each test). Where the mutation must not be a signature failure, the mutated
 * claims are re-signed with the provider's own private key, so the claim rule alone decides.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tamperSignature } from '../../src/demo/demo-checks.js';
import { CookieJar, runAuthorizationFlow, type FlowResult } from '../../src/demo/flow.js';
import { generateSigningKey, startDemoProvider, type DemoProvider, type PrivateJwk } from '../../src/demo/provider.js';
import { createVerifier, type Verifier } from '../../src/index.js';
import { assertCode, decode, resign, unsecured } from './helpers.js';

describe('mutated tokens from a real provider (RS256)', () => {
  let op: DemoProvider;
  let verifier: Verifier;
  let code: FlowResult;
  let hybrid: FlowResult;
  let idToken: string;
  let key: PrivateJwk;
  /** The token's own times: the clock is the real one, tokens are minutes old at most. */
  let iat: number;

  before(async () => {
    op = await startDemoProvider({ alg: 'RS256', quiet: true });
    verifier = createVerifier({ issuer: op.issuer, audience: op.clientId });
    const jar = new CookieJar();
    code = await runAuthorizationFlow({ ...op.client, jar });
    hybrid = await runAuthorizationFlow({ ...op.client, jar, responseType: 'code id_token token' });
    idToken = code.tokens.id_token;
    key = op.privateJwks()[0]!;
    iat = decode(idToken).payload.iat as number;
    // The unmutated token validates: every rejection below is the mutation's doing.
    await verifier.verifyIdToken(idToken, { nonce: code.nonce });
  });
  after(async () => {
    verifier.close();
    await op.close();
  });

  test('a re-signed but unchanged token validates (the re-signing is sound)', async () => {
    const same = await resign(idToken, key, () => undefined);
    await verifier.verifyIdToken(same, { nonce: code.nonce });
  });

  test('rp-id_token-bad-sig-rs256: a changed signature', async () => {
    await assertCode(verifier.verifyIdToken(tamperSignature(idToken), { nonce: code.nonce }), 'ERR_SIGNATURE_INVALID');
  });

  test('rp-id_token-bad-sig-rs256: a changed claim under the original signature', async () => {
    const [h, , s] = idToken.split('.');
    const payload = { ...decode(idToken).payload, sub: 'mallory' };
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    await assertCode(verifier.verifyIdToken(forged, { nonce: code.nonce }), 'ERR_SIGNATURE_INVALID');
  });

  test('rp-id_token-bad-sig-rs256: signed by a key the provider does not hold, same kid', async () => {
    const stranger = { ...(await generateSigningKey('RS256')), kid: key.kid };
    await assertCode(
      verifier.verifyIdToken(await resign(idToken, stranger, () => undefined), { nonce: code.nonce }),
      'ERR_SIGNATURE_INVALID',
    );
  });

  test('rp-id_token-sig-none: alg none, with and without the signature', async () => {
    await assertCode(verifier.verifyIdToken(unsecured(idToken), { nonce: code.nonce }), 'ERR_ALG_NOT_ALLOWED');
    const [, p, s] = idToken.split('.');
    const h = Buffer.from(JSON.stringify({ ...decode(idToken).header, alg: 'none' })).toString('base64url');
    await assertCode(verifier.verifyIdToken(`${h}.${p}.${s}`, { nonce: code.nonce }), 'ERR_ALG_NOT_ALLOWED');
  });

  test('alg confusion: HS256 keyed with the public key is refused (no client secret configured)', async () => {
    const { createHmac } = await import('node:crypto');
    const pub = JSON.stringify(op.publicJwks().keys[0]);
    const h = Buffer.from(JSON.stringify({ ...decode(idToken).header, alg: 'HS256' })).toString('base64url');
    const p = idToken.split('.')[1]!;
    const sig = createHmac('sha256', pub).update(`${h}.${p}`).digest('base64url');
    await assertCode(verifier.verifyIdToken(`${h}.${p}.${sig}`, { nonce: code.nonce }), 'ERR_ALG_NOT_ALLOWED');
  });

  test("rp-nonce-invalid: the request nonce differs from the token's", async () => {
    await assertCode(verifier.verifyIdToken(idToken, { nonce: 'a-different-request' }), 'ERR_NONCE');
    const other = await resign(idToken, key, (_h, p) => {
      p.nonce = 'replayed-from-another-login';
    });
    await assertCode(verifier.verifyIdToken(other, { nonce: code.nonce }), 'ERR_NONCE');
    const none = await resign(idToken, key, (_h, p) => {
      delete p.nonce;
    });
    await assertCode(verifier.verifyIdToken(none, { nonce: code.nonce }), 'ERR_NONCE');
  });

  test('rp-id_token-aud: aud names another client', async () => {
    const t = await resign(idToken, key, (_h, p) => {
      p.aud = 'another-client';
    });
    await assertCode(verifier.verifyIdToken(t, { nonce: code.nonce }), 'ERR_AUDIENCE');
    const both = await resign(idToken, key, (_h, p) => {
      p.aud = [op.clientId, 'another-client'];
      p.azp = 'another-client';
    });
    await assertCode(verifier.verifyIdToken(both, { nonce: code.nonce }), 'ERR_AZP');
  });

  test('rp-id_token-issuer-mismatch: iss is another issuer', async () => {
    const t = await resign(idToken, key, (_h, p) => {
      p.iss = 'https://issuer.example.com';
    });
    await assertCode(verifier.verifyIdToken(t, { nonce: code.nonce }), 'ERR_ISSUER');
    const slash = await resign(idToken, key, (_h, p) => {
      p.iss = `${op.issuer}/`;
    });
    await assertCode(verifier.verifyIdToken(slash, { nonce: code.nonce }), 'ERR_ISSUER');
  });

  test('rp-id_token-iat: iat in the future, and iat missing', async () => {
    const future = await resign(idToken, key, (_h, p) => {
      p.iat = iat + 3600;
    });
    await assertCode(verifier.verifyIdToken(future, { nonce: code.nonce }), 'ERR_IAT');
    const missing = await resign(idToken, key, (_h, p) => {
      delete p.iat;
    });
    await assertCode(verifier.verifyIdToken(missing, { nonce: code.nonce }), 'ERR_CLAIM_MISSING');
  });

  test('expired: exp in the past (re-signed), and the real token checked after its exp', async () => {
    const t = await resign(idToken, key, (_h, p) => {
      p.exp = iat - 1;
      p.iat = iat - 3600;
    });
    await assertCode(verifier.verifyIdToken(t, { nonce: code.nonce }), 'ERR_EXPIRED');
    const exp = decode(idToken).payload.exp as number;
    const later = createVerifier({ issuer: op.issuer, audience: op.clientId, now: () => (exp + 1) * 1000 });
    try {
      await assertCode(later.verifyIdToken(idToken, { nonce: code.nonce }), 'ERR_EXPIRED');
    } finally {
      later.close();
    }
  });

  test('rp-id_token-sub: sub missing', async () => {
    const t = await resign(idToken, key, (_h, p) => {
      delete p.sub;
    });
    await assertCode(verifier.verifyIdToken(t, { nonce: code.nonce }), 'ERR_CLAIM_MISSING');
  });

  test('rp-id_token-bad-at_hash and rp-id_token-bad-c_hash: hash claims of the hybrid ID token', async () => {
    const a = hybrid.authorization;
    const opts = { nonce: hybrid.nonce, code: a.code, accessToken: a.access_token!, responseType: 'code id_token token' };
    await verifier.verifyIdToken(a.id_token!, opts);
    const flip = (s: string): string => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const badAt = await resign(a.id_token!, key, (_h, p) => {
      p.at_hash = flip(p.at_hash as string);
    });
    await assertCode(verifier.verifyIdToken(badAt, opts), 'ERR_AT_HASH');
    const badC = await resign(a.id_token!, key, (_h, p) => {
      p.c_hash = flip(p.c_hash as string);
    });
    await assertCode(verifier.verifyIdToken(badC, opts), 'ERR_C_HASH');
    // A front-channel response type requires the hash claims: removing them is not a way around.
    const noAt = await resign(a.id_token!, key, (_h, p) => {
      delete p.at_hash;
    });
    await assertCode(verifier.verifyIdToken(noAt, opts), 'ERR_AT_HASH');
    const noC = await resign(a.id_token!, key, (_h, p) => {
      delete p.c_hash;
    });
    await assertCode(verifier.verifyIdToken(noC, opts), 'ERR_C_HASH');
  });

  test('typ confusion: the JWT access token is refused as an ID token, the ID token as a logout token', async () => {
    const withResource = await runAuthorizationFlow({ ...op.client, resource: op.resource, scope: `openid ${op.resourceScope}` });
    await assertCode(verifier.verifyIdToken(withResource.tokens.access_token), 'ERR_TYP');
    await assertCode(verifier.verifyLogoutToken(idToken), 'ERR_CLAIM_MISSING');
  });

  describe('kid absent', () => {
    let before2: PrivateJwk[];
    before(async () => {
      // Several keys in the JWKS: a second RSA key first, the original one kept.
      await op.rotateKeys();
      before2 = op.privateJwks();
      assert.equal(before2.length, 2);
    });

    test('rp-id_token-kid-absent-multiple-jwks: every key that fits the alg is tried; the right one verifies', async () => {
      const fresh = createVerifier({ issuer: op.issuer, audience: op.clientId });
      try {
        // Signed by the second key of the JWKS, so trying only the first would fail.
        const t = await resign(idToken, before2[1]!, (h) => {
          delete h.kid;
        });
        const v = await fresh.verifyIdToken(t, { nonce: code.nonce });
        assert.equal(v.key.kid, before2[1]!.kid);
        const stranger = await resign(idToken, await generateSigningKey('RS256'), (h) => {
          delete h.kid;
        });
        await assertCode(fresh.verifyIdToken(stranger, { nonce: code.nonce }), 'ERR_SIGNATURE_INVALID');
      } finally {
        fresh.close();
      }
    });

    test('kid absent and the alg fits no key: ERR_KEY_NOT_FOUND', async () => {
      const fresh = createVerifier({ issuer: op.issuer, audience: op.clientId });
      try {
        const ec = await resign(idToken, await generateSigningKey('ES256'), (h) => {
          delete h.kid;
          h.alg = 'ES256';
        });
        await assertCode(fresh.verifyIdToken(ec, { nonce: code.nonce }), 'ERR_KEY_NOT_FOUND');
      } finally {
        fresh.close();
      }
    });
  });
});
