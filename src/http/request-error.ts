import { VerifyError, type ErrorCode } from '../errors.js';
import { bearerChallenge, type BearerErrorCode } from './challenge.js';

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
  /** The RFC 6750 §3.1 error code, absent for a request without credentials and for 5xx. */
  readonly error?: BearerErrorCode;
  /** A fixed description of the failure for the client (never the token, never configuration). */
  readonly description: string;

  constructor(
    code: ErrorCode,
    message: string,
    answer: { status: number; headers: Record<string, string>; error?: BearerErrorCode; description: string },
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

/**
 * Maps any failure to its HTTP answer (the table is in the docs):
 * - ERR_CREDENTIALS_MISSING → 401, challenge without an error code (RFC 6750 §3.1);
 * - ERR_INVALID_REQUEST → 400 `invalid_request`;
 * - ERR_SCOPE, ERR_FORBIDDEN → 403 `insufficient_scope` with `scope`;
 * - ERR_JWKS_FETCH, ERR_DISCOVERY, ERR_INTROSPECTION → 503 (keys or introspection unreachable);
 * - ERR_CONFIG and anything that is not a VerifyError → 500;
 * - every other code → 401 `invalid_token`.
 */
export function toRequestError(err: unknown, ctx: ChallengeContext = {}): RequestError {
  if (err instanceof RequestError) return err;
  if (!(err instanceof VerifyError)) {
    return new RequestError('ERR_CONFIG', `unexpected failure: ${err instanceof Error ? err.name : typeof err}`, { status: 500, headers: {}, description: 'Internal server error' }, { cause: err });
  }
  const code = err.code;
  const realm = ctx.realm !== undefined ? { realm: ctx.realm } : {};
  let answer: { status: number; headers: Record<string, string>; error?: BearerErrorCode; description: string };
  if (code === 'ERR_CONFIG') answer = { status: 500, headers: {}, description: 'Internal server error' };
  else if (UNAVAILABLE.has(code)) answer = { status: 503, headers: {}, description: 'The authorization server cannot be reached' };
  else if (code === 'ERR_CREDENTIALS_MISSING') {
    answer = { status: 401, headers: { 'WWW-Authenticate': bearerChallenge(realm) }, description: DESCRIPTIONS[code]! };
  } else {
    const error: BearerErrorCode = code === 'ERR_INVALID_REQUEST' ? 'invalid_request' : code === 'ERR_SCOPE' || code === 'ERR_FORBIDDEN' ? 'insufficient_scope' : 'invalid_token';
    const status = error === 'invalid_request' ? 400 : error === 'insufficient_scope' ? 403 : 401;
    const description = DESCRIPTIONS[code] ?? 'The access token is invalid';
    const scope = error === 'insufficient_scope' && ctx.scope !== undefined ? { scope: ctx.scope } : {};
    answer = { status, error, description, headers: { 'WWW-Authenticate': bearerChallenge({ ...realm, error, description, ...scope }) } };
  }
  return new RequestError(code, err.message, answer, { cause: err });
}
