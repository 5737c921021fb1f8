// The shared claim rules (src/claims/rules.ts) called directly, with an injected clock: every
// boundary, every tolerance and every error field (code, claim, reason, message, expected, actual)
// is pinned, so a changed comparison or message fails here (see "Mutation testing" in docs/testing.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClaimError } from '../../src/errors.js';
import {
  checkAudience,
  checkIssuer,
  checkRequired,
  checkTimes,
  checkTyp,
  nonEmptyStringClaim,
  numericDate,
  rejectEvents,
  stringClaim,
  type ClaimClock,
  type TimeRules,
} from '../../src/claims/rules.js';
import type { JoseHeader, JwtPayload } from '../../src/jose/types.js';
import { throwsClaim } from '../support/claims.js';

const p = (o: Record<string, unknown>): JwtPayload => o;
const h = (o: Record<string, unknown>): JoseHeader => ({ alg: 'ES256', ...o });

// Fractional now: Math.floor in the messages is visible.
const clock: ClaimClock = { now: 1000.5, tolerance: 10 };
const noTimes: TimeRules = { requireExp: false, requireIat: false };

describe('stringClaim and nonEmptyStringClaim', () => {
  it('absent: undefined, or missing with the default or the given code', () => {
    assert.equal(stringClaim(undefined, 'x', false), undefined);
    throwsClaim(() => stringClaim(undefined, 'x', true), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'x',
      reason: 'missing',
      message: '"x" claim is required but missing',
    });
    throwsClaim(() => stringClaim(undefined, 'nonce', true, 'ERR_NONCE'), {
      code: 'ERR_NONCE',
      claim: 'nonce',
      reason: 'missing',
      message: '"nonce" claim is required but missing',
    });
  });

  it('a string comes back as is, the empty string included; another type is invalid', () => {
    assert.equal(stringClaim('v', 'x', false), 'v');
    assert.equal(stringClaim('', 'x', true), '');
    throwsClaim(() => stringClaim(42, 'x', false), {
      code: 'ERR_CLAIM_INVALID',
      claim: 'x',
      reason: 'type',
      message: '"x" claim must be a string, got 42',
      expected: 'a string',
      actual: 42,
    });
    throwsClaim(() => stringClaim(null, 'x', false), {
      code: 'ERR_CLAIM_INVALID',
      claim: 'x',
      reason: 'type',
      message: '"x" claim must be a string, got null',
      expected: 'a string',
      actual: null,
    });
  });

  it('nonEmptyStringClaim refuses "" whether required or not', () => {
    assert.equal(nonEmptyStringClaim('a', 'sub', true), 'a');
    assert.equal(nonEmptyStringClaim(undefined, 'sid', false), undefined);
    const empty = {
      code: 'ERR_CLAIM_INVALID' as const,
      claim: 'sid',
      reason: 'empty',
      message: '"sid" claim must be a non-empty string, got ""',
      expected: 'a non-empty string',
      actual: '',
    };
    throwsClaim(() => nonEmptyStringClaim('', 'sid', false), empty);
    throwsClaim(() => nonEmptyStringClaim('', 'sid', true), empty);
    throwsClaim(() => nonEmptyStringClaim(undefined, 'sub', true), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'sub',
      reason: 'missing',
      message: '"sub" claim is required but missing',
    });
  });
});

describe('rejectEvents', () => {
  it('any events value, null included, marks a logout token', () => {
    rejectEvents(p({ sub: 'a' }), 'an ID token');
    for (const events of [{}, null, 0]) {
      throwsClaim(() => rejectEvents(p({ events }), 'an access token'), {
        code: 'ERR_CLAIM_INVALID',
        claim: 'events',
        reason: 'forbidden',
        message: '"events" claim must not be present in an access token: it marks a logout token (Back-Channel Logout §2.4)',
        actual: events,
      });
    }
  });
});

describe('numericDate', () => {
  it('numbers, fractional and zero included; absent is undefined or missing', () => {
    assert.equal(numericDate(1.5, 'exp', true), 1.5);
    assert.equal(numericDate(0, 'exp', true), 0);
    assert.equal(numericDate(undefined, 'exp', false), undefined);
    throwsClaim(() => numericDate(undefined, 'auth_time', true, 'ERR_AUTH_TIME'), {
      code: 'ERR_AUTH_TIME',
      claim: 'auth_time',
      reason: 'missing',
      message: '"auth_time" claim is required but missing',
    });
  });

  it('a string or a non-finite number is invalid', () => {
    for (const [v, shown] of [
      ['1', '"1"'],
      [Infinity, 'null'],
      [NaN, 'null'],
    ] as const) {
      throwsClaim(() => numericDate(v, 'iat', false), {
        code: 'ERR_CLAIM_INVALID',
        claim: 'iat',
        reason: 'type',
        message: `"iat" claim must be a NumericDate (number of seconds), got ${shown}`,
        expected: 'a NumericDate (number of seconds)',
        actual: v,
      });
    }
  });
});

describe('checkIssuer', () => {
  it('exact match only', () => {
    checkIssuer(p({ iss: 'https://a' }), 'https://a');
    throwsClaim(() => checkIssuer(p({ iss: 'https://a/' }), 'https://a'), {
      code: 'ERR_ISSUER',
      claim: 'iss',
      reason: 'mismatch',
      message: '"iss" mismatch: expected "https://a", got "https://a/"',
      expected: 'https://a',
      actual: 'https://a/',
    });
    throwsClaim(() => checkIssuer(p({}), 'https://a'), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'iss',
      reason: 'missing',
      message: '"iss" claim is required but missing',
    });
  });
});

describe('checkAudience', () => {
  const one = new Set(['a']);
  const two = new Set(['a', 'c']);

  it('returns how many audiences the token names', () => {
    assert.equal(checkAudience(p({ aud: 'a' }), one), 1);
    assert.equal(checkAudience(p({ aud: ['a'] }), one), 1);
    assert.equal(checkAudience(p({ aud: ['x', 'a', 'y'] }), one), 3);
    assert.equal(checkAudience(p({ aud: 'c' }), two), 1);
  });

  it('a mismatch names the one expected audience, or the list', () => {
    throwsClaim(() => checkAudience(p({ aud: 'b' }), one), {
      code: 'ERR_AUDIENCE',
      claim: 'aud',
      reason: 'mismatch',
      message: '"aud" mismatch: expected "a", got "b"',
      expected: 'a',
      actual: 'b',
    });
    throwsClaim(() => checkAudience(p({ aud: ['b', 'd'] }), two), {
      code: 'ERR_AUDIENCE',
      claim: 'aud',
      reason: 'mismatch',
      message: '"aud" mismatch: expected one of ["a","c"], got ["b","d"]',
      expected: ['a', 'c'],
      actual: ['b', 'd'],
    });
  });

  it('absent is missing; an empty array, a non-string member or another type is invalid', () => {
    throwsClaim(() => checkAudience(p({}), one), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'aud',
      reason: 'missing',
      message: '"aud" claim is required but missing',
    });
    for (const [aud, shown] of [
      [[], '[]'],
      [['a', 7], '["a",7]'],
      [null, 'null'],
      [{ a: 1 }, '{"a":1}'],
    ] as const) {
      throwsClaim(() => checkAudience(p({ aud }), one), {
        code: 'ERR_CLAIM_INVALID',
        claim: 'aud',
        reason: 'type',
        message: `"aud" claim must be a string or a non-empty array of strings, got ${shown}`,
        expected: 'a string or a non-empty array of strings',
        actual: aud,
      });
    }
  });
});

describe('checkTimes: boundaries and clock tolerance (RFC 7519 §4.1.4-6)', () => {
  it('exp: expired from exp + tolerance on, accepted just before', () => {
    checkTimes(p({ exp: 990.6 }), clock, noTimes);
    checkTimes(p({ exp: 995 }), clock, noTimes); // expired 5 s ago, within the 10 s tolerance
    throwsClaim(() => checkTimes(p({ exp: 990.5 }), clock, noTimes), {
      code: 'ERR_EXPIRED',
      claim: 'exp',
      reason: 'expired',
      message: 'token expired: "exp" is 990.5, now is 1000 (tolerance 10 s)',
      expected: '> 990',
      actual: 990.5,
    });
    throwsClaim(() => checkTimes(p({ exp: 995 }), { now: 1000.5, tolerance: 0 }, noTimes), {
      code: 'ERR_EXPIRED',
      claim: 'exp',
      reason: 'expired',
      message: 'token expired: "exp" is 995, now is 1000 (tolerance 0 s)',
      expected: '> 1000',
      actual: 995,
    });
  });

  it('exp is required only when the rules say so', () => {
    checkTimes(p({}), clock, noTimes);
    throwsClaim(() => checkTimes(p({}), clock, { requireExp: true, requireIat: false }), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'exp',
      reason: 'missing',
      message: '"exp" claim is required but missing',
    });
  });

  it('nbf: valid up to now + tolerance, not after', () => {
    checkTimes(p({ nbf: 1010.5 }), clock, noTimes);
    checkTimes(p({ nbf: 1005 }), clock, noTimes); // 5 s ahead, within the tolerance
    throwsClaim(() => checkTimes(p({ nbf: 1010.6 }), clock, noTimes), {
      code: 'ERR_NOT_BEFORE',
      claim: 'nbf',
      reason: 'not yet valid',
      message: 'token not yet valid: "nbf" is 1010.6, now is 1000 (tolerance 10 s)',
      expected: '<= 1010',
      actual: 1010.6,
    });
    throwsClaim(() => checkTimes(p({ nbf: 1005 }), { now: 1000.5, tolerance: 0 }, noTimes), {
      code: 'ERR_NOT_BEFORE',
      claim: 'nbf',
      reason: 'not yet valid',
      message: 'token not yet valid: "nbf" is 1005, now is 1000 (tolerance 0 s)',
      expected: '<= 1000',
      actual: 1005,
    });
    throwsClaim(() => checkTimes(p({ nbf: 'soon' }), clock, noTimes), {
      code: 'ERR_CLAIM_INVALID',
      claim: 'nbf',
      reason: 'type',
      message: '"nbf" claim must be a NumericDate (number of seconds), got "soon"',
      expected: 'a NumericDate (number of seconds)',
      actual: 'soon',
    });
  });

  it('iat: required when the rules say so, never later than now + tolerance', () => {
    checkTimes(p({ iat: 1010.5 }), clock, noTimes);
    throwsClaim(() => checkTimes(p({}), clock, { requireExp: false, requireIat: true }), {
      code: 'ERR_CLAIM_MISSING',
      claim: 'iat',
      reason: 'missing',
      message: '"iat" claim is required but missing',
    });
    throwsClaim(() => checkTimes(p({ iat: 1010.6 }), clock, noTimes), {
      code: 'ERR_IAT',
      claim: 'iat',
      reason: 'in the future',
      message: '"iat" is in the future: 1010.6, now is 1000 (tolerance 10 s)',
      expected: '<= 1010',
      actual: 1010.6,
    });
  });

  it('maxTokenAge: iat at most maxTokenAge + tolerance seconds ago', () => {
    const rules: TimeRules = { requireExp: false, requireIat: false, maxTokenAge: 100 };
    checkTimes(p({ iat: 890.5 }), clock, rules); // 110 s: the limit, with the tolerance
    checkTimes(p({}), clock, rules); // no iat, not required: nothing to compare
    checkTimes(p({ iat: 0 }), clock, noTimes); // no maxTokenAge: any age
    throwsClaim(() => checkTimes(p({ iat: 890.25 }), clock, rules), {
      code: 'ERR_IAT',
      claim: 'iat',
      reason: 'too old',
      message: 'token too old: issued at 890.25, 110 s ago, maxTokenAge is 100 s',
      expected: '>= 890',
      actual: 890.25,
    });
    throwsClaim(() => checkTimes(p({ iat: 895 }), { now: 1000.5, tolerance: 0 }, rules), {
      code: 'ERR_IAT',
      claim: 'iat',
      reason: 'too old',
      message: 'token too old: issued at 895, 105 s ago, maxTokenAge is 100 s',
      expected: '>= 900',
      actual: 895,
    });
  });
});

describe('checkTyp (RFC 8725 §3.11, RFC 7515 §4.1.9)', () => {
  it('case-insensitive, with or without application/', () => {
    for (const typ of ['JWT', 'jwt', 'application/JWT', 'Application/jwt']) checkTyp(h({ typ }), ['jwt'], false);
    checkTyp(h({ typ: 'application/at+jwt' }), ['at+jwt'], true);
    checkTyp(h({ typ: 'JWT' }), ['logout+jwt', 'jwt'], false);
  });

  it('absent: accepted unless required', () => {
    checkTyp(h({}), ['jwt'], false);
    throwsClaim(() => checkTyp(h({}), ['at+jwt'], true), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'missing',
      message: 'header "typ" is required: expected "at+jwt"',
      expected: 'at+jwt',
    });
  });

  it('a mismatch lists the accepted values, and "or absent" when absent is accepted', () => {
    throwsClaim(() => checkTyp(h({ typ: 'at+jwt' }), ['jwt'], false), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'mismatch',
      message: 'header "typ" mismatch: expected "jwt" or absent, got "at+jwt"',
      expected: ['jwt'],
      actual: 'at+jwt',
    });
    throwsClaim(() => checkTyp(h({ typ: 'JWT' }), ['at+jwt'], true), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'mismatch',
      message: 'header "typ" mismatch: expected "at+jwt", got "JWT"',
      expected: ['at+jwt'],
      actual: 'JWT',
    });
    throwsClaim(() => checkTyp(h({ typ: 'x' }), ['logout+jwt', 'jwt'], false), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'mismatch',
      message: 'header "typ" mismatch: expected "logout+jwt" or "jwt" or absent, got "x"',
      expected: ['logout+jwt', 'jwt'],
      actual: 'x',
    });
    throwsClaim(() => checkTyp(h({ typ: 'jwt' }), [], true), {
      code: 'ERR_TYP',
      claim: 'typ',
      reason: 'mismatch',
      message: 'header "typ" mismatch: expected none, got "jwt"',
      expected: [],
      actual: 'jwt',
    });
  });

  it('the prefix must lead, and only application/ is dropped', () => {
    for (const typ of ['x-application/jwt', 'jwt/application/', 'text/jwt', 'applicationjwt', 'jwt ']) {
      assert.throws(
        () => checkTyp(h({ typ }), ['jwt'], false),
        (e: unknown) => e instanceof ClaimError && e.code === 'ERR_TYP',
      );
    }
  });

  it('a non-string typ is a mismatch, never a match', () => {
    for (const [typ, shown] of [
      [42, '42'],
      [['jwt'], '["jwt"]'],
      [null, 'null'],
      [{ toLowerCase: 'jwt' }, '{"toLowerCase":"jwt"}'],
    ] as const) {
      throwsClaim(() => checkTyp(h({ typ }), ['jwt'], false), {
        code: 'ERR_TYP',
        claim: 'typ',
        reason: 'mismatch',
        message: `header "typ" mismatch: expected "jwt" or absent, got ${shown}`,
        expected: ['jwt'],
        actual: typ,
      });
    }
  });

  it('the one-entry normalisation cache never answers for another typ', () => {
    checkTyp(h({ typ: 'JWT' }), ['jwt'], false);
    assert.throws(() => checkTyp(h({ typ: 'at+jwt' }), ['jwt'], false), /expected "jwt" or absent, got "at\+jwt"/);
    checkTyp(h({ typ: 'at+jwt' }), ['at+jwt'], true);
    checkTyp(h({ typ: 'application/at+jwt' }), ['at+jwt'], true);
    checkTyp(h({ typ: 'application/at+jwt' }), ['at+jwt'], true);
    assert.throws(() => checkTyp(h({ typ: 'JWT' }), ['at+jwt'], true), /got "JWT"/);
    checkTyp(h({ typ: 'JWT' }), ['jwt'], false);
  });
});

describe('checkRequired', () => {
  it('own members with any value but undefined; inherited names do not count', () => {
    checkRequired(p({ a: 1, b: null, c: false }), ['a', 'b', 'c']);
    checkRequired(p({}), []);
    for (const payload of [
      p({ a: 1 }),
      p({ a: 1, b: undefined }),
      Object.assign(Object.create({ b: 1 }) as object, { a: 1 }) as JwtPayload,
    ]) {
      throwsClaim(() => checkRequired(payload, ['a', 'b']), {
        code: 'ERR_CLAIM_MISSING',
        claim: 'b',
        reason: 'missing',
        message: '"b" claim is required but missing',
      });
    }
  });
});
