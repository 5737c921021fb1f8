/**
 * The authorization code flow (PKCE S256, nonce, state) and the hybrid `code id_token token` flow
 * against a real oidc-provider signing with RS256, PS256, ES256 and EdDSA; the library validates
 * what the provider issued through discovery alone (issuer + client id, no keys configured).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar, runAuthorizationFlow, type FlowResult } from '../../src/demo/flow.js';
import { DEMO_ALGORITHMS, startDemoProvider, type DemoProvider } from '../../src/demo/provider.js';
import { createVerifier, type Verifier } from '../../src/index.js';
import { assertCode, decode } from './helpers.js';

for (const alg of DEMO_ALGORITHMS) {
  describe(`code flow with ${alg} signing`, () => {
    let op: DemoProvider;
    let idVerifier: Verifier;
    let code: FlowResult;
    let hybrid: FlowResult;

    before(async () => {
      op = await startDemoProvider({ alg, quiet: true });
      idVerifier = createVerifier({ issuer: op.issuer, audience: op.clientId });
      const jar = new CookieJar();
      code = await runAuthorizationFlow({ ...op.client, jar, resource: op.resource, scope: `openid profile email ${op.resourceScope}` });
      hybrid = await runAuthorizationFlow({ ...op.client, jar, responseType: 'code id_token token' });
    });
    after(async () => {
      idVerifier.close();
      await op.close();
    });

    test('the ID token from /token validates through discovery, nonce checked', async () => {
      const v = await idVerifier.verifyIdToken(code.tokens.id_token, { nonce: code.nonce });
      assert.equal(v.header.alg, alg);
      assert.deepEqual(v.key, { kid: op.signingKid, alg });
      assert.equal(v.issuer, op.issuer);
      assert.equal(v.payload.iss, op.issuer);
      assert.equal(v.payload.aud, op.clientId);
      assert.equal(v.payload.sub, 'alice');
      assert.equal(v.payload.nonce, code.nonce);
      // The provider puts the hash claims only into front-channel ID tokens.
      assert.equal(v.payload.at_hash, undefined);
      assert.equal(v.payload.c_hash, undefined);
    });

    test('the flow checked state and used PKCE S256', () => {
      assert.equal(code.authorization.state, code.state);
      assert.equal(code.authorization.iss, op.issuer);
      assert.match(code.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    });

    test('the JWT access token (RFC 9068) validates for the resource server', async () => {
      const api = createVerifier({ issuer: op.issuer, audience: op.resource });
      try {
        const v = await api.verifyAccessToken(code.tokens.access_token, { requiredScopes: [op.resourceScope] });
        assert.equal(v.header.typ, 'at+jwt');
        assert.equal(v.header.alg, alg);
        assert.equal(v.payload.client_id, op.clientId);
        assert.equal(v.payload.sub, 'alice');
        await assertCode(api.verifyAccessToken(code.tokens.access_token, { requiredScopes: ['admin'] }), 'ERR_SCOPE');
      } finally {
        api.close();
      }
    });

    test('the hybrid ID token carries c_hash and at_hash, and both are checked', async () => {
      const a = hybrid.authorization;
      assert.ok(a.id_token !== undefined && a.access_token !== undefined);
      // No resource indicator: the access token is the provider's opaque one, hashed all the same.
      assert.equal(a.access_token.split('.').length, 1);
      const v = await idVerifier.verifyIdToken(a.id_token, {
        nonce: hybrid.nonce,
        code: a.code,
        accessToken: a.access_token,
        responseType: 'code id_token token',
      });
      assert.equal(typeof v.payload.c_hash, 'string');
      assert.equal(typeof v.payload.at_hash, 'string');
      // EdDSA (Ed25519) hashes with SHA-512: the left half is 32 bytes, else 16.
      assert.equal(Buffer.from(v.payload.at_hash!, 'base64url').length, alg === 'EdDSA' ? 32 : 16);
      await assertCode(
        idVerifier.verifyIdToken(a.id_token, { nonce: hybrid.nonce, code: a.code, accessToken: code.tokens.access_token }),
        'ERR_AT_HASH',
      );
      await assertCode(
        idVerifier.verifyIdToken(a.id_token, { nonce: hybrid.nonce, code: code.code, accessToken: a.access_token }),
        'ERR_C_HASH',
      );
      // The code exchange of the hybrid flow gives an ID token for the same session.
      const fromToken = await idVerifier.verifyIdToken(hybrid.tokens.id_token, { nonce: hybrid.nonce });
      assert.equal(fromToken.payload.sub, v.payload.sub);
    });

    test("an allowlist without the provider's alg refuses its tokens before any key lookup", async () => {
      const other = alg === 'ES256' ? 'RS256' : 'ES256';
      const strict = createVerifier({ issuer: op.issuer, audience: op.clientId, algorithms: [other] });
      try {
        await assertCode(strict.verifyIdToken(code.tokens.id_token), 'ERR_ALG_NOT_ALLOWED');
        assert.equal(decode(code.tokens.id_token).header.alg, alg);
      } finally {
        strict.close();
      }
    });
  });
}
