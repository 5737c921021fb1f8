/**
 * Express 4 and 5 middleware over {@link Verifier.verifyRequest}. Only types come from Express
 * (`@types/express`); nothing is imported at runtime.
 *
 * @example
 * import { requireToken } from 'oidc-verifier/express';
 * app.get('/items', requireToken(verifier, { realm: 'api', requiredScopes: ['read:items'] }), (req, res) => {
 *   res.json({ sub: req.auth!.payload.sub });
 * });
 * @packageDocumentation
 */
import '../concurrency/node-platform.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Verifier } from '../http/request-verifier.js';
import { checkRequestOptions, type VerifiedRequest, type VerifyRequestOptions } from '../http/verify-request.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified bearer token, set by `requireToken` of `oidc-verifier/express`. */
      auth?: VerifiedRequest;
    }
  }
}

/**
 * Middleware that verifies the request's bearer token with the shared `verifier` and puts the
 * result on `req.auth`. On failure it calls `next(err)` with a `RequestError` whose `status` and
 * `headers` (`WWW-Authenticate`, RFC 6750 §3) Express's default error handler already uses; a
 * custom error handler can reshape the body (see `errorResponse`). Options are checked now:
 * bad ones throw `ERR_CONFIG`.
 */
export function requireToken(verifier: Verifier, options: VerifyRequestOptions = {}): RequestHandler {
  checkRequestOptions(options);
  return (req: Request, _res: Response, next: NextFunction): void => {
    verifier.verifyRequest(req, options).then(
      (auth) => {
        req.auth = auth;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

export type { VerifiedRequest, VerifyRequestOptions } from '../http/verify-request.js';
