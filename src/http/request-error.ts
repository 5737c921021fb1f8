import { ClaimError, DpopError, VerifyError, type ErrorCode } from '../errors.js';
import type { CredentialScheme } from './bearer-token.js';
import { bearerChallenge, dpopChallenge, type BearerErrorCode, type DpopChallengeErrorCode } from './challenge.js';

/**
 * A failed request verification: the underlying {@link VerifyError} (same `code` and message,
 * kept as `cause`) plus the HTTP answer RFC 6750 §3 prescribes for it. Express, Fastify and
 * Hono's default error handlers answer with `status` and `headers` as they are.
 */
export class RequestError extends VerifyError {
  /** HTTP status: 400, 401, 403, 503, or 500 for a configuration error. */
  readonly status: number;
  /** Response headers, `WWW-Authenticate` for 400/401/403. */
  readonly headers: Readonly<Record<string, string>>;
  /** The RFC 6750 §3.1 (or RFC 9449 §7.1, §9) error code, absent for a request without credentials and for 5xx. */
  readonly error?: DpopChallengeErrorCode;
  /** A fixed description of the failure for the client (never the token, never configuration). */
  readonly description: string;

  constructor(
    code: ErrorCode,
    message: string,
    answer: { status: number; headers: Record<string, string>; error?: DpopChallengeErrorCode; description: string },
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'RequestError';
    this.status = answer.status;
    this.headers = Object.freeze({ ...answer.headers });
    if (answer.error !== undefined) this.error = answer.error;
    this.description = answer.description;
  }
}

/** What the challenge needs to know about the protected resource. */
export interface ChallengeContext {
  readonly realm?: string;
  /** Scopes the route asks for, listed in `insufficient_scope` challenges. */
  readonly scope?: readonly string[];
  /**
   * The schemes the resource accepts; each gets its challenge in `WWW-Authenticate` (RFC 9449
   * §7.2). Default `['Bearer']` (`['DPoP']` for an `ERR_DPOP` failure).
   */
  readonly schemes?: readonly CredentialScheme[];
  /** The scheme the failed request used: its challenge carries the error and comes first. */
  readonly scheme?: CredentialScheme;
  /** The `algs` of the DPoP challenge: the accepted proof algorithms (RFC 9449 §7.1). */
  readonly dpopAlgorithms?: readonly string[];
}

/** A malformed DPoP request (e.g. two `DPoP` headers, RFC 9449 §4.3 check 1): `invalid_dpop_proof` with 400. */
export class MalformedDpopRequestError extends DpopError {
  constructor(message: string) {
    super('invalid_dpop_proof', message);
  }
}

/** Fixed texts for the client: they name the failed rule, never a value from the token or the configuration. */
const DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  ERR_MALFORMED: 'The access token is malformed',
  ERR_ALG_NOT_ALLOWED: 'The access token is signed with an algorithm that is not accepted',
  ERR_KEY_NOT_FOUND: 'No key of the issuer matches the access token',
  ERR_SIGNATURE_INVALID: 'The access token signature is invalid',
  ERR_ISSUER: 'The access token issuer is not trusted',
  ERR_AUDIENCE: 'The access token is not intended for this resource server',
  ERR_EXPIRED: 'The access token expired',
  ERR_NOT_BEFORE: 'The access token is not valid yet',
  ERR_IAT: 'The access token issue time is not acceptable',
  ERR_CLAIM_MISSING: 'The access token lacks a required claim',
  ERR_CLAIM_INVALID: 'The access token has an invalid claim',
  ERR_TYP: 'The token is not an access token (typ must be at+jwt)',
  ERR_REPLAY: 'The access token was already used',
  ERR_INACTIVE: 'The access token is not active',
  ERR_SCOPE: 'The access token lacks a required scope',
  ERR_FORBIDDEN: 'The access token does not grant access to this resource',
  ERR_INVALID_REQUEST: 'The request is malformed',
  ERR_CREDENTIALS_MISSING: 'Authentication required',
};

const UNAVAILABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_JWKS_FETCH', 'ERR_DISCOVERY', 'ERR_INTROSPECTION']);

/** The challenges of every accepted scheme, the one the request used first and carrying the error. */
function challenges(
  ctx: ChallengeContext,
  fallback: CredentialScheme,
  attrs: { error?: DpopChallengeErrorCode; description?: string; scope?: readonly string[] },
): string {
  let schemes: readonly CredentialScheme[] = ctx.schemes !== undefined && ctx.schemes.length > 0 ? ctx.schemes : [fallback];
  if (!schemes.includes(fallback) && fallback === 'DPoP') schemes = [...schemes, 'DPoP'];
  const used: CredentialScheme =
    fallback === 'DPoP' ? 'DPoP' : ctx.scheme !== undefined && schemes.includes(ctx.scheme) ? ctx.scheme : schemes[0]!;
  const realm = ctx.realm !== undefined ? { realm: ctx.realm } : {};
  const algs = ctx.dpopAlgorithms !== undefined ? { algs: ctx.dpopAlgorithms } : {};
  const one = (s: CredentialScheme): string => {
    const a = s === used ? attrs : {};
    if (s === 'DPoP') return dpopChallenge({ ...realm, ...a, ...algs });
    // Only RFC 6750 codes reach a Bearer challenge: DPoP errors always go to the DPoP one.
    return bearerChallenge({ ...realm, ...(a as { error?: BearerErrorCode; description?: string; scope?: readonly string[] }) });
  };
  return [used, ...schemes.filter((s) => s !== used)].map(one).join(', ');
}

/**
 * Maps any failure to its HTTP answer (the table is in the docs):
 * - ERR_CREDENTIALS_MISSING → 401, challenges without an error code (RFC 6750 §3.1, RFC 9449 §7.1);
 * - ERR_INVALID_REQUEST → 400 `invalid_request`;
 * - ERR_SCOPE, ERR_FORBIDDEN → 403 `insufficient_scope` with `scope`;
 * - ERR_DPOP → 401 `invalid_dpop_proof` (400 for a malformed DPoP request), or 401 `use_dpop_nonce`
 *   with a `DPoP-Nonce` header (RFC 9449 §9), in the DPoP challenge;
 * - ERR_JWKS_FETCH, ERR_DISCOVERY, ERR_INTROSPECTION, ERR_REPLAY_STORE → 503 (a service the
 *   verification needs cannot answer: never accepted, never 500);
 * - ERR_CONFIG and anything that is not a VerifyError → 500;
 * - every other code (ERR_REPLAY included) → 401 `invalid_token`.
 * The error goes in the challenge of the scheme the request used (`ctx.scheme`); every other
 * scheme in `ctx.schemes` gets its bare challenge after it (RFC 9449 §7.2).
 */
export function toRequestError(err: unknown, ctx: ChallengeContext = {}): RequestError {
  if (err instanceof RequestError) return err;
  if (!(err instanceof VerifyError)) {
    return new RequestError(
      'ERR_CONFIG',
      `unexpected failure: ${err instanceof Error ? err.name : typeof err}`,
      { status: 500, headers: {}, description: 'Internal server error' },
      { cause: err },
    );
  }
  const code = err.code;
  const fallback: CredentialScheme = code === 'ERR_DPOP' ? 'DPoP' : (ctx.schemes?.[0] ?? 'Bearer');
  let answer: { status: number; headers: Record<string, string>; error?: DpopChallengeErrorCode; description: string };
  if (code === 'ERR_CONFIG') answer = { status: 500, headers: {}, description: 'Internal server error' };
  else if (UNAVAILABLE.has(code)) answer = { status: 503, headers: {}, description: 'The authorization server cannot be reached' };
  else if (code === 'ERR_REPLAY_STORE') answer = { status: 503, headers: {}, description: 'The replay check is temporarily unavailable' };
  else if (code === 'ERR_CREDENTIALS_MISSING') {
    answer = {
      status: 401,
      headers: { 'WWW-Authenticate': challenges({ ...ctx, scheme: fallback }, fallback, {}) },
      description: DESCRIPTIONS[code]!,
    };
  } else if (code === 'ERR_DPOP') {
    const nonce = err instanceof DpopError && err.dpopError === 'use_dpop_nonce' ? err.nonce : undefined;
    const error: DpopChallengeErrorCode = nonce !== undefined ? 'use_dpop_nonce' : 'invalid_dpop_proof';
    const description = nonce !== undefined ? 'A DPoP nonce from the resource server is required' : 'The DPoP proof is invalid';
    const headers: Record<string, string> = { 'WWW-Authenticate': challenges(ctx, 'DPoP', { error, description }) };
    if (nonce !== undefined) headers['DPoP-Nonce'] = nonce;
    answer = { status: err instanceof MalformedDpopRequestError ? 400 : 401, error, description, headers };
  } else {
    const error: DpopChallengeErrorCode =
      code === 'ERR_INVALID_REQUEST'
        ? 'invalid_request'
        : code === 'ERR_SCOPE' || code === 'ERR_FORBIDDEN'
          ? 'insufficient_scope'
          : 'invalid_token';
    const status = error === 'invalid_request' ? 400 : error === 'insufficient_scope' ? 403 : 401;
    const bound = err instanceof ClaimError && err.claim === 'cnf' && err.reason === 'dpop-bound';
    const description = bound
      ? 'The access token is DPoP-bound: send it with the DPoP scheme'
      : (DESCRIPTIONS[code] ?? 'The access token is invalid');
    const scope = error === 'insufficient_scope' && ctx.scope !== undefined ? { scope: ctx.scope } : {};
    answer = { status, error, description, headers: { 'WWW-Authenticate': challenges(ctx, fallback, { error, description, ...scope }) } };
  }
  return new RequestError(code, err.message, answer, { cause: err });
}
