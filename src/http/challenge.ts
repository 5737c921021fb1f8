import { VerifyError } from '../errors.js';

/**
 * `WWW-Authenticate: Bearer` challenges as RFC 6750 §3 defines them. Attribute values are
 * quoted-strings (RFC 9110 §5.6.4): `"` and `\` are backslash-escaped. `error_description` and
 * `scope` have tighter character sets (RFC 6750 §3), so anything outside them is replaced rather
 * than escaped.
 */

/** The error codes of RFC 6750 §3.1. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** The attributes of one Bearer challenge. */
export interface BearerChallenge {
  /** RFC 6750 §3 / RFC 9110 §11.5 protection space. */
  readonly realm?: string;
  /** Absent when the request carried no credentials (RFC 6750 §3.1). */
  readonly error?: BearerErrorCode;
  /** Human-readable text for the client developer; never the token. */
  readonly description?: string;
  /** Scopes needed for the resource (`insufficient_scope`). */
  readonly scope?: readonly string[];
}

/** RFC 9110 §5.6.4 quoted-string: `"` and `\` escaped with a backslash. */
export function quoteString(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Realm values: visible ASCII and space only (no CR/LF, nothing a header cannot carry). */
export function checkRealm(realm: unknown): void {
  if (realm === undefined) return;
  if (typeof realm !== 'string' || !/^[\x20-\x7e]*$/.test(realm)) {
    throw new VerifyError('ERR_CONFIG', 'realm must be a string of printable ASCII characters');
  }
}

const MAX_DESCRIPTION = 200;

/** RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E. Other characters become `'`, `/` or `?`. */
export function descriptionValue(text: string): string {
  const s = text
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '?');
  return s.length > MAX_DESCRIPTION ? `${s.slice(0, MAX_DESCRIPTION - 3)}...` : s;
}

/** RFC 6750 §3: scope-token is 1*( %x21 / %x23-5B / %x5D-7E ); invalid scope names are configuration errors. */
export function isScopeToken(s: string): boolean {
  return /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s);
}

/** Builds the `WWW-Authenticate` value, e.g. `Bearer realm="api", error="invalid_token", error_description="..."`. */
export function bearerChallenge(c: BearerChallenge): string {
  const params: string[] = [];
  if (c.realm !== undefined) params.push(`realm=${quoteString(c.realm)}`);
  if (c.error !== undefined) {
    params.push(`error=${quoteString(c.error)}`);
    if (c.description !== undefined) params.push(`error_description=${quoteString(descriptionValue(c.description))}`);
  }
  if (c.scope !== undefined && c.scope.length > 0) params.push(`scope=${quoteString(c.scope.filter(isScopeToken).join(' '))}`);
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}

/** The error codes of a DPoP challenge: RFC 6750 §3.1 ones plus RFC 9449 §7.1 and §9. */
export type DpopChallengeErrorCode = BearerErrorCode | 'invalid_dpop_proof' | 'use_dpop_nonce';

/** The attributes of one DPoP challenge (RFC 9449 §7.1). */
export interface DpopChallenge extends Omit<BearerChallenge, 'error'> {
  readonly error?: DpopChallengeErrorCode;
  /** The accepted proof algorithms, the `algs` attribute (RFC 9449 §7.1). */
  readonly algs?: readonly string[];
}

/** Builds a `DPoP` challenge, e.g. `DPoP realm="api", error="invalid_dpop_proof", error_description="...", algs="ES256 PS256"`. */
export function dpopChallenge(c: DpopChallenge): string {
  const params: string[] = [];
  if (c.realm !== undefined) params.push(`realm=${quoteString(c.realm)}`);
  if (c.error !== undefined) {
    params.push(`error=${quoteString(c.error)}`);
    if (c.description !== undefined) params.push(`error_description=${quoteString(descriptionValue(c.description))}`);
  }
  if (c.scope !== undefined && c.scope.length > 0) params.push(`scope=${quoteString(c.scope.filter(isScopeToken).join(' '))}`);
  if (c.algs !== undefined && c.algs.length > 0) params.push(`algs=${quoteString(c.algs.join(' '))}`);
  return params.length === 0 ? 'DPoP' : `DPoP ${params.join(', ')}`;
}
