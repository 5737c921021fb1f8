import { ASYMMETRIC_ALGORITHMS } from '../jose/algorithms.js';
import { unavailableReason } from '../jose/backend.js';
import type { VerifierOptions } from '../options.js';
import { type OidcVerifier, createTokenVerifier } from '../verifier.js';
import type { TokenVerifier } from '../verifier/types.js';
import type { HttpRequest } from './http-request.js';
import { verifyRequestWith, type VerifiedRequest, type VerifyRequestOptions } from './verify-request.js';

/**
 * A verifier: every token check of {@link TokenVerifier}, plus request verification for APIs.
 * One verifier (one key cache) serves every route; per-call options only add checks.
 */
export interface Verifier extends TokenVerifier {
  /**
   * Verifies the bearer token of an HTTP request (a Fetch `Request`, a Node `IncomingMessage` or
   * `{ method, url, headers }`): RFC 6750 §2 extraction (or RFC 9449 §7.1 `DPoP` with its proof,
   * per the `dpop` option), then a JWT access token as
   * {@link TokenVerifier.verifyAccessToken} (or introspection, with `introspection` configured), then
   * `requiredScopes` / `anyScopes` / `claims`. Rejects with a `RequestError` carrying `status` and
   * the RFC 6750 §3 / RFC 9449 §7.1 `WWW-Authenticate` header (and `DPoP-Nonce` for `use_dpop_nonce`).
   */
  verifyRequest(request: HttpRequest, options?: VerifyRequestOptions): Promise<VerifiedRequest>;
}

/**
 * Creates a verifier. Options are checked at once: bad ones throw {@link VerifyError} `ERR_CONFIG`.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://login.example.com', audience: 'my-client-id' });
 * const { payload } = await verifier.verifyIdToken(idToken, { nonce });
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const core = createTokenVerifier(options);
  // Checked by createTokenVerifier: the algorithms DPoP proofs may use, for the challenge's `algs`.
  // Algorithms this runtime cannot verify (ES256K and Ed448 on the edge) are not offered.
  const settings = {
    dpopAlgorithms: (options.dpop?.algorithms ?? ASYMMETRIC_ALGORITHMS).filter((a) => unavailableReason(a) === undefined),
  };
  // The request layer sits above the verifier: it adds its method here instead of the verifier
  // importing it (the layer rule).
  return Object.assign(core, {
    verifyRequest(this: OidcVerifier, request: HttpRequest, o?: VerifyRequestOptions): Promise<VerifiedRequest> {
      return verifyRequestWith(this, request, o, settings);
    },
  });
}
