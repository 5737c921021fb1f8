/**
 * oidc-verifier: verify OpenID Connect ID tokens and JWT access tokens.
 * This file is the whole public API.
 * @packageDocumentation
 */
export { createVerifier } from './verifier.js';
export type {
  Verifier,
  VerifiedToken,
  VerifiedIdToken,
  VerifiedAccessToken,
  VerifiedLogoutToken,
  IdTokenClaims,
  AccessTokenClaims,
  LogoutTokenClaims,
} from './verifier.js';
export type { IdTokenCheckOptions } from './claims/id-token.js';
export type { AccessTokenCheckOptions } from './claims/access-token.js';
export { BACKCHANNEL_LOGOUT_EVENT } from './claims/logout-token.js';
export type { VerifierOptions, IssuerOptions } from './options.js';
export { VerifyError, ClaimError, KeyNotFoundError, FetchError, ERROR_CODES } from './errors.js';
export type { ErrorCode, KeyRejection, FetchFailureReason } from './errors.js';
export type { Algorithm, AsymmetricAlgorithm, SymmetricAlgorithm } from './jose/algorithms.js';
export type { JoseHeader, JwtPayload, Jwk, Jwks } from './jose/types.js';
export type { KeySource } from './keys/key-source.js';
export type { VerificationKey } from './keys/jwk.js';
export { hashClaimValue } from './claims/hash-claim.js';
export { createRemoteKeySource } from './remote/remote-key-source.js';
export type { RemoteKeySource, RemoteKeySourceOptions } from './remote/remote-key-source.js';
export type { JwksStore, PersistedJwks } from './remote/jwks-store.js';
export type { RemoteKeyEvent, RemoteKeyStats, RemoteKeyListener, RefreshReason } from './remote/events.js';
export { discover } from './remote/discovery.js';
export type { ProviderMetadata } from './remote/discovery.js';
export type { FetchLike, JsonResponse } from './remote/http.js';
export { createIntrospector, processIntrospectionResponse, sendIntrospectionRequest } from './remote/introspection.js';
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
export { bearerChallenge } from './http/challenge.js';
export type { BearerChallenge, BearerErrorCode } from './http/challenge.js';
export type { HttpRequest, PlainRequest, HeaderSource } from './http/http-request.js';
export type { CredentialSource, ExtractOptions } from './http/bearer-token.js';
export type {
  VerifyRequestOptions,
  VerifiedRequest,
  VerifiedJwtRequest,
  VerifiedOpaqueRequest,
  RequestClaims,
  IntrospectMode,
} from './http/verify-request.js';
