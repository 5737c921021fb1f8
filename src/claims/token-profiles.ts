import type { JoseHeader, JwtPayload } from '../jose/types.js';
import { ACCESS_TOKEN_TYPES, checkAccessTokenClaims, type AccessTokenCheckOptions } from './access-token.js';
import { ID_TOKEN_TYPES, checkIdTokenClaims, type IdTokenCheckOptions } from './id-token.js';
import { LOGOUT_TOKEN_TYPES, checkLogoutTokenClaims } from './logout-token.js';
import type { HashClaimValues } from './hash-claim.js';
import type { ClaimClock, ProfileRules } from './rules.js';

/** The kinds of token the verifier knows. */
export type TokenProfileName = 'id' | 'access' | 'logout';

/** What a profile's checks are given, after the signature and the issuer passed. */
export interface ProfileCheckInput {
  readonly header: JoseHeader;
  readonly payload: JwtPayload;
  readonly clock: ClaimClock;
  readonly rules: ProfileRules;
  readonly options: IdTokenCheckOptions & AccessTokenCheckOptions;
  readonly alg: string;
  readonly crv: string | undefined;
  /** `at_hash`/`c_hash`/`s_hash` values hashed ahead (asynchronously, without node:crypto). */
  readonly hashes?: HashClaimValues | undefined;
}

/** One kind of token: its `typ` values, which algorithms it may use, and its claim checks. */
export interface TokenProfile {
  readonly name: TokenProfileName;
  /** For messages: "an ID token". */
  readonly article: string;
  /** Accepted `typ` values (lower case, without `application/`); `required`: absent is refused. */
  readonly typ: { readonly accepted: readonly string[]; readonly required: boolean };
  /** HMAC with the client secret is for ID tokens only (OIDC Core §10.1). */
  readonly hmac: boolean;
  /** Whether the issuer's `id_token_signing_alg_values_supported` (Discovery §3) narrows the allowlist. */
  readonly advertisedAlgorithms: boolean;
  /** Header and claim checks of the profile. */
  check(input: ProfileCheckInput): void;
}

/**
 * The one table of token profiles: the verifier dispatches through it instead of branching on the
 * kind of token.
 */
export const TOKEN_PROFILES: Readonly<Record<TokenProfileName, TokenProfile>> = {
  id: {
    name: 'id',
    article: 'an ID token',
    typ: { accepted: ID_TOKEN_TYPES, required: false },
    hmac: true,
    advertisedAlgorithms: true,
    check: (i) => checkIdTokenClaims(i.header, i.payload, i.clock, i.rules, i.options, i.alg, i.crv, i.hashes),
  },
  access: {
    name: 'access',
    article: 'an access token',
    typ: { accepted: ACCESS_TOKEN_TYPES, required: true },
    hmac: false,
    advertisedAlgorithms: false,
    check: (i) => checkAccessTokenClaims(i.header, i.payload, i.clock, i.rules, i.options),
  },
  logout: {
    name: 'logout',
    article: 'a logout token',
    typ: { accepted: LOGOUT_TOKEN_TYPES, required: false },
    hmac: false,
    advertisedAlgorithms: false,
    check: (i) => checkLogoutTokenClaims(i.header, i.payload, i.clock, i.rules),
  },
};
