import { VerifyError, describeValue } from './errors.js';
import type { AccessTokenCheckOptions } from './claims/access-token.js';
import type { IdTokenCheckOptions } from './claims/id-token.js';
import { hashClaimsAhead, type HashClaimValues } from './claims/hash-claim.js';
import { TOKEN_PROFILES, type TokenProfileName } from './claims/token-profiles.js';
import { nodePlatform, signatureBackend, type KeyHolder } from './jose/backend.js';
import { verifyWithKeysWebCrypto } from './jose/webcrypto.js';
import type { JwtPayload } from './jose/types.js';
import type { VerificationKey } from './keys/jwk.js';
import type { KeySourceStats } from './keys/key-source.js';
import { IssuerRegistry, type RemoteSourceFactory } from './issuers.js';
import { commonConfig, replayConfig, type CommonConfig, type ReplayConfig, type VerifierOptions } from './options.js';
import type { Introspector } from './remote/introspection.js';
import { createMemoryReplayStore } from './replay/memory-replay-store.js';
import type { ReplayStore } from './replay/replay-store.js';
import {
  signatureCacheOf,
  type CacheEntry,
  type SignatureCacheStats,
  type VerifiedSignatureCache,
} from './cache/verified-signature-cache.js';
import { NO_OPTIONS, checkCallOptions, type CallOptions } from './verifier/call-options.js';
import { checkDpop, checkScheme, claimJti, wantsReplay } from './verifier/dpop-and-replay.js';
import { prepareToken, signatureError, type Prepared } from './verifier/prepared-token.js';
import { cacheAwareFactory, introspectorOf, remoteFactory } from './verifier/remote-sources.js';
import type {
  AccessTokenVerifyOptions,
  IdTokenVerifyOptions,
  TokenVerifier,
  VerifiedAccessToken,
  VerifiedIdToken,
  VerifiedLogoutToken,
  VerifiedToken,
  VerifierStats,
} from './verifier/types.js';

/**
 * The token verifier, composed: per-call option checks (verifier/call-options.ts), the cheap
 * checks (verifier/prepared-token.ts), keys from the issuer's source, the signature (jose/), the
 * verified-signature cache, the claims of the token's profile (claims/token-profiles.ts), then
 * DPoP binding and replay (verifier/dpop-and-replay.ts).
 */

type Profile = TokenProfileName;

export class OidcVerifier implements TokenVerifier {
  readonly #common: CommonConfig;
  readonly #issuers: IssuerRegistry;
  readonly introspector: Introspector | undefined;
  readonly #replay: ReplayConfig;
  /** DPoP proof `jti`s when no `replayStore` is configured; created on first use. */
  #dpopStore: ReplayStore | undefined;
  /** Signatures already verified; undefined with `cache: false`. */
  readonly #cache: VerifiedSignatureCache | undefined;

  constructor(options: VerifierOptions, remote: RemoteSourceFactory) {
    this.#common = commonConfig(options);
    this.#replay = replayConfig(options);
    const cache = (this.#cache = signatureCacheOf(options.cache));
    this.#issuers = new IssuerRegistry(options, this.#common, cache === undefined ? remote : cacheAwareFactory(remote, cache));
    this.introspector = introspectorOf(options);
  }

  /** Checks that need the store or a DPoP proof, after signature and claims passed. */
  #needsAfter(profile: Profile, options: CallOptions): boolean {
    return (
      wantsReplay(profile, options, this.#replay) || (profile === 'access' && (options.dpop !== undefined || options.scheme !== undefined))
    );
  }

  /**
   * Runs after every other check passed, so unauthenticated tokens never reach the store: the
   * DPoP binding (RFC 9449 §7.1) for access tokens, then the replay claim of `iss`+`jti`.
   */
  async #after(v: VerifiedToken<JwtPayload>, token: string, profile: Profile, options: CallOptions): Promise<VerifiedToken<JwtPayload>> {
    if (profile === 'access') await checkDpop(v.payload, token, options, this.#common, this.#replay, () => this.#dpopReplayStore());
    if (wantsReplay(profile, options, this.#replay)) await claimJti(v.payload, this.#common, this.#replay, this.#replay.replayStore!);
    return v;
  }

  /** Where DPoP proof `jti`s go: the verifier's `replayStore`, else a memory store made on first use. */
  #dpopReplayStore(): ReplayStore {
    return this.#replay.replayStore ?? (this.#dpopStore ??= createMemoryReplayStore({ now: this.#common.now }));
  }

  /** Cheap checks first: format, alg, issuer. Nothing here touches keys or the network. */
  #prepare(token: string, profile: Profile, options: CallOptions, entry?: CacheEntry): Prepared {
    if (options !== NO_OPTIONS) checkCallOptions(options, profile);
    return prepareToken(token, profile, this.#common.maxTokenLength, this.#issuers, entry);
  }

  /**
   * The verified-signature cache's answer for a prepared token: the index of the candidate key
   * that verified this exact token before (the signature check is skipped), or -1 with `p` parsed
   * in full for the check.
   */
  #cached(p: Prepared, keys: readonly KeyHolder[], profile: Profile, options: CallOptions): { p: Prepared; i: number } {
    const cache = this.#cache!;
    if (p.entry === undefined) {
      cache.miss();
      return { p, i: -1 };
    }
    const i = cache.confirm(p.token, p.entry, keys, this.#now());
    return i >= 0 ? { p, i } : { p: this.#prepare(p.token, profile, options), i: -1 };
  }

  /** Remembers a token that passed every check, until its `exp` (plus the tolerance). */
  #remember(p: Prepared, key: KeyHolder): void {
    const exp = p.jws.payload.exp;
    if (typeof exp !== 'number') return;
    this.#cache!.add(p.token, key, (exp + this.#common.clockTolerance) * 1000, p.jws.header, this.#now());
  }

  #keys(p: Prepared): readonly KeyHolder[] | Promise<readonly KeyHolder[]> {
    if (p.spec.family === 'hmac') return p.ctx.hmacKeys!;
    return p.ctx.keySource.getKeys(p.jws.header, p.alg);
  }

  #finish(p: Prepared, key: KeyHolder, profile: Profile, options: CallOptions, hashes?: HashClaimValues): VerifiedToken<JwtPayload> {
    const { header, payload } = p.jws;
    // id_token_signing_alg_values_supported speaks of ID tokens only.
    const advertised = TOKEN_PROFILES[profile].advertisedAlgorithms ? p.ctx.keySource.advertisedAlgorithms?.() : undefined;
    if (advertised !== undefined && p.spec.family !== 'hmac' && !advertised.includes(p.alg)) {
      throw new VerifyError(
        'ERR_ALG_NOT_ALLOWED',
        `alg ${p.alg} is not in the issuer's id_token_signing_alg_values_supported: ${advertised.join(', ')}`,
      );
    }
    const crv = (key as Partial<VerificationKey>).crv;
    const clock = { now: this.#now() / 1000, tolerance: this.#common.clockTolerance };
    TOKEN_PROFILES[profile].check({ header, payload, clock, rules: p.ctx.rules, options, alg: p.alg, crv, hashes });
    const validate = this.#common.validate;
    if (validate !== undefined) {
      try {
        validate({ header, payload });
      } catch (err) {
        if (err instanceof VerifyError) throw err;
        throw new VerifyError('ERR_CLAIM_INVALID', `custom validation failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
    }
    const kid = (key as Partial<VerificationKey>).kid;
    return {
      header,
      payload,
      issuer: p.ctx.issuer,
      key: kid !== undefined ? { kid, alg: p.alg } : { alg: p.alg },
    };
  }

  /** The configured clock; a clock that throws or returns anything but a finite number fails closed. */
  #now(): number {
    let t: unknown;
    try {
      t = this.#common.now();
    } catch (err) {
      throw new VerifyError('ERR_CONFIG', `the now option threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new VerifyError(
        'ERR_CONFIG',
        `the now option must return a finite number of milliseconds, got ${typeof t === 'number' ? String(t) : describeValue(t)}`,
      );
    }
    return t;
  }

  #verifyWithKeys(
    p: Prepared,
    keys: readonly KeyHolder[],
    profile: Profile,
    options: CallOptions,
    hashes?: HashClaimValues,
  ): Promise<VerifiedToken<JwtPayload>> {
    if (this.#cache !== undefined) {
      try {
        const c = this.#cached(p, keys, profile, options);
        if (c.i >= 0) return Promise.resolve(this.#checked(c.p, keys, c.i, profile, options, hashes));
        p = c.p;
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const { signingInput, signature } = p.jws;
    const backend = signatureBackend();
    const node = nodePlatform();
    if (node === undefined || !backend.synchronous || backend.asyncViaWebCrypto.has(p.alg)) {
      return verifyWithKeysWebCrypto(p.spec, keys, signingInput, signature).then((i) =>
        this.#checked(p, keys, i, profile, options, hashes),
      );
    }
    if (node.claimInlineSlot()) {
      try {
        return Promise.resolve(this.#checked(p, keys, node.verifyWithKeys(p.spec, keys, signingInput, signature), profile, options));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise((resolve, reject) => {
      node.verifyPiledUp(
        p.spec,
        keys,
        signingInput,
        signature,
        (i) => {
          try {
            resolve(this.#checked(p, keys, i, profile, options));
          } catch (err) {
            reject(err);
          }
        },
        this.#common.worker,
      );
    });
  }

  /** Turns the index of the key that verified (-1: none) into the result or the first failure. */
  #checked(
    p: Prepared,
    keys: readonly KeyHolder[],
    i: number,
    profile: Profile,
    options: CallOptions,
    hashes?: HashClaimValues,
  ): VerifiedToken<JwtPayload> {
    if (i < 0) throw signatureError(p, keys.length);
    const result = this.#finish(p, keys[i]!, profile, options, hashes);
    if (this.#cache !== undefined && p.entry === undefined) this.#remember(p, keys[i]!);
    p.ctx.verified?.();
    return result;
  }

  #verify(token: string, profile: Profile, options: CallOptions): Promise<VerifiedToken<JwtPayload>> {
    let p: Prepared;
    let keys: readonly KeyHolder[] | Promise<readonly KeyHolder[]>;
    let after: boolean;
    try {
      p = this.#prepare(token, profile, options, this.#cache?.peek(token));
      after = this.#needsAfter(profile, options);
      keys = this.#keys(p);
    } catch (err) {
      return Promise.reject(err);
    }
    const ahead = profile === 'id' ? hashClaimsAhead(options, p.alg) : undefined;
    const verified =
      ahead !== undefined
        ? Promise.all([keys, ahead]).then(([k, h]) => this.#verifyWithKeys(p, k, profile, options, h))
        : keys instanceof Promise
          ? keys.then((k) => this.#verifyWithKeys(p, k, profile, options))
          : this.#verifyWithKeys(p, keys, profile, options);
    return after ? verified.then((v) => this.#after(v, token, profile, options)) : verified;
  }

  #verifySync(token: string, profile: Profile, options: CallOptions): VerifiedToken<JwtPayload> {
    let p = this.#prepare(token, profile, options, this.#cache?.peek(token));
    if (wantsReplay(profile, options, this.#replay) || (profile === 'access' && options.dpop !== undefined)) {
      throw new VerifyError('ERR_CONFIG', 'replay checks and DPoP proofs need the async method (the store answers asynchronously)');
    }
    if (p.spec.family !== 'hmac' && !p.ctx.keySource.synchronous) {
      throw new VerifyError('ERR_CONFIG', `synchronous verification needs static keys (jwks) for ${p.ctx.issuer}; use the async method`);
    }
    const backend = signatureBackend();
    const node = nodePlatform();
    if (node === undefined || !backend.synchronous) {
      throw new VerifyError(
        'ERR_CONFIG',
        `synchronous verification is not available on ${backend.runtime}: its ${backend.name} verifies asynchronously only; use the async method`,
      );
    }
    const keys = this.#keys(p) as readonly KeyHolder[];
    let v: VerifiedToken<JwtPayload> | undefined;
    if (this.#cache !== undefined) {
      const c = this.#cached(p, keys, profile, options);
      if (c.i >= 0) v = this.#checked(c.p, keys, c.i, profile, options);
      else p = c.p;
    }
    v ??= this.#checked(p, keys, node.verifyWithKeys(p.spec, keys, p.jws.signingInput, p.jws.signature), profile, options);
    if (profile === 'access' && options.scheme !== undefined) checkScheme(v.payload, options);
    return v;
  }

  verifyIdToken(token: string, options: IdTokenVerifyOptions = NO_OPTIONS): Promise<VerifiedIdToken> {
    return this.#verify(token, 'id', options) as Promise<VerifiedIdToken>;
  }

  verifyIdTokenSync(token: string, options: IdTokenCheckOptions = NO_OPTIONS): VerifiedIdToken {
    return this.#verifySync(token, 'id', options) as VerifiedIdToken;
  }

  verifyAccessToken(token: string, options: AccessTokenVerifyOptions = NO_OPTIONS): Promise<VerifiedAccessToken> {
    return this.#verify(token, 'access', options) as Promise<VerifiedAccessToken>;
  }

  verifyAccessTokenSync(token: string, options: AccessTokenCheckOptions = NO_OPTIONS): VerifiedAccessToken {
    return this.#verifySync(token, 'access', options) as VerifiedAccessToken;
  }

  // A logout token takes no per-call options; an object passed anyway (from JavaScript) must be empty.
  verifyLogoutToken(token: string, options: object = NO_OPTIONS): Promise<VerifiedLogoutToken> {
    return this.#verify(token, 'logout', options) as Promise<VerifiedLogoutToken>;
  }

  verifyLogoutTokenSync(token: string, options: object = NO_OPTIONS): VerifiedLogoutToken {
    return this.#verifySync(token, 'logout', options) as VerifiedLogoutToken;
  }

  async warmUp(): Promise<void> {
    await Promise.all(this.#issuers.contexts().map((c) => c.keySource.warmUp?.() ?? Promise.resolve()));
  }

  close(): void {
    for (const c of this.#issuers.contexts()) c.keySource.close?.();
    this.#cache?.clear();
  }

  stats(): VerifierStats {
    const out: Record<string, KeySourceStats | SignatureCacheStats> = {};
    for (const c of this.#issuers.contexts()) {
      const s = c.keySource.stats?.();
      if (s !== undefined) out[c.issuer] = s;
    }
    if (this.#cache !== undefined) out.cache = this.#cache.stats();
    return out;
  }
}

/**
 * Creates the token-level verifier. The public `createVerifier` (src/http/request-verifier.ts)
 * builds on it and adds request verification, so this layer never imports the HTTP layer.
 * @internal
 */
export function createTokenVerifier(options: VerifierOptions): OidcVerifier {
  return new OidcVerifier(options, remoteFactory);
}
