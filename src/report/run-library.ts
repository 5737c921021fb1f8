import '../concurrency/node-platform.js';
import { VerifyError } from '../errors.js';
import type { IdTokenCheckOptions } from '../claims/id-token.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JwtPayload } from '../jose/types.js';
import type { VerifierOptions } from '../options.js';
import { createVerifier } from '../http/request-verifier.js';
import type { VerifiedToken } from '../verifier/types.js';
import type { ChecklistRequest } from './types.js';

/** Runs the library, the judge of every report: one verifier per run, with the report's clock. */

function verifierOptions(req: ChecklistRequest, issuer: string, now: number): VerifierOptions {
  return {
    issuer,
    audience: typeof req.audience === 'string' ? req.audience : [...req.audience],
    ...(req.jwks !== undefined ? { jwks: req.jwks } : {}),
    ...(req.jwksUri !== undefined ? { jwksUri: req.jwksUri } : {}),
    ...(req.algorithms !== undefined && req.algorithms.length > 0 ? { algorithms: req.algorithms as Algorithm[] } : {}),
    ...(req.clientSecret !== undefined ? { clientSecret: req.clientSecret } : {}),
    ...(req.clockTolerance !== undefined ? { clockTolerance: req.clockTolerance } : {}),
    ...(req.allowHttp ? { allowHttp: true } : {}),
    ...(req.timeout !== undefined ? { timeout: req.timeout } : {}),
    ...(req.fetch !== undefined ? { fetch: req.fetch } : {}),
    now: () => now * 1000,
  };
}

function idOptions(req: ChecklistRequest): IdTokenCheckOptions {
  return {
    ...(req.nonce !== undefined ? { nonce: req.nonce } : {}),
    ...(req.maxAge !== undefined ? { maxAge: req.maxAge } : {}),
    ...(req.acrValues !== undefined && req.acrValues.length > 0 ? { acrValues: [...req.acrValues] } : {}),
    ...(req.accessToken !== undefined ? { accessToken: req.accessToken } : {}),
    ...(req.code !== undefined ? { code: req.code } : {}),
    ...(req.state !== undefined ? { state: req.state } : {}),
  };
}

/** The library's verdict: the verified token, or its first failure. */
export type Outcome = { readonly ok: VerifiedToken<JwtPayload> } | { readonly err: VerifyError };

/** One run of the library, the profile's own entry point. */
export async function runLibrary(req: ChecklistRequest, issuer: string, now: number): Promise<Outcome> {
  let verifier: ReturnType<typeof createVerifier> | undefined;
  try {
    verifier = createVerifier(verifierOptions(req, issuer, now));
    const type = req.type ?? 'id';
    if (type === 'access') {
      const scopes = req.requiredScopes !== undefined && req.requiredScopes.length > 0 ? { requiredScopes: [...req.requiredScopes] } : {};
      return { ok: await verifier.verifyAccessToken(req.token, scopes) };
    }
    if (type === 'logout') return { ok: await verifier.verifyLogoutToken(req.token) };
    return { ok: await verifier.verifyIdToken(req.token, idOptions(req)) };
  } catch (err) {
    if (err instanceof VerifyError) return { err };
    // The library promises VerifyError only; anything else is reported, not thrown through the UI.
    return { err: new VerifyError('ERR_CONFIG', `unexpected failure: ${(err as Error)?.message ?? String(err)}`) };
  } finally {
    // One verifier per check (its clock is the check's): release its remote key cache and timers.
    verifier?.close();
  }
}
