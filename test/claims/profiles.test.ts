// The token profiles (ID, access, logout; src/claims/*-token.ts, hash-claim.ts, token-profiles.ts)
// called directly with an injected clock: each rule, its boundary and its error fields are pinned.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ClaimError } from '../../src/errors.js';
import { checkAccessTokenClaims } from '../../src/claims/access-token.js';
import { checkHashClaim, hashClaimValue } from '../../src/claims/hash-claim.js';
import { checkIdTokenClaims, responseTypeProblem, type IdTokenCheckOptions } from '../../src/claims/id-token.js';
import { BACKCHANNEL_LOGOUT_EVENT, checkLogoutTokenClaims } from '../../src/claims/logout-token.js';
import { TOKEN_PROFILES } from '../../src/claims/token-profiles.js';
import type { ClaimClock, ProfileRules } from '../../src/claims/rules.js';
import type { JoseHeader, JwtPayload } from '../../src/jose/types.js';
import { throwsClaim } from '../support/claims.js';

const clock: ClaimClock = { now: 1000.5, tolerance: 10 };
const CLIENT = 'client-1';
const rules = (requiredClaims: string[] = []): ProfileRules => ({
  audiences: new Set([CLIENT]),
  times: { requireExp: true, requireIat: true },
  requiredClaims,
});
const h = (o: Record<string, unknown> = {}): JoseHeader => ({ alg: 'ES256', ...o });

function claims(base: Record<string, unknown>, over: Record<string, unknown>): JwtPayload {
  const c: Record<string, unknown> = { ...base, ...over };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

/** Independent left-half hash (OIDC Core §3.1.3.6), for comparison with hashClaimValue. */
function leftHalf(value: string, hash: string, outputLength?: number): string {
  const d = createHash(hash, outputLength === undefined ? undefined : { outputLength })
    .update(value, 'utf8')
    .digest();
  return d.subarray(0, d.length / 2).toString('base64url');
}

describe('ID token profile (OIDC Core §3.1.3.7)', () => {
  const id = (over: Record<string, unknown> = {}) => claims({ iss: 'https://op', sub: 'u1', aud: CLIENT, exp: 1100, iat: 990 }, over);
  const check = (payload: JwtPayload, opts: IdTokenCheckOptions = {}, r = rules(), header = h(), alg = 'ES256', crv?: string) =>
    checkIdTokenClaims(header, payload, clock, r, opts, alg, crv);

  it('accepts a minimal token; typ JWT or absent, not at+jwt', () => {
    check(id());
    check(id(), {}, rules(), h({ typ: 'JWT' }));
    throwsClaim(() => check(id(), {}, rules(), h({ typ: 'at+jwt' })), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'mismatch',
      message: 'header "typ" mismatch: expected "jwt" or absent, got "at+jwt"',
      expected: ['jwt'],
      actual: 'at+jwt',
    });
  });

  it('audience, times, sub and events are checked', () => {
    assert.throws(
      () => check(id({ aud: 'other' })),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_AUDIENCE',
    );
    assert.throws(
      () => check(id({ exp: 990 })),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_EXPIRED',
    );
    assert.throws(
      () => check(id({ exp: undefined })),
      (e: unknown) => e instanceof ClaimError && e.claim === 'exp',
    );
    assert.throws(
      () => check(id({ sub: '' })),
      (e: unknown) => e instanceof ClaimError && e.reason === 'empty',
    );
    assert.throws(
      () => check(id({ sub: undefined })),
      (e: unknown) => e instanceof ClaimError && e.claim === 'sub',
    );
    throwsClaim(() => check(id({ events: {} })), {
      code: 'ERR_CLAIM_INVALID',
      claim: 'events',
      reason: 'forbidden',
      message: '"events" claim must not be present in an ID token: it marks a logout token (Back-Channel Logout §2.4)',
      actual: {},
    });
  });

  it('azp: required with several audiences, and must be an accepted client', () => {
    throwsClaim(() => check(id({ aud: [CLIENT, 'api'] })), {
      code: 'ERR_AZP',
      claim: 'azp',
      reason: 'missing',
      message: '"azp" is required when "aud" has 2 values',
      expected: [CLIENT],
    });
    check(id({ aud: [CLIENT, 'api'], azp: CLIENT }));
    check(id({ azp: CLIENT }));
    check(id({ aud: [CLIENT] }));
    throwsClaim(() => check(id({ azp: 'api' })), {
      code: 'ERR_AZP',
      claim: 'azp',
      reason: 'mismatch',
      message: '"azp" mismatch: expected one of ["client-1"], got "api"',
      expected: [CLIENT],
      actual: 'api',
    });
    assert.throws(
      () => check(id({ azp: 7 })),
      (e: unknown) => e instanceof ClaimError && e.reason === 'type' && e.claim === 'azp',
    );
  });

  it('nonce: exactly the sent value; a nonce nobody sent is not checked (§3.1.3.7 step 11)', () => {
    check(id({ nonce: 'n1' }), { nonce: 'n1' });
    check(id({ nonce: 'unrequested' }));
    throwsClaim(() => check(id({ nonce: 'n2' }), { nonce: 'n1' }), {
      code: 'ERR_NONCE',
      claim: 'nonce',
      reason: 'mismatch',
      message: '"nonce" mismatch: expected "n1", got "n2"',
      expected: 'n1',
      actual: 'n2',
    });
    throwsClaim(() => check(id(), { nonce: 'n1' }), {
      code: 'ERR_NONCE',
      claim: 'nonce',
      reason: 'missing',
      message: '"nonce" claim is required but missing',
    });
    assert.throws(
      () => check(id({ nonce: 5 })),
      (e: unknown) => e instanceof ClaimError && e.reason === 'type' && e.claim === 'nonce',
    );
  });

  it('acr: one of acrValues when given, anything otherwise', () => {
    check(id({ acr: 'b' }), { acrValues: ['a', 'b'] });
    check(id({ acr: 'zzz' }));
    throwsClaim(() => check(id({ acr: 'c' }), { acrValues: ['a', 'b'] }), {
      code: 'ERR_ACR',
      claim: 'acr',
      reason: 'mismatch',
      message: '"acr" mismatch: expected one of ["a","b"], got "c"',
      expected: ['a', 'b'],
      actual: 'c',
    });
    throwsClaim(() => check(id(), { acrValues: ['a'] }), {
      code: 'ERR_ACR',
      claim: 'acr',
      reason: 'missing',
      message: '"acr" claim is required but missing',
    });
    assert.throws(
      () => check(id({ acr: 1 })),
      (e: unknown) => e instanceof ClaimError && e.reason === 'type' && e.claim === 'acr',
    );
  });

  it('max_age: auth_time required and at most max_age + tolerance seconds ago', () => {
    check(id({ auth_time: 690.5 }), { maxAge: 300 }); // 310 s ago: the limit with the 10 s tolerance
    check(id({ auth_time: 1 })); // no max_age: any age
    throwsClaim(() => check(id({ auth_time: 690.25 }), { maxAge: 300 }), {
      code: 'ERR_AUTH_TIME',
      claim: 'auth_time',
      reason: 'too old',
      message: '"auth_time" is 690.25, 310 s ago, above max_age 300 s',
      expected: '>= 690',
      actual: 690.25,
    });
    throwsClaim(() => check(id(), { maxAge: 300 }), {
      code: 'ERR_AUTH_TIME',
      claim: 'auth_time',
      reason: 'missing',
      message: '"auth_time" claim is required but missing',
    });
    check(id({ auth_time: 0 }), { maxAge: 1000 });
    assert.throws(
      () => check(id({ auth_time: '1' })),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_CLAIM_INVALID' && e.claim === 'auth_time',
    );
  });

  it('auth_time in the future is refused beyond the tolerance, with or without max_age', () => {
    check(id({ auth_time: 1010.5 }));
    check(id({ auth_time: 1010.5 }), { maxAge: 300 });
    for (const opts of [{}, { maxAge: 300 }]) {
      throwsClaim(() => check(id({ auth_time: 1010.75 }), opts), {
        code: 'ERR_AUTH_TIME',
        claim: 'auth_time',
        reason: 'in the future',
        message: '"auth_time" is in the future: 1010.75, now is 1000',
        expected: '<= 1010',
        actual: 1010.75,
      });
    }
  });

  it('response_type decides which hash claims are required (§3.2.2.10, §3.3.2.11)', () => {
    const missing = (claim: string, code: string) => (e: unknown) =>
      e instanceof ClaimError && e.code === code && e.claim === claim && e.reason === 'missing';
    assert.throws(() => check(id(), { responseType: 'id_token token' }), missing('at_hash', 'ERR_AT_HASH'));
    assert.throws(() => check(id(), { responseType: 'code id_token token' }), missing('at_hash', 'ERR_AT_HASH'));
    assert.throws(() => check(id(), { responseType: 'code id_token' }), missing('c_hash', 'ERR_C_HASH'));
    assert.throws(() => check(id(), { requireAtHash: true }), missing('at_hash', 'ERR_AT_HASH'));
    assert.throws(() => check(id(), { requireCHash: true }), missing('c_hash', 'ERR_C_HASH'));
    assert.throws(() => check(id(), { requireSHash: true }), missing('s_hash', 'ERR_S_HASH'));
    // Not from the authorization endpoint's id_token response, or the word is absent: not required.
    check(id(), { responseType: 'id_token' });
    check(id(), { responseType: 'code' });
    check(id(), { responseType: 'code token' });
    check(id(), { responseType: 'token' });
    check(id(), { responseType: 'id_tokentoken' });
    check(id({ c_hash: leftHalf('x', 'sha256') }), { responseType: 'code id_token', requireAtHash: false, requireSHash: false, code: 'x' });
  });

  it('hash claims are compared with the token alg and curve', () => {
    const at = leftHalf('tok', 'sha384');
    check(
      id({ at_hash: at, c_hash: leftHalf('cde', 'sha384'), s_hash: leftHalf('st', 'sha384') }),
      {
        accessToken: 'tok',
        code: 'cde',
        state: 'st',
      },
      rules(),
      h(),
      'ES384',
    );
    assert.throws(
      () => check(id({ at_hash: at }), { accessToken: 'tok' }, rules(), h(), 'ES256'),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_AT_HASH' && e.reason === 'mismatch',
    );
    check(id({ at_hash: leftHalf('tok', 'shake256', 114) }), { accessToken: 'tok' }, rules(), h(), 'EdDSA', 'Ed448');
    assert.throws(
      () => check(id({ c_hash: 'AAAA' }), { code: 'cde' }),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_C_HASH' && e.reason === 'mismatch',
    );
    assert.throws(
      () => check(id({ s_hash: 'AAAA' }), { state: 'st' }),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_S_HASH' && e.reason === 'mismatch',
    );
  });

  it('requiredClaims', () => {
    check(id({ email: 'a@b' }), {}, rules(['email']));
    throwsClaim(() => check(id(), {}, rules(['email'])), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'email',
      reason: 'missing',
      message: '"email" claim is required but missing',
    });
  });
});

describe('responseTypeProblem (RFC 6749 §3.1.1, Multiple Response Types §5)', () => {
  it('accepts every combination, refuses unknown, repeated and combined none', () => {
    for (const rt of ['code', 'id_token', 'code id_token', 'id_token code', 'code id_token token', 'token', 'none']) {
      assert.equal(responseTypeProblem(rt), undefined, rt);
    }
    assert.equal(responseTypeProblem('Code'), '"Code" is not one of code, id_token, token, none (exact case, separated by single spaces)');
    assert.equal(
      responseTypeProblem('code  token'),
      '"" is not one of code, id_token, token, none (exact case, separated by single spaces)',
    );
    assert.equal(responseTypeProblem('code code'), 'a value is repeated');
    assert.equal(responseTypeProblem('none code'), '"none" cannot be combined with other values');
    assert.equal(responseTypeProblem('code none'), '"none" cannot be combined with other values');
  });
});

describe('hash claims (OIDC Core §3.1.3.6, §3.3.2.11)', () => {
  it('hashClaimValue: left half of the alg hash, EdDSA by curve, Ed25519 always SHA-512', () => {
    assert.equal(hashClaimValue('tok', 'RS256'), leftHalf('tok', 'sha256'));
    assert.equal(hashClaimValue('tok', 'PS384'), leftHalf('tok', 'sha384'));
    assert.equal(hashClaimValue('tok', 'ES512'), leftHalf('tok', 'sha512'));
    assert.equal(hashClaimValue('tok', 'HS256'), leftHalf('tok', 'sha256'));
    assert.equal(hashClaimValue('tok', 'EdDSA'), leftHalf('tok', 'sha512'));
    assert.equal(hashClaimValue('tok', 'EdDSA', 'Ed25519'), leftHalf('tok', 'sha512'));
    assert.equal(hashClaimValue('tok', 'EdDSA', 'Ed448'), leftHalf('tok', 'shake256', 114));
    assert.equal(hashClaimValue('tok', 'Ed25519'), leftHalf('tok', 'sha512'));
    assert.equal(hashClaimValue('tok', 'Ed25519', 'Ed448'), leftHalf('tok', 'sha512'));
    assert.equal(hashClaimValue('tok', 'EdDSA', 'Ed448')?.length, 76); // 57 bytes
    assert.equal(hashClaimValue('é', 'RS256'), leftHalf('é', 'sha256'));
    assert.notEqual(hashClaimValue('é', 'RS256'), hashClaimValue('e', 'RS256'));
    assert.equal(hashClaimValue('tok', 'none'), undefined);
    assert.equal(hashClaimValue('tok', 'rs256'), undefined);
  });

  it('checkHashClaim: absent, present without a value to compare, match, mismatch', () => {
    checkHashClaim(undefined, 'at_hash', 'tok', false, 'RS256');
    checkHashClaim('anything', 'at_hash', undefined, false, 'RS256');
    checkHashClaim('anything', 'at_hash', undefined, true, 'RS256');
    checkHashClaim(leftHalf('tok', 'sha256'), 'at_hash', 'tok', true, 'RS256');
    checkHashClaim(leftHalf('tok', 'sha512'), 'at_hash', 'tok', false, 'Ed25519', 'Ed25519');
    throwsClaim(() => checkHashClaim(undefined, 'at_hash', 'tok', true, 'RS256'), {
      code: 'ERR_AT_HASH',
      claim: 'at_hash',
      reason: 'missing',
      message: '"at_hash" claim is required but missing',
    });
    throwsClaim(() => checkHashClaim(undefined, 's_hash', undefined, true, 'RS256'), {
      code: 'ERR_S_HASH',
      claim: 's_hash',
      reason: 'missing',
      message: '"s_hash" claim is required but missing',
    });
    throwsClaim(() => checkHashClaim(7, 'c_hash', undefined, false, 'RS256'), {
      code: 'ERR_CLAIM_INVALID',
      claim: 'c_hash',
      reason: 'type',
      message: '"c_hash" claim must be a string, got 7',
      expected: 'a string',
      actual: 7,
    });
    const at = leftHalf('tok', 'sha256');
    for (const [claim, code, name] of [
      ['at_hash', 'ERR_AT_HASH', 'access token'],
      ['c_hash', 'ERR_C_HASH', 'authorization code'],
      ['s_hash', 'ERR_S_HASH', 'state'],
    ] as const) {
      throwsClaim(() => checkHashClaim('bad', claim, 'tok', false, 'RS256'), {
        code,
        claim,
        reason: 'mismatch',
        message: `"${claim}" does not match the ${name}: expected ${JSON.stringify(at)}, got "bad"`,
        expected: at,
        actual: 'bad',
      });
    }
  });
});

describe('access token profile (RFC 9068 §4)', () => {
  const API = 'client-1';
  const at = (over: Record<string, unknown> = {}) =>
    claims({ iss: 'https://op', sub: 'u1', aud: API, exp: 1100, iat: 990, jti: 'j1', client_id: 'c1', scope: 'read write' }, over);
  const AT = h({ typ: 'at+jwt' });
  const check = (payload: JwtPayload, opts: { requiredScopes?: string[] } = {}, r = rules(), header = AT) =>
    checkAccessTokenClaims(header, payload, clock, r, opts);

  it('typ at+jwt is required', () => {
    check(at());
    check(at(), {}, rules(), h({ typ: 'application/AT+JWT' }));
    throwsClaim(() => check(at(), {}, rules(), h()), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'missing',
      message: 'header "typ" is required: expected "at+jwt"',
      expected: 'at+jwt',
    });
    assert.throws(
      () => check(at(), {}, rules(), h({ typ: 'JWT' })),
      (e: unknown) => e instanceof ClaimError && e.reason === 'mismatch',
    );
  });

  it('aud, times, sub, client_id, jti, no events', () => {
    const code = (c: string, claim: string) => (e: unknown) => e instanceof ClaimError && e.code === c && e.claim === claim;
    assert.throws(() => check(at({ aud: 'x' })), code('ERR_AUDIENCE', 'aud'));
    assert.throws(() => check(at({ exp: 900 })), code('ERR_EXPIRED', 'exp'));
    assert.throws(() => check(at({ sub: '' })), code('ERR_CLAIM_INVALID', 'sub'));
    assert.throws(() => check(at({ sub: undefined })), code('ERR_CLAIM_MISSING', 'sub'));
    assert.throws(() => check(at({ client_id: undefined })), code('ERR_CLAIM_MISSING', 'client_id'));
    assert.throws(() => check(at({ client_id: 1 })), code('ERR_CLAIM_INVALID', 'client_id'));
    assert.throws(() => check(at({ jti: undefined })), code('ERR_CLAIM_MISSING', 'jti'));
    throwsClaim(() => check(at({ events: null })), {
      code: 'ERR_CLAIM_INVALID',
      claim: 'events',
      reason: 'forbidden',
      message: '"events" claim must not be present in an access token: it marks a logout token (Back-Channel Logout §2.4)',
      actual: null,
    });
  });

  it('requiredScopes: every one granted; none asked, no scope needed', () => {
    check(at(), { requiredScopes: ['write', 'read'] });
    check(at({ scope: undefined }));
    check(at({ scope: undefined }), { requiredScopes: [] });
    throwsClaim(() => check(at(), { requiredScopes: ['read', 'admin', 'root'] }), {
      code: 'ERR_SCOPE',
      claim: 'scope',
      reason: 'insufficient',
      message: '"scope" lacks ["admin","root"]: expected "read admin root", got "read write"',
      expected: ['read', 'admin', 'root'],
      actual: 'read write',
    });
    throwsClaim(() => check(at({ scope: 'readwrite' }), { requiredScopes: ['read'] }), {
      code: 'ERR_SCOPE',
      claim: 'scope',
      reason: 'insufficient',
      message: '"scope" lacks ["read"]: expected "read", got "readwrite"',
      expected: ['read'],
      actual: 'readwrite',
    });
    throwsClaim(() => check(at({ scope: undefined }), { requiredScopes: ['read'] }), {
      code: 'ERR_SCOPE',
      claim: 'scope',
      reason: 'missing',
      message: '"scope" claim is required but missing',
    });
    assert.throws(
      () => check(at({ scope: ['read'] })),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_CLAIM_INVALID',
    );
  });

  it('requiredClaims', () => {
    check(at({ cnf: {} }), {}, rules(['cnf']));
    throwsClaim(() => check(at(), {}, rules(['cnf'])), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'cnf',
      reason: 'missing',
      message: '"cnf" claim is required but missing',
    });
  });
});

describe('logout token profile (Back-Channel Logout 1.0 §2.4, §2.6)', () => {
  const lo = (over: Record<string, unknown> = {}) =>
    claims({ iss: 'https://op', aud: CLIENT, iat: 990, exp: 1100, jti: 'l1', sid: 's1', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } }, over);
  const check = (payload: JwtPayload, r = rules(), header = h({ typ: 'logout+jwt' })) => checkLogoutTokenClaims(header, payload, clock, r);
  const badEvents = (events: unknown) => ({
    code: 'ERR_CLAIM_INVALID' as const,
    claim: 'events',
    reason: 'type',
    message: `"events" must hold "${BACKCHANNEL_LOGOUT_EVENT}" with a JSON object value`,
    expected: BACKCHANNEL_LOGOUT_EVENT,
    actual: events,
  });

  it('the event member is the one Back-Channel Logout §2.4 names', () => {
    assert.equal(BACKCHANNEL_LOGOUT_EVENT, 'http://schemas.openid.net/event/backchannel-logout');
  });

  it('typ logout+jwt, JWT or absent', () => {
    check(lo());
    check(lo(), rules(), h({ typ: 'JWT' }));
    check(lo(), rules(), h());
    throwsClaim(() => check(lo(), rules(), h({ typ: 'at+jwt' })), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'mismatch',
      message: 'header "typ" mismatch: expected "logout+jwt" or "jwt" or absent, got "at+jwt"',
      expected: ['logout+jwt', 'jwt'],
      actual: 'at+jwt',
    });
  });

  it('aud, times and jti', () => {
    assert.throws(
      () => check(lo({ aud: 'x' })),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_AUDIENCE',
    );
    assert.throws(
      () => check(lo({ iat: undefined })),
      (e: unknown) => e instanceof ClaimError && e.claim === 'iat',
    );
    assert.throws(
      () => check(lo({ jti: undefined })),
      (e: unknown) => e instanceof ClaimError && e.claim === 'jti',
    );
  });

  it('events: required, an object holding the back-channel member with an object value', () => {
    check(lo({ events: { [BACKCHANNEL_LOGOUT_EVENT]: { x: 1 }, other: 1 } }));
    throwsClaim(() => check(lo({ events: undefined })), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'events',
      reason: 'missing',
      message: '"events" claim is required in a logout token',
    });
    for (const events of [
      null,
      'x',
      [],
      [{ [BACKCHANNEL_LOGOUT_EVENT]: {} }],
      {},
      { other: {} },
      { [BACKCHANNEL_LOGOUT_EVENT]: null },
      { [BACKCHANNEL_LOGOUT_EVENT]: [] },
      { [BACKCHANNEL_LOGOUT_EVENT]: 'x' },
      { [BACKCHANNEL_LOGOUT_EVENT]: true },
    ]) {
      throwsClaim(() => check(lo({ events })), badEvents(events));
    }
  });

  it('sub or sid; neither empty', () => {
    check(lo({ sid: undefined, sub: 'u1' }));
    check(lo({ sub: 'u1' }));
    throwsClaim(() => check(lo({ sid: undefined })), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'sub',
      reason: 'missing',
      message: 'a logout token needs "sub" or "sid"',
    });
    assert.throws(
      () => check(lo({ sid: '' })),
      (e: unknown) => e instanceof ClaimError && e.claim === 'sid' && e.reason === 'empty',
    );
    assert.throws(
      () => check(lo({ sub: '' })),
      (e: unknown) => e instanceof ClaimError && e.claim === 'sub' && e.reason === 'empty',
    );
  });

  it('no nonce, whatever its value', () => {
    for (const nonce of ['n', null, 0]) {
      throwsClaim(() => check(lo({ nonce })), {
        code: 'ERR_CLAIM_INVALID',
        claim: 'nonce',
        reason: 'forbidden',
        message: '"nonce" must not be present in a logout token (§2.4)',
        actual: nonce,
      });
    }
  });

  it('requiredClaims', () => {
    check(lo({ sub: 'u' }), rules(['sub']));
    throwsClaim(() => check(lo(), rules(['sub'])), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'sub',
      reason: 'missing',
      message: '"sub" claim is required but missing',
    });
  });
});

describe('TOKEN_PROFILES table', () => {
  it('names, typ, HMAC and advertised algorithms per profile', () => {
    const { id, access, logout } = TOKEN_PROFILES;
    assert.deepEqual(
      [id, access, logout].map((t) => ({ name: t.name, article: t.article, typ: t.typ, hmac: t.hmac, adv: t.advertisedAlgorithms })),
      [
        { name: 'id', article: 'an ID token', typ: { accepted: ['jwt'], required: false }, hmac: true, adv: true },
        { name: 'access', article: 'an access token', typ: { accepted: ['at+jwt'], required: true }, hmac: false, adv: false },
        { name: 'logout', article: 'a logout token', typ: { accepted: ['logout+jwt', 'jwt'], required: false }, hmac: false, adv: false },
      ],
    );
  });

  it('each profile runs its own checks with the options, alg and curve given', () => {
    const base = { clock, rules: rules(), alg: 'EdDSA', crv: 'Ed448' };
    const payload = claims(
      { iss: 'https://op', sub: 'u1', aud: CLIENT, exp: 1100, iat: 990 },
      {
        at_hash: leftHalf('tok', 'shake256', 114),
        jti: 'j',
        client_id: 'c',
        scope: 'read',
      },
    );
    TOKEN_PROFILES.id.check({ ...base, header: h(), payload, options: { accessToken: 'tok' } });
    assert.throws(
      () => TOKEN_PROFILES.id.check({ ...base, crv: 'Ed25519', header: h(), payload, options: { accessToken: 'tok' } }),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_AT_HASH',
    );
    assert.throws(
      () => TOKEN_PROFILES.id.check({ ...base, alg: 'ES256', header: h(), payload, options: { accessToken: 'tok' } }),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_AT_HASH',
    );
    assert.throws(
      () => TOKEN_PROFILES.id.check({ ...base, header: h(), payload, options: { nonce: 'n' } }),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_NONCE',
    );
    TOKEN_PROFILES.access.check({ ...base, header: h({ typ: 'at+jwt' }), payload, options: { requiredScopes: ['read'] } });
    assert.throws(
      () => TOKEN_PROFILES.access.check({ ...base, header: h({ typ: 'at+jwt' }), payload, options: { requiredScopes: ['write'] } }),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_SCOPE',
    );
    assert.throws(
      () => TOKEN_PROFILES.access.check({ ...base, header: h(), payload, options: {} }),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_TYP',
    );
    assert.throws(
      () => TOKEN_PROFILES.logout.check({ ...base, header: h(), payload, options: {} }),
      (e: unknown) => e instanceof ClaimError && e.claim === 'events',
    );
    TOKEN_PROFILES.logout.check({
      ...base,
      header: h({ typ: 'logout+jwt' }),
      payload: claims({ aud: CLIENT, exp: 1100, iat: 990, jti: 'j', sid: 's', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } }, {}),
      options: {},
    });
    assert.throws(
      () =>
        TOKEN_PROFILES.logout.check({
          ...base,
          rules: rules(['sub']),
          header: h(),
          payload: claims({ aud: CLIENT, exp: 1100, iat: 990, jti: 'j', sid: 's', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } }, {}),
          options: {},
        }),
      (e: unknown) => e instanceof ClaimError && e.claim === 'sub',
    );
  });
});
