import { describeValue } from '../errors.js';
import type { JoseHeader, JwtPayload } from '../jose/types.js';
import { checkHashClaim, type HashClaimValues } from './hash-claim.js';
import {
  checkAudience,
  checkRequired,
  checkTimes,
  checkTyp,
  fail,
  nonEmptyStringClaim,
  numericDate,
  rejectEvents,
  stringClaim,
  type ClaimClock,
  type ProfileRules,
} from './rules.js';

/** Claims of a verified ID token (OIDC Core §2). */
export interface IdTokenClaims extends JwtPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly auth_time?: number;
  readonly nonce?: string;
  readonly acr?: string;
  readonly amr?: readonly string[];
  readonly azp?: string;
  readonly at_hash?: string;
  readonly c_hash?: string;
  readonly s_hash?: string;
  readonly sid?: string;
}

/** Per-call expectations of an ID token, from the authentication request and response. */
export interface IdTokenCheckOptions {
  /** The `nonce` sent in the authentication request; the token must carry exactly this value. */
  readonly nonce?: string;
  /** `max_age` sent in the request, seconds: requires `auth_time` no older than this. */
  readonly maxAge?: number;
  /** Acceptable `acr` values (from `acr_values`); the token's `acr` must be one of them. */
  readonly acrValues?: readonly string[];
  /** Access token issued with the ID token: checks `at_hash` when present. */
  readonly accessToken?: string;
  /** Authorization code issued with the ID token: checks `c_hash` when present. */
  readonly code?: string;
  /** `state` of the response: checks `s_hash` when present. */
  readonly state?: string;
  /**
   * The `response_type` the ID token came from, when it came from the authorization endpoint.
   * `id_token token` and `code id_token token` require `at_hash`; `code id_token` and
   * `code id_token token` require `c_hash` (OIDC Core §3.2.2.10, §3.3.2.11).
   */
  readonly responseType?: string;
  /** Require `at_hash` whatever the response type. */
  readonly requireAtHash?: boolean;
  /** Require `c_hash` whatever the response type. */
  readonly requireCHash?: boolean;
  /** Require `s_hash` (FAPI 1.0 detached signature). */
  readonly requireSHash?: boolean;
}

// OIDC Core §2 leaves `typ` open; "JWT" (any case) or absent is accepted, `at+jwt` and `logout+jwt` are not.
export const ID_TOKEN_TYPES = ['jwt'];

function hasWord(responseType: string | undefined, word: string): boolean {
  return responseType !== undefined && responseType.split(' ').includes(word);
}

const RESPONSE_TYPE_VALUES = ['code', 'id_token', 'token', 'none'];

/**
 * Why a `responseType` option is not a response type (RFC 6749 §3.1.1: space-delimited values,
 * order irrelevant; OAuth 2.0 Multiple Response Types §5: `none` stands alone), or undefined.
 */
export function responseTypeProblem(rt: string): string | undefined {
  const words = rt.split(' ');
  for (const w of words) {
    if (!RESPONSE_TYPE_VALUES.includes(w)) {
      return `${describeValue(w)} is not one of ${RESPONSE_TYPE_VALUES.join(', ')} (exact case, separated by single spaces)`;
    }
  }
  if (new Set(words).size !== words.length) return 'a value is repeated';
  if (words.includes('none') && words.length > 1) return '"none" cannot be combined with other values';
  return undefined;
}

/**
 * Header and claims checks of OpenID Connect Core §3.1.3.7 (steps 2-5, 9-13), §3.2.2.9-11 and
 * §3.3.2.11-12. The issuer (step 2) and the signature are checked by the verifier before this.
 */
export function checkIdTokenClaims(
  header: JoseHeader,
  payload: JwtPayload,
  clock: ClaimClock,
  rules: ProfileRules,
  opts: IdTokenCheckOptions,
  alg: string,
  crv: string | undefined,
  hashes?: HashClaimValues,
): void {
  checkTyp(header, ID_TOKEN_TYPES, false);
  const audCount = checkAudience(payload, rules.audiences);
  const azp = stringClaim(payload.azp, 'azp', false);
  if (audCount > 1 && azp === undefined) {
    throw fail('ERR_AZP', 'azp', 'missing', `"azp" is required when "aud" has ${audCount} values`, [...rules.audiences], undefined);
  }
  if (azp !== undefined && !rules.audiences.has(azp)) {
    throw fail(
      'ERR_AZP',
      'azp',
      'mismatch',
      `"azp" mismatch: expected one of ${describeValue([...rules.audiences])}, got ${describeValue(azp)}`,
      [...rules.audiences],
      azp,
    );
  }
  checkTimes(payload, clock, rules.times);
  nonEmptyStringClaim(payload.sub, 'sub', true);
  rejectEvents(payload, 'an ID token');
  const nonce = stringClaim(payload.nonce, 'nonce', opts.nonce !== undefined, 'ERR_NONCE');
  if (opts.nonce !== undefined && nonce !== opts.nonce) {
    throw fail(
      'ERR_NONCE',
      'nonce',
      'mismatch',
      `"nonce" mismatch: expected ${describeValue(opts.nonce)}, got ${describeValue(nonce)}`,
      opts.nonce,
      nonce,
    );
  }
  const acr = stringClaim(payload.acr, 'acr', opts.acrValues !== undefined, 'ERR_ACR');
  if (opts.acrValues !== undefined && !opts.acrValues.includes(acr!)) {
    throw fail(
      'ERR_ACR',
      'acr',
      'mismatch',
      `"acr" mismatch: expected one of ${describeValue(opts.acrValues)}, got ${describeValue(acr)}`,
      opts.acrValues,
      acr,
    );
  }
  const authTime = numericDate(payload.auth_time, 'auth_time', opts.maxAge !== undefined, 'ERR_AUTH_TIME');
  // Stryker disable next-line ConditionalExpression,LogicalOperator: the undefined guard is for reading; a comparison with undefined is false anyway
  if (opts.maxAge !== undefined && authTime !== undefined) {
    const age = clock.now - authTime;
    if (age > opts.maxAge + clock.tolerance) {
      throw fail(
        'ERR_AUTH_TIME',
        'auth_time',
        'too old',
        `"auth_time" is ${authTime}, ${Math.floor(age)} s ago, above max_age ${opts.maxAge} s`,
        `>= ${Math.floor(clock.now - opts.maxAge - clock.tolerance)}`,
        authTime,
      );
    }
  }
  // Stryker disable next-line ConditionalExpression: the undefined guard is for reading; a comparison with undefined is false anyway
  if (authTime !== undefined && authTime > clock.now + clock.tolerance) {
    throw fail(
      'ERR_AUTH_TIME',
      'auth_time',
      'in the future',
      `"auth_time" is in the future: ${authTime}, now is ${Math.floor(clock.now)}`,
      `<= ${Math.floor(clock.now + clock.tolerance)}`,
      authTime,
    );
  }
  const rt = opts.responseType;
  const fromAuthz = hasWord(rt, 'id_token');
  checkHashClaim(
    payload.at_hash,
    'at_hash',
    opts.accessToken,
    opts.requireAtHash === true || (fromAuthz && hasWord(rt, 'token')),
    alg,
    crv,
    hashes,
  );
  checkHashClaim(payload.c_hash, 'c_hash', opts.code, opts.requireCHash === true || (fromAuthz && hasWord(rt, 'code')), alg, crv, hashes);
  checkHashClaim(payload.s_hash, 's_hash', opts.state, opts.requireSHash === true, alg, crv, hashes);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only, checkRequired of no names checks nothing
  if (rules.requiredClaims.length > 0) checkRequired(payload, rules.requiredClaims);
}
