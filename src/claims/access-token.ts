import { describeValue } from '../errors.js';
import type { JoseHeader, JwtPayload } from '../jose/types.js';
import {
  checkAudience,
  checkRequired,
  checkTimes,
  checkTyp,
  fail,
  nonEmptyStringClaim,
  rejectEvents,
  stringClaim,
  type ClaimClock,
  type ProfileRules,
} from './rules.js';
import { missingScopes, parseScope } from './scopes.js';

/** Claims of a verified JWT access token (RFC 9068 §2.2). */
export interface AccessTokenClaims extends JwtPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope?: string;
}

/** Per-call expectations of a JWT access token. */
export interface AccessTokenCheckOptions {
  /** Scopes the request needs; every one must be in the token's `scope` (space-separated). */
  readonly requiredScopes?: readonly string[];
}

// RFC 9068 §2.1: "at+jwt"; "application/at+jwt" is accepted by the prefix rule of checkTyp.
export const ACCESS_TOKEN_TYPES = ['at+jwt'];

/**
 * JWT profile for OAuth 2.0 access tokens (RFC 9068 §4): `typ` must be `at+jwt`; `iss`, `exp`,
 * `aud`, `sub`, `client_id`, `iat`, `jti` are required; `aud` must name this resource server.
 */
export function checkAccessTokenClaims(
  header: JoseHeader,
  payload: JwtPayload,
  clock: ClaimClock,
  rules: ProfileRules,
  opts: AccessTokenCheckOptions,
): void {
  checkTyp(header, ACCESS_TOKEN_TYPES, true);
  checkAudience(payload, rules.audiences);
  checkTimes(payload, clock, rules.times);
  nonEmptyStringClaim(payload.sub, 'sub', true);
  rejectEvents(payload, 'an access token');
  stringClaim(payload.client_id, 'client_id', true);
  stringClaim(payload.jti, 'jti', true);
  const scope = stringClaim(payload.scope, 'scope', opts.requiredScopes !== undefined && opts.requiredScopes.length > 0, 'ERR_SCOPE');
  if (opts.requiredScopes !== undefined && opts.requiredScopes.length > 0) {
    const missing = missingScopes(parseScope(scope!), opts.requiredScopes);
    if (missing.length > 0) {
      throw fail(
        'ERR_SCOPE',
        'scope',
        'insufficient',
        `"scope" lacks ${describeValue(missing)}: expected ${describeValue(opts.requiredScopes.join(' '))}, got ${describeValue(scope)}`,
        opts.requiredScopes,
        scope,
      );
    }
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only, checkRequired of no names checks nothing
  if (rules.requiredClaims.length > 0) checkRequired(payload, rules.requiredClaims);
}
