import { ClaimError, describeValue, type ErrorCode } from '../errors.js';
import type { JoseHeader, JwtPayload } from '../jose/types.js';

/**
 * Claim rules shared by every token profile (RFC 7519 §4.1). Pure functions over the decoded
 * payload and an injected clock, so each rule is testable without keys or time travel.
 */

/** Time context of one verification, in seconds. */
export interface ClaimClock {
  /** Current time, seconds since the epoch (may be fractional). */
  readonly now: number;
  /** Allowed clock skew, seconds. */
  readonly tolerance: number;
}

export function fail(code: ErrorCode, claim: string, reason: string, message: string, expected?: unknown, actual?: unknown): ClaimError {
  return new ClaimError(code, claim, reason, message, { expected, actual });
}

function missing(claim: string, code: ErrorCode = 'ERR_CLAIM_MISSING'): ClaimError {
  return fail(code, claim, 'missing', `"${claim}" claim is required but missing`);
}

function wrongType(claim: string, want: string, value: unknown): ClaimError {
  return fail('ERR_CLAIM_INVALID', claim, 'type', `"${claim}" claim must be ${want}, got ${describeValue(value)}`, want, value);
}

/*
 * The claim helpers take the value, not the payload and a name: callers read `payload.exp` with a
 * named load, which V8 caches per call site; `payload[claim]` inside a shared helper sees every
 * claim name at one site and goes megamorphic (a hash lookup per claim).
 */

/** Returns the claim as a string, throwing when it has another JSON type; undefined when absent. */
export function stringClaim(v: unknown, claim: string, required: boolean, missingCode?: ErrorCode): string | undefined {
  if (v === undefined) {
    if (required) throw missing(claim, missingCode);
    return undefined;
  }
  if (typeof v !== 'string') throw wrongType(claim, 'a string', v);
  return v;
}

/** {@link stringClaim} that also refuses the empty string (`sub`, `sid`: an identifier is never empty). */
export function nonEmptyStringClaim(v: unknown, claim: string, required: boolean): string | undefined {
  const s = stringClaim(v, claim, required);
  if (s === '')
    throw fail('ERR_CLAIM_INVALID', claim, 'empty', `"${claim}" claim must be a non-empty string, got ""`, 'a non-empty string', s);
  return s;
}

/**
 * An ID or access token never carries `events`: that claim marks a logout token (Back-Channel
 * Logout §2.4, §4.1), so a logout token cannot pass as another kind of token.
 */
export function rejectEvents(payload: JwtPayload, kind: string): void {
  if (payload.events !== undefined) {
    throw fail(
      'ERR_CLAIM_INVALID',
      'events',
      'forbidden',
      `"events" claim must not be present in ${kind}: it marks a logout token (Back-Channel Logout §2.4)`,
      undefined,
      payload.events,
    );
  }
}

/** Returns the claim as a NumericDate (RFC 7519 §2), throwing on other types. */
export function numericDate(v: unknown, claim: string, required: boolean, missingCode?: ErrorCode): number | undefined {
  if (v === undefined) {
    if (required) throw missing(claim, missingCode);
    return undefined;
  }
  // Stryker disable next-line ConditionalExpression: Number.isFinite is false for every non-number too; the typeof test is for reading
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(claim, 'a NumericDate (number of seconds)', v);
  return v;
}

/** `iss` must equal the expected issuer exactly (OIDC Core §3.1.3.7 step 2). */
export function checkIssuer(payload: JwtPayload, expected: string): void {
  const iss = stringClaim(payload.iss, 'iss', true);
  if (iss !== expected)
    throw fail(
      'ERR_ISSUER',
      'iss',
      'mismatch',
      `"iss" mismatch: expected ${describeValue(expected)}, got ${describeValue(iss)}`,
      expected,
      iss,
    );
}

/**
 * `aud` (string or non-empty array of strings) must contain one of the accepted audiences
 * (OIDC Core §3.1.3.7 step 3). Returns how many audiences the token names.
 */
export function checkAudience(payload: JwtPayload, accepted: ReadonlySet<string>): number {
  const aud = payload.aud;
  if (typeof aud === 'string') {
    if (accepted.has(aud)) return 1;
  } else if (aud === undefined) {
    throw missing('aud');
  } else if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) {
    for (const a of aud) if (accepted.has(a)) return aud.length;
  } else {
    throw wrongType('aud', 'a string or a non-empty array of strings', aud);
  }
  const want = [...accepted];
  throw fail(
    'ERR_AUDIENCE',
    'aud',
    'mismatch',
    `"aud" mismatch: expected ${want.length === 1 ? describeValue(want[0]) : `one of ${describeValue(want)}`}, got ${describeValue(aud)}`,
    want.length === 1 ? want[0] : want,
    aud,
  );
}

/** Verifier-wide rules of one issuer, built once and shared by every token profile. */
export interface ProfileRules {
  readonly audiences: ReadonlySet<string>;
  readonly times: TimeRules;
  readonly requiredClaims: readonly string[];
}

/** Options of the time rules, all in seconds. */
export interface TimeRules {
  readonly requireExp: boolean;
  readonly requireIat: boolean;
  /** Reject tokens whose `iat` is older than this many seconds. */
  readonly maxTokenAge?: number;
}

/**
 * `exp` and `nbf` (already read as numbers) against the clock, in seconds (RFC 7519 §4.1.4-5).
 * `failWith` builds the error: an introspection response names itself in its messages.
 */
export function checkValidityWindow(
  exp: number | undefined,
  nbf: number | undefined,
  clock: ClaimClock,
  failWith: typeof fail = fail,
): void {
  const { now, tolerance } = clock;
  // Stryker disable next-line ConditionalExpression: the undefined guard is for reading; a comparison with undefined is false anyway
  if (exp !== undefined && now >= exp + tolerance) {
    throw failWith(
      'ERR_EXPIRED',
      'exp',
      'expired',
      `token expired: "exp" is ${exp}, now is ${Math.floor(now)} (tolerance ${tolerance} s)`,
      `> ${Math.floor(now - tolerance)}`,
      exp,
    );
  }
  // Stryker disable next-line ConditionalExpression: the undefined guard is for reading; a comparison with undefined is false anyway
  if (nbf !== undefined && nbf > now + tolerance) {
    throw failWith(
      'ERR_NOT_BEFORE',
      'nbf',
      'not yet valid',
      `token not yet valid: "nbf" is ${nbf}, now is ${Math.floor(now)} (tolerance ${tolerance} s)`,
      `<= ${Math.floor(now + tolerance)}`,
      nbf,
    );
  }
}

/** `exp`, `nbf` and `iat` against the clock (RFC 7519 §4.1.4-6, OIDC Core §3.1.3.7 steps 9-10). */
export function checkTimes(payload: JwtPayload, clock: ClaimClock, rules: TimeRules): void {
  const { now, tolerance } = clock;
  const exp = numericDate(payload.exp, 'exp', rules.requireExp);
  checkValidityWindow(exp, numericDate(payload.nbf, 'nbf', false), clock);
  const iat = numericDate(payload.iat, 'iat', rules.requireIat);
  // Stryker disable next-line ConditionalExpression: the undefined guard is for reading; a comparison with undefined is false anyway
  if (iat !== undefined) {
    if (iat > now + tolerance) {
      throw fail(
        'ERR_IAT',
        'iat',
        'in the future',
        `"iat" is in the future: ${iat}, now is ${Math.floor(now)} (tolerance ${tolerance} s)`,
        `<= ${Math.floor(now + tolerance)}`,
        iat,
      );
    }
    // Stryker disable next-line ConditionalExpression: the undefined guard is for reading; a comparison with undefined is false anyway
    if (rules.maxTokenAge !== undefined && now - iat > rules.maxTokenAge + tolerance) {
      throw fail(
        'ERR_IAT',
        'iat',
        'too old',
        `token too old: issued at ${iat}, ${Math.floor(now - iat)} s ago, maxTokenAge is ${rules.maxTokenAge} s`,
        `>= ${Math.floor(now - rules.maxTokenAge - tolerance)}`,
        iat,
      );
    }
  }
}

// Headers are cached by the parser, so the same `typ` string comes back token after token.
// Stryker disable next-line StringLiteral: initial entry of the one-entry cache; any value pairs with itself
let lastTyp = '';
// Stryker disable next-line StringLiteral: only read after a call stored a pair (the empty typ is never accepted)
let lastNormalizedTyp = '';

/** `typ` lower-cased without an `application/` prefix (RFC 7515 §4.1.9). */
function normalizedTyp(typ: string): string {
  // Stryker disable next-line ConditionalExpression: speed only, the fast path for a repeated typ (a wrong hit is tested)
  if (typ === lastTyp) return lastNormalizedTyp;
  let t = typ.toLowerCase();
  if (t.startsWith('application/')) t = t.slice(12);
  lastTyp = typ;
  lastNormalizedTyp = t;
  return t;
}

/**
 * Header `typ` (RFC 8725 §3.11): absent, or one of the accepted media types compared
 * case-insensitively with an optional `application/` prefix (RFC 7515 §4.1.9).
 */
export function checkTyp(header: JoseHeader, accepted: readonly string[], required: boolean): void {
  const typ = header.typ;
  if (typ === undefined) {
    if (!required) return;
    throw fail('ERR_TYP', 'typ', 'missing', `header "typ" is required: expected ${describeValue(accepted[0])}`, accepted[0], undefined);
  }
  if (typeof typ === 'string') {
    const t = normalizedTyp(typ);
    for (const a of accepted) if (a === t) return;
  }
  throw fail(
    'ERR_TYP',
    'typ',
    'mismatch',
    `header "typ" mismatch: expected ${accepted.length ? accepted.map((a) => describeValue(a)).join(' or ') : 'none'}${required ? '' : ' or absent'}, got ${describeValue(typ)}`,
    accepted,
    typ,
  );
}

/** Every name in `required` must be an own member of the payload (any type); inherited names do not count. */
export function checkRequired(payload: JwtPayload, required: readonly string[]): void {
  for (const name of required) if (!Object.hasOwn(payload, name) || payload[name] === undefined) throw missing(name);
}
