/**
 * The whole public API, shared by the Node entry (src/index.ts, node:crypto) and the edge entry
 * (src/edge.ts, WebCrypto). It imports no `node:` module.
 */
export { createVerifier } from './http/request-verifier.js';
export type { Verifier } from './http/request-verifier.js';
export type {
  TokenVerifier,
  VerifiedToken,
  VerifiedIdToken,
  VerifiedAccessToken,
  VerifiedLogoutToken,
  IdTokenVerifyOptions,
  AccessTokenVerifyOptions,
  ReplayCheckOptions,
  DpopRequest,
  VerifierStats,
} from './verifier/types.js';
export type { IdTokenClaims } from './claims/id-token.js';
export type { AccessTokenClaims } from './claims/access-token.js';
export type { LogoutTokenClaims } from './claims/logout-token.js';
export type { IdTokenCheckOptions } from './claims/id-token.js';
export type { AccessTokenCheckOptions } from './claims/access-token.js';
export { BACKCHANNEL_LOGOUT_EVENT } from './claims/logout-token.js';
export type { VerifierOptions, IssuerOptions, DpopVerifierOptions } from './options.js';
export { VerifyError, ClaimError, KeyNotFoundError, FetchError, DpopError, ERROR_CODES } from './errors.js';
export type { ErrorCode, KeyRejection, FetchFailureReason, DpopErrorKind } from './errors.js';
export type { ReplayStore } from './replay/replay-store.js';
export { createMemoryReplayStore } from './replay/memory-replay-store.js';
export type { MemoryReplayStoreOptions } from './replay/memory-replay-store.js';
export { createRedisReplayStore } from './replay/redis-replay-store.js';
export type { RedisReplayStoreOptions, NodeRedisLikeClient, IoRedisLikeClient } from './replay/redis-replay-store.js';
export { verifyDpopProof, accessTokenHash, accessTokenHashAsync } from './dpop/verify-proof.js';
export type { DpopProofOptions, VerifiedDpopProof } from './dpop/verify-proof.js';
export { createDpopNonceSource, createDpopNonceSourceAsync } from './dpop/nonce.js';
export type { AsyncDpopNonceSource, DpopNonceChecker, DpopNonceSource, DpopNonceSourceOptions } from './dpop/nonce.js';
export { jwkThumbprint, jwkThumbprintAsync } from './dpop/thumbprint.js';
export type { SignatureCacheOptions, SignatureCacheStats } from './cache/verified-signature-cache.js';
export type { Algorithm, AsymmetricAlgorithm, SymmetricAlgorithm } from './jose/algorithms.js';
export type { JoseHeader, JwtPayload, Jwk, Jwks } from './jose/types.js';
export type { KeySource, KeySourceStats } from './keys/key-source.js';
export type { VerificationKey } from './keys/jwk.js';
export { importVerificationKey } from './keys/import-verification-key.js';
export { hashClaimValue, hashClaimValueAsync } from './claims/hash-claim.js';
export { createRemoteKeySource } from './remote/remote-key-source.js';
export type { RemoteKeySource, RemoteKeySourceOptions } from './remote/remote-key-source.js';
export type { JwksStore, PersistedJwks } from './remote/jwks-store.js';
export type { RemoteKeyEvent, RemoteKeyStats, RemoteKeyListener, RefreshReason } from './remote/events.js';
export { discover } from './remote/discovery.js';
export type { ProviderMetadata } from './remote/discovery.js';
export type { FetchLike, JsonResponse, HttpOptions, RemoteErrorCode } from './remote/http.js';
export type { Freshness } from './remote/cache-control.js';
export { createIntrospector, processIntrospectionResponse, sendIntrospectionRequest } from './remote/introspection.js';
export type { IntrospectionCacheStore, IntrospectionCacheEntry } from './remote/introspection-cache-store.js';
export { createRedisIntrospectionCache } from './replay/redis-introspection-cache.js';
export type { RedisIntrospectionCacheOptions, NodeRedisCacheClient } from './replay/redis-introspection-cache.js';
export type {
  Introspector,
  IntrospectorOptions,
  IntrospectOptions,
  IntrospectorStats,
  IntrospectionResponse,
  IntrospectionChecks,
  IntrospectionRequestOptions,
  ClientAuthMethod,
  TokenTypeHint,
} from './remote/introspection.js';
export { RequestError, toRequestError } from './http/request-error.js';
export type { ChallengeContext } from './http/request-error.js';
export { errorResponse } from './http/error-response.js';
export type { ErrorResponse } from './http/error-response.js';
export { bearerChallenge, dpopChallenge } from './http/challenge.js';
export type { BearerChallenge, BearerErrorCode, DpopChallenge, DpopChallengeErrorCode } from './http/challenge.js';
export type { HttpRequest, PlainRequest, HeaderSource } from './http/http-request.js';
export type { CredentialScheme, CredentialSource, ExtractOptions } from './http/bearer-token.js';
export type { ForwardedHeader, TargetOptions } from './http/request-target.js';
export type {
  VerifyRequestOptions,
  VerifiedRequest,
  VerifiedJwtRequest,
  VerifiedOpaqueRequest,
  RequestClaims,
  IntrospectMode,
  DpopMode,
} from './http/verify-request.js';
