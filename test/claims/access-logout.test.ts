import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, VerifyError, BACKCHANNEL_LOGOUT_EVENT, type ErrorCode, type Verifier } from '../../src/index.js';
import { ISSUER, NOW_MS, NOW_S, makeIssuer, type TestIssuer } from '../support/sign.js';

const API = 'https://api.example.com';
let es: TestIssuer;
let verifier: Verifier;

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof VerifyError && e.code === code);
}

function atClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const c: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'u1',
    aud: API,
    exp: NOW_S + 300,
    iat: NOW_S - 5,
    jti: 'j1',
    client_id: 'c1',
    scope: 'read write',
    ...over,
  };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

function logoutClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const c: Record<string, unknown> = {
    iss: ISSUER,
    aud: 'client-1',
    iat: NOW_S - 1,
    exp: NOW_S + 120,
    jti: 'l1',
    sid: 's1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...over,
  };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

before(async () => {
  es = await makeIssuer('ES256');
  verifier = createVerifier({ issuer: ISSUER, audience: [API, 'client-1'], jwks: es.jwks, now: () => NOW_MS });
});

describe('JWT access tokens (RFC 9068)', () => {
  it('accepts an at+jwt token and checks scopes', async () => {
    const t = await es.sign(atClaims(), { typ: 'at+jwt' });
    assert.equal((await verifier.verifyAccessToken(t, { requiredScopes: ['read'] })).payload.client_id, 'c1');
    assert.equal(verifier.verifyAccessTokenSync(await es.sign(atClaims(), { typ: 'application/at+jwt' })).payload.jti, 'j1');
    await expectCode(verifier.verifyAccessToken(t, { requiredScopes: ['admin'] }), 'ERR_SCOPE');
    await expectCode(
      verifier.verifyAccessToken(await es.sign(atClaims({ scope: undefined }), { typ: 'at+jwt' }), { requiredScopes: ['read'] }),
      'ERR_SCOPE',
    );
  });

  it('requires typ at+jwt, so an ID token is never taken as an access token (RFC 9068 §4)', async () => {
    await expectCode(verifier.verifyAccessToken(await es.sign(atClaims(), { typ: 'JWT' })), 'ERR_TYP');
    await expectCode(verifier.verifyAccessToken(await es.sign(atClaims(), { typ: undefined })), 'ERR_TYP');
    await expectCode(verifier.verifyIdToken(await es.sign({ ...atClaims(), aud: 'client-1' }, { typ: 'at+jwt' })), 'ERR_TYP');
  });

  it('requires client_id, jti, sub, exp, iat and the resource audience', async () => {
    for (const claim of ['client_id', 'jti', 'sub', 'exp', 'iat']) {
      await expectCode(verifier.verifyAccessToken(await es.sign(atClaims({ [claim]: undefined }), { typ: 'at+jwt' })), 'ERR_CLAIM_MISSING');
    }
    await expectCode(
      verifier.verifyAccessToken(await es.sign(atClaims({ aud: 'https://other.example' }), { typ: 'at+jwt' })),
      'ERR_AUDIENCE',
    );
    await expectCode(verifier.verifyAccessToken(await es.sign(atClaims({ exp: NOW_S - 1 }), { typ: 'at+jwt' })), 'ERR_EXPIRED');
  });
});

describe('logout tokens (Back-Channel Logout 1.0 §2.6)', () => {
  it('accepts a valid logout token with sid or sub', async () => {
    assert.equal((await verifier.verifyLogoutToken(await es.sign(logoutClaims(), { typ: 'logout+jwt' }))).payload.sid, 's1');
    await verifier.verifyLogoutToken(await es.sign(logoutClaims({ sid: undefined, sub: 'u1' }), { typ: undefined }));
    assert.equal(verifier.verifyLogoutTokenSync(await es.sign(logoutClaims())).payload.jti, 'l1');
  });

  it('rejects missing events, wrong event type, nonce, no sub/sid, missing jti, wrong typ', async () => {
    await expectCode(verifier.verifyLogoutToken(await es.sign(logoutClaims({ events: undefined }))), 'ERR_CLAIM_MISSING');
    await expectCode(
      verifier.verifyLogoutToken(await es.sign(logoutClaims({ events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } }))),
      'ERR_CLAIM_INVALID',
    );
    await expectCode(verifier.verifyLogoutToken(await es.sign(logoutClaims({ events: { other: {} } }))), 'ERR_CLAIM_INVALID');
    await expectCode(verifier.verifyLogoutToken(await es.sign(logoutClaims({ nonce: 'n' }))), 'ERR_CLAIM_INVALID');
    await expectCode(verifier.verifyLogoutToken(await es.sign(logoutClaims({ sid: undefined }))), 'ERR_CLAIM_MISSING');
    await expectCode(verifier.verifyLogoutToken(await es.sign(logoutClaims({ jti: undefined }))), 'ERR_CLAIM_MISSING');
    await expectCode(verifier.verifyLogoutToken(await es.sign(logoutClaims(), { typ: 'at+jwt' })), 'ERR_TYP');
  });
});
