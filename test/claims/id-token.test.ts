import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, ClaimError, VerifyError, hashClaimValue, type ErrorCode, type Verifier } from '../../src/index.js';
import { AUDIENCE, ISSUER, NOW_MS, NOW_S, idTokenClaims, makeIssuer, type TestIssuer } from '../support/sign.js';

let es: TestIssuer;
let verifier: Verifier;

async function expectCode(p: Promise<unknown>, code: ErrorCode, claim?: string): Promise<VerifyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof VerifyError, `expected VerifyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (claim !== undefined) {
      assert.ok(err instanceof ClaimError);
      assert.equal(err.claim, claim);
    }
    return err;
  }
  assert.fail(`expected ${code}, but verification passed`);
}

before(async () => {
  es = await makeIssuer('ES256');
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks, now: () => NOW_MS });
});

describe('ID token claims (OIDC Core §3.1.3.7)', () => {
  it('accepts a valid token and returns header, payload, issuer and key', async () => {
    const r = await verifier.verifyIdToken(await es.sign(idTokenClaims()));
    assert.equal(r.payload.sub, 'user-123');
    assert.equal(r.issuer, ISSUER);
    assert.deepEqual(r.key, { kid: es.kid, alg: 'ES256' });
    assert.equal(verifier.verifyIdTokenSync(await es.sign(idTokenClaims())).payload.iss, ISSUER);
  });

  it('iss must match exactly, and the message names expected and actual', async () => {
    const err = await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ iss: `${ISSUER}/` }))), 'ERR_ISSUER', 'iss');
    assert.match(err.message, /expected "https:\/\/issuer\.test\.example", got "https:\/\/issuer\.test\.example\/"/);
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ iss: undefined }))), 'ERR_CLAIM_MISSING', 'iss');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ iss: 42 }))), 'ERR_CLAIM_INVALID', 'iss');
  });

  it('aud: string or array containing the client id', async () => {
    await verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: [AUDIENCE] })));
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: 'other' }))), 'ERR_AUDIENCE', 'aud');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: [] }))), 'ERR_CLAIM_INVALID', 'aud');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: [AUDIENCE, 7] }))), 'ERR_CLAIM_INVALID', 'aud');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: undefined }))), 'ERR_CLAIM_MISSING', 'aud');
  });

  it('several audiences require azp, and azp must be an accepted client id', async () => {
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: [AUDIENCE, 'api'] }))), 'ERR_AZP', 'azp');
    await verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: [AUDIENCE, 'api'], azp: AUDIENCE })));
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ aud: [AUDIENCE, 'api'], azp: 'api' }))), 'ERR_AZP', 'azp');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ azp: 'someone-else' }))), 'ERR_AZP', 'azp');
  });

  it('accepts any of several configured audiences', async () => {
    const v = createVerifier({ issuer: ISSUER, audience: ['a', AUDIENCE], jwks: es.jwks, now: () => NOW_MS });
    await v.verifyIdToken(await es.sign(idTokenClaims()));
  });

  it('exp is required and must be in the future, with clock tolerance', async () => {
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ exp: NOW_S }))), 'ERR_EXPIRED', 'exp');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ exp: undefined }))), 'ERR_CLAIM_MISSING', 'exp');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ exp: '9999999999' }))), 'ERR_CLAIM_INVALID', 'exp');
    const tolerant = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks, now: () => NOW_MS, clockTolerance: 30 });
    await tolerant.verifyIdToken(await es.sign(idTokenClaims({ exp: NOW_S - 29 })));
    await expectCode(tolerant.verifyIdToken(await es.sign(idTokenClaims({ exp: NOW_S - 30 }))), 'ERR_EXPIRED');
  });

  it('nbf is respected', async () => {
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ nbf: NOW_S + 5 }))), 'ERR_NOT_BEFORE', 'nbf');
    await verifier.verifyIdToken(await es.sign(idTokenClaims({ nbf: NOW_S })));
  });

  it('iat is required, not in the future, and maxTokenAge bounds it', async () => {
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ iat: NOW_S + 60 }))), 'ERR_IAT', 'iat');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ iat: undefined }))), 'ERR_CLAIM_MISSING', 'iat');
    const aged = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks, now: () => NOW_MS, maxTokenAge: 300 });
    await aged.verifyIdToken(await es.sign(idTokenClaims({ iat: NOW_S - 300 })));
    await expectCode(aged.verifyIdToken(await es.sign(idTokenClaims({ iat: NOW_S - 301 }))), 'ERR_IAT', 'iat');
  });

  it('sub is a required string', async () => {
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ sub: undefined }))), 'ERR_CLAIM_MISSING', 'sub');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ sub: 12 }))), 'ERR_CLAIM_INVALID', 'sub');
  });

  it('nonce must match when expected', async () => {
    const t = await es.sign(idTokenClaims({ nonce: 'n-1' }));
    await verifier.verifyIdToken(t, { nonce: 'n-1' });
    const err = await expectCode(verifier.verifyIdToken(t, { nonce: 'n-2' }), 'ERR_NONCE', 'nonce');
    assert.match(err.message, /expected "n-2", got "n-1"/);
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims()), { nonce: 'n-1' }), 'ERR_NONCE', 'nonce');
  });

  it('maxAge requires auth_time and enforces it', async () => {
    await verifier.verifyIdToken(await es.sign(idTokenClaims({ auth_time: NOW_S - 60 })), { maxAge: 60 });
    await expectCode(
      verifier.verifyIdToken(await es.sign(idTokenClaims({ auth_time: NOW_S - 61 })), { maxAge: 60 }),
      'ERR_AUTH_TIME',
      'auth_time',
    );
    await expectCode(
      verifier.verifyIdToken(await es.sign(idTokenClaims({ auth_time: undefined })), { maxAge: 60 }),
      'ERR_AUTH_TIME',
      'auth_time',
    );
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ auth_time: 'yesterday' }))), 'ERR_CLAIM_INVALID', 'auth_time');
  });

  it('acrValues checks acr', async () => {
    await verifier.verifyIdToken(await es.sign(idTokenClaims({ acr: 'urn:mace:incommon:iap:silver' })), {
      acrValues: ['urn:mace:incommon:iap:silver'],
    });
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims({ acr: '0' })), { acrValues: ['1', '2'] }), 'ERR_ACR', 'acr');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims()), { acrValues: ['1'] }), 'ERR_ACR', 'acr');
  });

  it('at_hash, c_hash, s_hash are checked when the value is given, and required by response type', async () => {
    const at = 'access-token-value';
    const code = 'auth-code-value';
    const state = 'state-value';
    const claims = idTokenClaims({
      at_hash: hashClaimValue(at, 'ES256'),
      c_hash: hashClaimValue(code, 'ES256'),
      s_hash: hashClaimValue(state, 'ES256'),
    });
    const t = await es.sign(claims);
    await verifier.verifyIdToken(t, { accessToken: at, code, state, responseType: 'code id_token token', requireSHash: true });
    await expectCode(verifier.verifyIdToken(t, { accessToken: 'other' }), 'ERR_AT_HASH', 'at_hash');
    await expectCode(verifier.verifyIdToken(t, { code: 'other' }), 'ERR_C_HASH', 'c_hash');
    await expectCode(verifier.verifyIdToken(t, { state: 'other' }), 'ERR_S_HASH', 's_hash');
    const plain = await es.sign(idTokenClaims());
    await verifier.verifyIdToken(plain, { accessToken: at, code });
    await expectCode(verifier.verifyIdToken(plain, { accessToken: at, responseType: 'id_token token' }), 'ERR_AT_HASH', 'at_hash');
    await expectCode(verifier.verifyIdToken(plain, { code, responseType: 'code id_token' }), 'ERR_C_HASH', 'c_hash');
    await expectCode(verifier.verifyIdToken(plain, { requireAtHash: true }), 'ERR_AT_HASH');
    await expectCode(verifier.verifyIdToken(plain, { requireCHash: true }), 'ERR_C_HASH');
    await expectCode(verifier.verifyIdToken(plain, { requireSHash: true }), 'ERR_S_HASH');
  });

  it('computes hash claims per alg: SHA-256/384/512, Ed25519 SHA-512, Ed448 SHAKE256', () => {
    // OIDC Core §A.4: the c_hash of this code in an RS256 ID token.
    assert.equal(hashClaimValue('Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk', 'RS256'), 'LDktKdoQak3Pk0cnXxCltA');
    assert.equal(hashClaimValue('x', 'RS256')!.length, 22);
    assert.equal(hashClaimValue('x', 'RS384')!.length, 32);
    assert.equal(hashClaimValue('x', 'RS512')!.length, 43);
    assert.equal(hashClaimValue('x', 'EdDSA', 'Ed25519'), hashClaimValue('x', 'RS512'));
    assert.equal(hashClaimValue('x', 'EdDSA', 'Ed448')!.length, 76);
    assert.notEqual(hashClaimValue('x', 'EdDSA', 'Ed448'), hashClaimValue('x', 'EdDSA', 'Ed25519'));
  });

  it('typ must be absent or JWT: at+jwt and logout+jwt are refused', async () => {
    await verifier.verifyIdToken(await es.sign(idTokenClaims(), { typ: 'application/JWT' }));
    await verifier.verifyIdToken(await es.sign(idTokenClaims(), { typ: undefined }));
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims(), { typ: 'at+jwt' })), 'ERR_TYP');
    await expectCode(verifier.verifyIdToken(await es.sign(idTokenClaims(), { typ: 'logout+jwt' })), 'ERR_TYP');
  });

  it('the last-typ and last-issuer shortcuts never carry one token’s result to the next', async () => {
    // Alternating values: each one must be judged on its own, not by the value seen just before.
    const typs: [string | undefined, boolean][] = [
      ['JWT', true],
      ['at+jwt', false],
      ['JWT', true],
      ['application/at+jwt', false],
      ['jwt', true],
      ['JWT', true],
      ['logout+jwt', false],
      [undefined, true],
      ['logout+jwt', false],
    ];
    for (const [typ, ok] of typs) {
      const p = verifier.verifyIdToken(await es.sign(idTokenClaims(), { typ }));
      if (ok) await p;
      else await expectCode(p, 'ERR_TYP');
    }
    const other = await makeIssuer('ES256', { name: 'second-issuer' });
    const second = 'https://second.example.com';
    const v = createVerifier({
      issuers: [
        { issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks },
        { issuer: second, audience: AUDIENCE, jwks: other.jwks },
      ],
      now: () => NOW_MS,
    });
    // Each issuer's token verifies with its own keys only, whatever issuer came just before.
    for (const [iss, signer, ok] of [
      [ISSUER, es, true],
      [second, other, true],
      [second, es, false],
      [ISSUER, es, true],
      [ISSUER, other, false],
      [second, other, true],
    ] as const) {
      const p = v.verifyIdToken(await signer.sign(idTokenClaims({ iss })));
      if (ok) assert.equal((await p).issuer, iss);
      else await expectCode(p, 'ERR_KEY_NOT_FOUND');
    }
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ iss: `${second}/` }))), 'ERR_ISSUER', 'iss');
  });

  it('requiredClaims and a custom validate callback', async () => {
    const v = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: es.jwks,
      now: () => NOW_MS,
      requiredClaims: ['email'],
      validate: ({ payload }) => {
        if (payload.email_verified !== true) throw new Error('email not verified');
      },
    });
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims())), 'ERR_CLAIM_MISSING', 'email');
    const err = await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ email: 'a@b.c' }))), 'ERR_CLAIM_INVALID');
    assert.match(err.message, /email not verified/);
    await v.verifyIdToken(await es.sign(idTokenClaims({ email: 'a@b.c', email_verified: true })));
  });
});

describe('multi-issuer and tenant templates', () => {
  it('selects the issuer by iss, each with its own audience and keys; unknown iss fails with ERR_ISSUER', async () => {
    const rs = await makeIssuer('RS256');
    const v = createVerifier({
      issuers: [
        { issuer: 'https://a.example', audience: 'client-a', jwks: es.jwks },
        { issuer: 'https://b.example', audience: 'client-b', jwks: rs.jwks, algorithms: ['RS256'] },
      ],
      now: () => NOW_MS,
    });
    assert.equal(
      (await v.verifyIdToken(await es.sign(idTokenClaims({ iss: 'https://a.example', aud: 'client-a' })))).issuer,
      'https://a.example',
    );
    assert.equal(
      (await v.verifyIdToken(await rs.sign(idTokenClaims({ iss: 'https://b.example', aud: 'client-b' })))).issuer,
      'https://b.example',
    );
    await expectCode(v.verifyIdToken(await rs.sign(idTokenClaims({ iss: 'https://b.example', aud: 'client-a' }))), 'ERR_AUDIENCE');
    // a's key set does not hold b's key: the issuer decides which keys are trusted
    await expectCode(v.verifyIdToken(await rs.sign(idTokenClaims({ iss: 'https://a.example', aud: 'client-a' }))), 'ERR_KEY_NOT_FOUND');
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ iss: 'https://b.example', aud: 'client-b' }))), 'ERR_ALG_NOT_ALLOWED');
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ iss: 'https://c.example', aud: 'client-a' }))), 'ERR_ISSUER');
  });

  it('issuer templates: the tenant must equal tid and be accepted', async () => {
    const template = 'https://login.example.com/{tenantid}/v2.0';
    const tenant = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const v = createVerifier({ issuer: template, audience: AUDIENCE, jwks: es.jwks, tenants: [tenant], now: () => NOW_MS });
    const iss = `https://login.example.com/${tenant}/v2.0`;
    assert.equal((await v.verifyIdToken(await es.sign(idTokenClaims({ iss, tid: tenant })))).issuer, iss);
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ iss, tid: 'other' }))), 'ERR_ISSUER');
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ iss }))), 'ERR_ISSUER');
    const other = 'aaaaaaaa-0000-0000-0000-000000000000';
    await expectCode(
      v.verifyIdToken(await es.sign(idTokenClaims({ iss: `https://login.example.com/${other}/v2.0`, tid: other }))),
      'ERR_ISSUER',
    );
    await expectCode(
      v.verifyIdToken(await es.sign(idTokenClaims({ iss: `https://login.example.com/a/b/v2.0`, tid: 'a/b' }))),
      'ERR_ISSUER',
    );
    const byPredicate = createVerifier({
      issuer: template,
      audience: AUDIENCE,
      jwks: es.jwks,
      tenants: (t) => t.startsWith('aaaa'),
      now: () => NOW_MS,
    });
    await byPredicate.verifyIdToken(await es.sign(idTokenClaims({ iss: `https://login.example.com/${other}/v2.0`, tid: other })));
  });
});

describe('options are checked at createVerifier (ERR_CONFIG)', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['no issuer', { audience: 'a', jwks: { keys: [] } }],
    ['no audience', { issuer: 'https://i', jwks: { keys: [] } }],
    ['empty audience list', { issuer: 'https://i', audience: [], jwks: { keys: [] } }],
    ['alg none', { issuer: 'https://i', audience: 'a', jwks: { keys: [] }, algorithms: ['none'] }],
    ['HS256 without clientSecret', { issuer: 'https://i', audience: 'a', jwks: { keys: [] }, algorithms: ['HS256'] }],
    ['negative tolerance', { issuer: 'https://i', audience: 'a', jwks: { keys: [] }, clockTolerance: -1 }],
    ['jwks not a set', { issuer: 'https://i', audience: 'a', jwks: { nope: 1 } }],
    ['two key sources', { issuer: 'https://i', audience: 'a', jwks: { keys: [] }, jwksUri: 'https://i/jwks' }],
    ['template without tenants', { issuer: 'https://i/{tenantid}', audience: 'a', jwks: { keys: [] } }],
    ['issuer and issuers', { issuer: 'https://i', audience: 'a', issuers: [{ issuer: 'https://j', audience: 'a', jwks: { keys: [] } }] }],
  ];
  for (const [name, options] of bad) {
    it(name, () => {
      assert.throws(
        () => createVerifier(options),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
      );
    });
  }

  it('bad per-call options reject with ERR_CONFIG', async () => {
    const t = await es.sign(idTokenClaims());
    await expectCode(verifier.verifyIdToken(t, { nonce: 5 as never }), 'ERR_CONFIG');
    await expectCode(verifier.verifyIdToken(t, { maxAge: -1 }), 'ERR_CONFIG');
  });
});
