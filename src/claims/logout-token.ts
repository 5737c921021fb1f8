import type { JoseHeader, JwtPayload } from '../jose/types.js';
import {
  checkAudience,
  checkRequired,
  checkTimes,
  checkTyp,
  fail,
  nonEmptyStringClaim,
  stringClaim,
  type ClaimClock,
  type ProfileRules,
} from './rules.js';

/** Claims of a verified logout token (Back-Channel Logout §2.4). */
export interface LogoutTokenClaims extends JwtPayload {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly events: { readonly 'http://schemas.openid.net/event/backchannel-logout': object };
  readonly sub?: string;
  readonly sid?: string;
}

/** The member of a logout token's `events` claim (Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

// Back-Channel Logout §2.4 only recommends "logout+jwt": absent and "JWT" are accepted too; the
// required `events` member keeps ID and access tokens from passing as logout tokens.
export const LOGOUT_TOKEN_TYPES = ['logout+jwt', 'jwt'];

/**
 * Logout token validation, OpenID Connect Back-Channel Logout 1.0 §2.6 steps 3-7 (the signature and
 * `iss` are checked by the verifier): `aud`, `iat`, `exp`, `jti` required; `events` holds the
 * back-channel logout member with a JSON object value; `sub` or `sid` present; no `nonce`.
 */
export function checkLogoutTokenClaims(header: JoseHeader, payload: JwtPayload, clock: ClaimClock, rules: ProfileRules): void {
  checkTyp(header, LOGOUT_TOKEN_TYPES, false);
  checkAudience(payload, rules.audiences);
  checkTimes(payload, clock, rules.times);
  stringClaim(payload.jti, 'jti', true);
  const events = payload.events;
  if (events === undefined) throw fail('ERR_CLAIM_MISSING', 'events', 'missing', '"events" claim is required in a logout token');
  const event =
    // Stryker disable next-line ConditionalExpression: a string, number or boolean has no member of that name either
    typeof events === 'object' && events !== null && !Array.isArray(events)
      ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
      : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw fail(
      'ERR_CLAIM_INVALID',
      'events',
      'type',
      `"events" must hold "${BACKCHANNEL_LOGOUT_EVENT}" with a JSON object value`,
      BACKCHANNEL_LOGOUT_EVENT,
      events,
    );
  }
  const sub = nonEmptyStringClaim(payload.sub, 'sub', false);
  const sid = nonEmptyStringClaim(payload.sid, 'sid', false);
  if (sub === undefined && sid === undefined) throw fail('ERR_CLAIM_MISSING', 'sub', 'missing', 'a logout token needs "sub" or "sid"');
  if (payload.nonce !== undefined)
    throw fail('ERR_CLAIM_INVALID', 'nonce', 'forbidden', '"nonce" must not be present in a logout token (§2.4)', undefined, payload.nonce);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only, checkRequired of no names checks nothing
  if (rules.requiredClaims.length > 0) checkRequired(payload, rules.requiredClaims);
}
