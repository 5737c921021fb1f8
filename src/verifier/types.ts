import type { AccessTokenClaims, AccessTokenCheckOptions } from '../claims/access-token.js';
import type { IdTokenCheckOptions, IdTokenClaims } from '../claims/id-token.js';
import type { LogoutTokenClaims } from '../claims/logout-token.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader, JwtPayload } from '../jose/types.js';
import type { KeySourceStats } from '../keys/key-source.js';
import type { SignatureCacheStats } from '../cache/verified-signature-cache.js';

/** The public types of the token verifier: results, per-call options, and the verifier itself. */

/** A token that passed every check. */
export interface VerifiedToken<C extends JwtPayload> {
  readonly header: JoseHeader;
  readonly payload: C;
  /** The configured issuer that matched (the concrete one for templates). */
  readonly issuer: string;
  /** The key that verified the signature. */
  readonly key: { readonly kid?: string; readonly alg: Algorithm };
}

/**
 * What {@link TokenVerifier.stats} returns: the counters of each issuer's key source under its
 * issuer identifier (the concrete one for a template's tenants; a source without counters is
 * left out), and `cache`.
 */
export interface VerifierStats {
  /** The verified-signature cache's counters; absent with `cache: false`. */
  readonly cache?: SignatureCacheStats;
  /** An issuer's key-source counters, by issuer identifier. */
  readonly [issuer: string]: KeySourceStats | SignatureCacheStats | undefined;
}

/** Per-call replay option of ID and access token verification. */
export interface ReplayCheckOptions {
  /**
   * Claim the token's `iss`+`jti` in the verifier's `replayStore`, so a second verification of the
   * same token fails with `ERR_REPLAY`. Default: the verifier's `preventReplay`. Async methods only.
   */
  readonly preventReplay?: boolean;
}

/** The request a DPoP proof is checked against (RFC 9449 §4.3, §7.1). */
export interface DpopRequest {
  /** The value of the request's one `DPoP` header. */
  readonly proof: string;
  /** The HTTP method as received. */
  readonly method: string;
  /** The absolute request URL (query and fragment are ignored). */
  readonly url: string | URL;
}

/** Per-call options of {@link TokenVerifier.verifyIdToken}. */
export interface IdTokenVerifyOptions extends IdTokenCheckOptions, ReplayCheckOptions {}

/** Per-call options of {@link TokenVerifier.verifyAccessToken}. */
export interface AccessTokenVerifyOptions extends AccessTokenCheckOptions, ReplayCheckOptions {
  /**
   * A DPoP-bound token's proof (RFC 9449 §7.1): the token must carry `cnf.jkt` and the proof must
   * pass every check of §4.3 for this request, its key's thumbprint equal to `cnf.jkt`.
   */
  readonly dpop?: DpopRequest;
  /**
   * The authorization scheme the token came with. `'Bearer'`: a DPoP-bound token (with `cnf.jkt`)
   * is refused (RFC 9449 §7.2), `dpop` must be absent. `'DPoP'`: `dpop` is required.
   * Absent: `dpop` decides, and a bound token without `dpop` is not refused.
   */
  readonly scheme?: 'Bearer' | 'DPoP';
}

/** A verified ID token (OIDC Core §3.1.3.7). */
export type VerifiedIdToken = VerifiedToken<IdTokenClaims>;
/** A verified JWT access token (RFC 9068 §4). */
export type VerifiedAccessToken = VerifiedToken<AccessTokenClaims>;
/** A verified back-channel logout token (Back-Channel Logout 1.0 §2.6). */
export type VerifiedLogoutToken = VerifiedToken<LogoutTokenClaims>;

/**
 * The token verifier: every token-level check. {@link Verifier} (from `createVerifier`) adds
 * request verification on top of it.
 */
export interface TokenVerifier {
  /**
   * Verifies an ID token as OpenID Connect Core §3.1.3.7 requires (plus §3.2.2.9-11 and
   * §3.3.2.11-12 for the hash claims). Rejects with {@link VerifyError}.
   */
  verifyIdToken(token: string, options?: IdTokenVerifyOptions): Promise<VerifiedIdToken>;
  /** The same, synchronously; only for static key sets (`jwks`), else throws `ERR_CONFIG`. */
  verifyIdTokenSync(token: string, options?: IdTokenCheckOptions): VerifiedIdToken;
  /**
   * Verifies a JWT access token (RFC 9068 §4): `typ` `at+jwt`, `aud` one of the configured
   * audiences (your resource server), `sub`, `client_id`, `jti`, times, and `requiredScopes`.
   */
  verifyAccessToken(token: string, options?: AccessTokenVerifyOptions): Promise<VerifiedAccessToken>;
  /** Synchronous {@link TokenVerifier.verifyAccessToken} for static key sets. */
  verifyAccessTokenSync(token: string, options?: AccessTokenCheckOptions): VerifiedAccessToken;
  /**
   * Verifies a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6). With a
   * `replayStore`, each `iss`+`jti` is accepted once (§2.6 step 8); the sync method then refuses.
   */
  verifyLogoutToken(token: string): Promise<VerifiedLogoutToken>;
  /** Synchronous {@link TokenVerifier.verifyLogoutToken} for static key sets. */
  verifyLogoutTokenSync(token: string): VerifiedLogoutToken;
  /** Loads remote keys (discovery and JWKS) ahead of the first token. */
  warmUp(): Promise<void>;
  /**
   * Counters of the key sources, per issuer; with the verified-signature cache on (the default),
   * also `cache`: its `hits`, `misses`, `evictions`, `entries` and `bytes`.
   */
  stats(): VerifierStats;
  /**
   * Detaches from shared JWKS caches (stops their refresh timers when no one else uses them) and
   * empties the verified-signature cache.
   */
  close(): void;
}
