/**
 * Every failure of the library is a {@link VerifyError} with a stable {@link ErrorCode}.
 * Codes are the contract; messages are for people and may change.
 */

/** All codes, written once: {@link ErrorCode} is derived from this list. */
export const ERROR_CODES = [
  'ERR_MALFORMED',
  'ERR_ALG_NOT_ALLOWED',
  'ERR_KEY_NOT_FOUND',
  'ERR_SIGNATURE_INVALID',
  'ERR_ISSUER',
  'ERR_AUDIENCE',
  'ERR_AZP',
  'ERR_EXPIRED',
  'ERR_NOT_BEFORE',
  'ERR_IAT',
  'ERR_NONCE',
  'ERR_AUTH_TIME',
  'ERR_ACR',
  'ERR_AT_HASH',
  'ERR_C_HASH',
  'ERR_S_HASH',
  'ERR_CLAIM_MISSING',
  'ERR_CLAIM_INVALID',
  'ERR_TYP',
  'ERR_CONFIG',
  'ERR_JWKS_FETCH',
  'ERR_DISCOVERY',
  'ERR_REPLAY',
  'ERR_SCOPE',
  'ERR_INACTIVE',
  'ERR_INTROSPECTION',
  'ERR_CREDENTIALS_MISSING',
  'ERR_INVALID_REQUEST',
  'ERR_FORBIDDEN',
  'ERR_DPOP',
  'ERR_REPLAY_STORE',
] as const;

/** The stable error codes. Branch on these, never on messages. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base class of every error the library throws or rejects with. */
export class VerifyError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VerifyError';
    this.code = code;
  }
}

/**
 * A claim failed its rule. `claim` names it, `reason` says which rule
 * (`missing`, `type`, `mismatch`, `expired`, ...), `expected`/`actual` carry the compared values.
 */
export class ClaimError extends VerifyError {
  readonly claim: string;
  readonly reason: string;
  readonly expected: unknown;
  readonly actual: unknown;

  constructor(code: ErrorCode, claim: string, reason: string, message: string, detail: { expected?: unknown; actual?: unknown } = {}) {
    super(code, message);
    this.name = 'ClaimError';
    this.claim = claim;
    this.reason = reason;
    this.expected = detail.expected;
    this.actual = detail.actual;
  }
}

/** Why one key of a key set was not used for a token. */
export interface KeyRejection {
  /** The key's `kid`, when it has one. */
  readonly kid?: string;
  /** Index of the key in its JWKS. */
  readonly index: number;
  /** Human-readable reason, e.g. "kid differs" or "kty RSA cannot verify ES256". */
  readonly reason: string;
}

/** No key could verify the token; `considered` explains every key passed over. */
export class KeyNotFoundError extends VerifyError {
  readonly considered: readonly KeyRejection[];

  constructor(message: string, considered: readonly KeyRejection[] = []) {
    super('ERR_KEY_NOT_FOUND', message);
    this.name = 'KeyNotFoundError';
    this.considered = considered;
  }
}

/**
 * Why a network operation failed, for deciding what to do without parsing messages:
 * - `timeout`: the deadline passed (connecting, a redirect hop or reading the body); retryable;
 * - `network`: the connection failed (refused, reset, DNS); retryable;
 * - `status`: a non-2xx answer (`status` holds it); 5xx and 429 are usually retryable, 4xx not;
 * - `too_large`: the body exceeds the response-size cap;
 * - `content_type`: the answer is not declared as JSON (e.g. an HTML error page of a proxy);
 * - `invalid_json`: the body is not UTF-8 JSON or not a JSON object;
 * - `invalid_response`: valid JSON that breaks the protocol (issuer mismatch, no `keys` array, ...);
 * - `redirect`: a redirect that is not followed (too many, no or bad `Location`, not a GET);
 * - `url_refused`: the URL (or a redirect target) breaks the https rule or carries credentials.
 * The first three depend on the network; the others are configuration or server errors.
 */
export type FetchFailureReason =
  'timeout' | 'network' | 'status' | 'too_large' | 'content_type' | 'invalid_json' | 'invalid_response' | 'redirect' | 'url_refused';

/** A network operation failed (discovery, JWKS, introspection). `url` names the endpoint. */
export class FetchError extends VerifyError {
  readonly url: string;
  readonly status?: number;
  /** Machine-readable cause of the failure; default `invalid_response`. */
  readonly reason: FetchFailureReason;

  constructor(code: ErrorCode, url: string, message: string, options?: { cause?: unknown; status?: number; reason?: FetchFailureReason }) {
    super(code, message, options);
    this.name = 'FetchError';
    this.url = url;
    if (options?.status !== undefined) this.status = options.status;
    this.reason = options?.reason ?? 'invalid_response';
  }
}

/** The `error` value of a DPoP failure (RFC 9449 §7.1 and §9). */
export type DpopErrorKind = 'invalid_dpop_proof' | 'use_dpop_nonce';

/**
 * A DPoP proof failed (code `ERR_DPOP`). `dpopError` is the RFC 9449 error for the challenge;
 * with `use_dpop_nonce` (§9), `nonce` is the fresh value to send in the `DPoP-Nonce` header.
 */
export class DpopError extends VerifyError {
  readonly dpopError: DpopErrorKind;
  readonly nonce?: string;

  constructor(dpopError: DpopErrorKind, message: string, options?: { nonce?: string; cause?: unknown }) {
    super('ERR_DPOP', message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DpopError';
    this.dpopError = dpopError;
    if (options?.nonce !== undefined) this.nonce = options.nonce;
  }
}

/** Shortens untrusted values for messages so a hostile token cannot flood logs. */
export function describeValue(value: unknown, max = 80): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (value === undefined) s = 'undefined';
  else {
    try {
      // JSON.stringify gives undefined for functions and symbols only: String() names those.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = Object.prototype.toString.call(value);
    }
  }
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}
