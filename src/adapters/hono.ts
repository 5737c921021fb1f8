/**
 * Hono middleware over {@link Verifier.verifyRequest}, written on Web APIs only (`Request`,
 * `Response`, `Headers`), so the same code runs wherever Hono runs. Only types come from Hono.
 *
 * @example
 * import { requireToken } from 'oidc-verifier/hono';
 * app.get('/items', requireToken(verifier, { realm: 'api', requiredScopes: ['read:items'] }), (c) =>
 *   c.json({ sub: c.get('auth').payload.sub }));
 * @packageDocumentation
 */
import type { MiddlewareHandler } from 'hono';
import type { Verifier } from '../http/request-verifier.js';
import { errorResponse } from '../http/error-response.js';
import { toRequestError, type RequestError } from '../http/request-error.js';
import { checkRequestOptions, type VerifiedRequest, type VerifyRequestOptions } from '../http/verify-request.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The verified bearer token, set by `requireToken` of `oidc-verifier/hono`. */
    auth: VerifiedRequest;
  }
}

/** A {@link RequestError} that Hono's default error handler answers with (its `getResponse`). */
export type HonoRequestError = RequestError & {
  /** The RFC 6750 §3 answer: status, `WWW-Authenticate` and a JSON body. */
  getResponse(): Response;
};

/** The JSON answer of a failed verification: status, `WWW-Authenticate`, `{ error, error_description }`. */
function responseOf(err: RequestError): Response {
  const r = errorResponse(err);
  return new Response(JSON.stringify(r.body), { status: r.status, headers: { ...r.headers, 'content-type': 'application/json' } });
}

/**
 * Middleware that verifies the request's bearer token with the shared `verifier` and sets
 * `c.get('auth')`. On failure it throws a `RequestError` (with `status` and `headers`) that also
 * has `getResponse()`, so Hono's default error handler answers with the RFC 6750 §3 response and
 * an `app.onError` handler can reshape it. Options are checked now: bad ones throw `ERR_CONFIG`.
 */
export function requireToken(verifier: Verifier, options: VerifyRequestOptions = {}): MiddlewareHandler {
  checkRequestOptions(options);
  return async (c, next) => {
    let auth: VerifiedRequest;
    try {
      auth = await verifier.verifyRequest(c.req.raw, options);
    } catch (err) {
      const e = toRequestError(err) as HonoRequestError;
      e.getResponse = () => responseOf(e);
      throw e;
    }
    c.set('auth', auth);
    await next();
  };
}

export type { VerifiedRequest, VerifyRequestOptions } from '../http/verify-request.js';
