import { ClaimError, type FetchError, VerifyError, describeValue, type ErrorCode } from '../errors.js';
import { missingScopes, parseScope } from '../claims/scopes.js';
import { checkValidityWindow } from '../claims/rules.js';
import { fetchFailure, type JsonResponse } from './http.js';

/**
 * Processing an RFC 7662 §2.2 introspection response: its shape, then the token's own claims
 * (`iss`, `aud`, `exp`, `nbf`, `scope`). Pure and synchronous.
 */

/** The RFC 7662 §2.2 response for an active token. Standard members are type-checked. */
export interface IntrospectionResponse {
  readonly active: true;
  /** Space-separated scopes. */
  readonly scope?: string;
  readonly client_id?: string;
  readonly username?: string;
  readonly token_type?: string;
  /** Seconds since the epoch. */
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly iss?: string;
  readonly jti?: string;
  /** Every other member, as sent (e.g. `cnf`, `sid`, `authorization_details`). */
  readonly [member: string]: unknown;
}

/** What {@link processIntrospectionResponse} checks beyond the RFC 7662 shape. */
export interface IntrospectionChecks {
  /** When set and the response carries `iss`, it must equal this exactly (ERR_ISSUER). */
  readonly issuer?: string;
  /** When set, the response `aud` must contain one of these (ERR_AUDIENCE; absent: ERR_CLAIM_MISSING). */
  readonly audience?: string | readonly string[];
  /** Each must appear in the space-separated response `scope` (ERR_SCOPE). */
  readonly requiredScopes?: readonly string[];
  /** Clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Allowed clock skew for `exp` / `nbf`, seconds. Default 0. */
  readonly clockTolerance?: number;
}

const STRING_MEMBERS = ['scope', 'client_id', 'username', 'token_type', 'sub', 'iss', 'jti'] as const;
const TIME_MEMBERS = ['exp', 'iat', 'nbf'] as const;

function claimFail(code: ErrorCode, claim: string, reason: string, message: string, expected?: unknown, actual?: unknown): ClaimError {
  return new ClaimError(code, claim, reason, `introspection response: ${message}`, { expected, actual });
}

/**
 * Processes an introspection response (RFC 7662 §2.2) already fetched as a JSON object. Pure
 * and synchronous, so every rule is testable on a hand-built object:
 * - `active: false` → VerifyError ERR_INACTIVE;
 * - `active` missing or not a boolean, or a standard member of the wrong type → FetchError
 *   ERR_INTROSPECTION (the server broke the protocol; `url` and `status` name the response);
 * - then the token's own claims: `iss` (ERR_ISSUER), `aud` (ERR_AUDIENCE / ERR_CLAIM_MISSING),
 *   `exp` (ERR_EXPIRED), `nbf` (ERR_NOT_BEFORE), `scope` (ERR_SCOPE), as {@link ClaimError}s.
 * Returns a shallow copy of the response.
 */
export function processIntrospectionResponse(
  response: Pick<JsonResponse, 'url' | 'body'> & { readonly status?: number },
  checks: IntrospectionChecks = {},
): IntrospectionResponse {
  const { url, body } = response;
  const broken = (reason: string): FetchError =>
    fetchFailure('ERR_INTROSPECTION', url, reason, response.status !== undefined ? { status: response.status } : undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw broken(`response must be a JSON object, got ${describeValue(body, 40)}`);

  if (body.active === false)
    throw new VerifyError('ERR_INACTIVE', `token is not active (the introspection endpoint ${url} answered active: false)`);
  if (body.active !== true) throw broken(`response member "active" must be a boolean, got ${describeValue(body.active, 40)}`);
  for (const m of STRING_MEMBERS) {
    if (body[m] !== undefined && typeof body[m] !== 'string')
      throw broken(`response member "${m}" must be a string, got ${describeValue(body[m], 40)}`);
  }
  for (const m of TIME_MEMBERS) {
    const v = body[m];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      throw broken(`response member "${m}" must be a number of seconds, got ${describeValue(v, 40)}`);
  }
  const aud = body.aud;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    throw broken(`response member "aud" must be a string or an array of strings, got ${describeValue(aud, 40)}`);
  }

  if (checks.issuer !== undefined && body.iss !== undefined && body.iss !== checks.issuer) {
    throw claimFail(
      'ERR_ISSUER',
      'iss',
      'mismatch',
      `"iss" mismatch: expected ${describeValue(checks.issuer)}, got ${describeValue(body.iss)}`,
      checks.issuer,
      body.iss,
    );
  }
  if (checks.audience !== undefined) checkAudience(aud, checks.audience);

  const clock = { now: (checks.now ?? Date.now)() / 1000, tolerance: checks.clockTolerance ?? 0 };
  checkValidityWindow(body.exp as number | undefined, body.nbf as number | undefined, clock, claimFail);
  if (checks.requiredScopes !== undefined && checks.requiredScopes.length > 0)
    checkScopes(body.scope as string | undefined, checks.requiredScopes);
  return { ...body } as IntrospectionResponse;
}

function checkAudience(aud: string | readonly string[] | undefined, expected: string | readonly string[]): void {
  const accepted = typeof expected === 'string' ? [expected] : expected;
  if (aud === undefined)
    throw claimFail('ERR_CLAIM_MISSING', 'aud', 'missing', '"aud" is required (an audience is configured) but missing');
  const auds = typeof aud === 'string' ? [aud] : aud;
  if (auds.some((a) => accepted.includes(a))) return;
  const want = accepted.length === 1 ? accepted[0] : accepted;
  throw claimFail(
    'ERR_AUDIENCE',
    'aud',
    'mismatch',
    `"aud" mismatch: expected ${accepted.length === 1 ? describeValue(want) : `one of ${describeValue(want)}`}, got ${describeValue(aud)}`,
    want,
    aud,
  );
}

function checkScopes(scope: string | undefined, required: readonly string[]): void {
  if (scope === undefined)
    throw claimFail(
      'ERR_SCOPE',
      'scope',
      'missing',
      `"scope" is missing: expected ${describeValue(required.join(' '))}`,
      required,
      undefined,
    );
  const missing = missingScopes(parseScope(scope), required);
  if (missing.length > 0) {
    throw claimFail(
      'ERR_SCOPE',
      'scope',
      'insufficient',
      `"scope" lacks ${describeValue(missing)}: expected ${describeValue(required.join(' '))}, got ${describeValue(scope)}`,
      required,
      scope,
    );
  }
}
