import type { ErrorCode } from '../errors.js';
import type { AccessTokenCheckOptions } from '../claims/access-token.js';
import type { IdTokenCheckOptions } from '../claims/id-token.js';
import type { Jwks } from '../jose/types.js';

/**
 * The report of one verification: what the CLI's `verify` prints and the inspector's page shows.
 * The model only; rendering and exit codes belong to the CLI, the page to the inspector.
 */

/** Token profile: ID token (OIDC Core §2), JWT access token (RFC 9068), logout token (OIDC Back-Channel Logout §2.4). */
export type TokenType = 'id' | 'access' | 'logout';

/** What to check: the token, the verifier's trust settings, and the per-call expectations. */
export interface ChecklistRequest extends IdTokenCheckOptions, AccessTokenCheckOptions {
  readonly token: string;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** A static JWKS (pasted, or read from a file): no network. */
  readonly jwks?: Jwks;
  /** A JWKS URL: skips discovery. Without `jwks` and `jwksUri`, keys come from discovery. */
  readonly jwksUri?: string;
  readonly algorithms?: readonly string[];
  readonly clientSecret?: string;
  /** Seconds. Default 0. */
  readonly clockTolerance?: number;
  /** The verifier's clock, seconds since the epoch. Default: now. */
  readonly at?: number;
  readonly type?: TokenType;
  readonly allowHttp?: boolean;
  readonly timeout?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** How a row ended. */
export type RowStatus = 'pass' | 'fail' | 'skip' | 'not-checked';

/** One check of the report. */
export interface ChecklistRow {
  /** Stable id: `format`, `alg`, `key`, `signature`, or the claim name. */
  readonly id: string;
  readonly group: 'token' | 'signature' | 'claims';
  readonly label: string;
  readonly status: RowStatus;
  readonly expected?: string;
  readonly actual?: string;
  /** Why it passed, failed or was skipped; for a failure, the library's message. */
  readonly reason: string;
  /** The library's error code, on the row the library failed. */
  readonly code?: ErrorCode;
}

/** The whole report: the library's verdict and one row per check. */
export interface Checklist {
  /** `valid`, `invalid` (the token is bad), or `error` (could not check: network, configuration). */
  readonly verdict: 'valid' | 'invalid' | 'error';
  readonly code?: ErrorCode;
  readonly message?: string;
  /** The claim the library's failure is about, for claim errors. */
  readonly claim?: string;
  readonly type: TokenType;
  /** Clock of the check, seconds. */
  readonly at: number;
  readonly issuer: string;
  readonly audience: readonly string[];
  /** Where the keys came from, for people: "pasted JWKS", a URL, "discovery of ...". */
  readonly keySource: string;
  readonly rows: readonly ChecklistRow[];
  /** Decoded (unverified unless verdict is valid) header and payload, when the token decodes. */
  readonly header?: Record<string, unknown>;
  readonly payload?: Record<string, unknown>;
}

/** Codes that say "could not check" (network, configuration) rather than "the token is bad". */
const CANNOT_CHECK: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_JWKS_FETCH',
  'ERR_DISCOVERY',
  'ERR_INTROSPECTION',
  'ERR_REPLAY_STORE',
  'ERR_CONFIG',
]);

/** Whether a library failure means the token could not be checked (network, configuration). */
export function cannotCheck(code: ErrorCode): boolean {
  return CANNOT_CHECK.has(code);
}
