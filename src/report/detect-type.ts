import { BACKCHANNEL_LOGOUT_EVENT } from '../claims/logout-token.js';
import { decodeSegments } from './decode-token.js';
import type { TokenType } from './types.js';

/** The profile a token declares, and why: what the CLI picks when `--type` is not given. */
export interface DetectedType {
  readonly type: TokenType;
  /** For people, e.g. `header typ "at+jwt" (RFC 9068 §2.1)`. */
  readonly because: string;
}

/**
 * Picks the profile from the (unverified) token: header `typ` `at+jwt` is a JWT access token
 * (RFC 9068 §2.1), `logout+jwt` or an `events` claim with the back-channel logout member is a
 * logout token (OIDC Back-Channel Logout §2.4); anything else is checked as an ID token (OIDC Core
 * §2). `typ` is compared case-insensitively, with an optional `application/` prefix (RFC 7515
 * §4.1.9). The library still checks the token against the chosen profile's rules.
 */
export function detectTokenType(token: string): DetectedType {
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    ({ header, payload } = decodeSegments(token));
  } catch {
    return { type: 'id', because: 'the token does not decode' };
  }
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : undefined;
  if (typ === 'at+jwt') return { type: 'access', because: `header typ ${JSON.stringify(header.typ)} (RFC 9068 §2.1)` };
  if (typ === 'logout+jwt') return { type: 'logout', because: `header typ ${JSON.stringify(header.typ)} (OIDC Back-Channel Logout §2.4)` };
  const events = payload.events;
  if (typeof events === 'object' && events !== null && !Array.isArray(events) && Object.hasOwn(events, BACKCHANNEL_LOGOUT_EVENT)) {
    return { type: 'logout', because: 'its "events" claim has the back-channel logout event (OIDC Back-Channel Logout §2.4)' };
  }
  return { type: 'id', because: 'no access token typ and no logout event' };
}
