import { ClaimError, DpopError, VerifyError, describe } from './errors.js';
import type { AccessTokenCheckOptions } from './claims/access-token.js';
import { responseTypeProblem, type IdTokenCheckOptions } from './claims/id-token.js';
import { TOKEN_PROFILES, type TokenProfileName } from './claims/token-profiles.js';
import { ALGORITHMS, SYMMETRIC_ALGORITHMS, type Algorithm, type AlgorithmSpec } from './jose/algorithms.js';
import { parseCompactJws, type ParsedJws } from './jose/compact.js';
import { claimInlineSlot, verifyPiledUp, verifyWithKeys, type KeyHolder } from './concurrency/dispatch.js';
import { signatureBackend, unavailableReason } from './jose/backend.js';
import { verifyWithKeysWebCrypto } from './jose/webcrypto.js';
import type { JoseHeader, JwtPayload } from './jose/types.js';
import type { VerificationKey } from './keys/jwk.js';
import { IssuerRegistry, type IssuerContext, type RemoteSourceFactory } from './issuers.js';
import { createRemoteKeySource, type RemoteKeySource } from './remote/remote-key-source.js';
import type { RemoteKeyListener } from './remote/events.js';
import { commonConfig, replayConfig, type CommonConfig, type ReplayConfig, type VerifierOptions } from './options.js';
import { rejectUnknownOptions } from './option-checks.js';
import { createIntrospector, type Introspector, type IntrospectorOptions } from './remote/introspection.js';
import { verifyDpopProof } from './dpop/verify-proof.js';
import { createMemoryReplayStore } from './replay/memory-replay-store.js';
import { claimOnce, replayKey, type ReplayStore } from './replay/replay-store.js';
import { parseJsonObject } from './jose/json.js';
import { signatureCacheOf, type CacheEntry, type VerifiedSignatureCache } from './cache/verified-signature-cache.js';

/** Claims of a verified ID token (OIDC Core §2). */
export interface IdTokenClaims extends JwtPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly auth_time?: number;
  readonly nonce?: string;
  readonly acr?: string;
  readonly amr?: readonly string[];
  readonly azp?: string;
  readonly at_hash?: string;
  readonly c_hash?: string;
  readonly s_hash?: string;
  readonly sid?: string;
}

/** Claims of a verified JWT access token (RFC 9068 §2.2). */
export interface AccessTokenClaims extends JwtPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope?: string;
}

/** Claims of a verified logout token (Back-Channel Logout §2.4). */
export interface LogoutTokenClaims extends JwtPayload {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly events: { readonly 'http://schemas.openid.net/event/backchannel-logout': object };
  readonly sub?: string;
  readonly sid?: string;
}

/** A token that passed every check. */
export interface VerifiedToken<C extends JwtPayload> {
  readonly header: JoseHeader;
  readonly payload: C;
  /** The configured issuer that matched (the concrete one for templates). */
  readonly issuer: string;
  /** The key that verified the signature. */
  readonly key: { readonly kid?: string; readonly alg: Algorithm };
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

/** Verifies OpenID Connect ID tokens for one or several issuers. */
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
   * Counters of the remote key sources, per issuer; with the verified-signature cache on (the
   * default), also `cache`: its `hits`, `misses`, `evictions`, `entries` and `bytes`.
   */
  stats(): Record<string, object>;
  /**
   * Detaches from shared JWKS caches (stops their refresh timers when no one else uses them) and
   * empties the verified-signature cache.
   */
  close(): void;
}

interface Prepared {
  readonly token: string;
  /** Taken from a verified-signature cache entry (no signature bytes): confirm the entry or parse again. */
  readonly entry: CacheEntry | undefined;
  readonly jws: ParsedJws;
  readonly alg: Algorithm;
  readonly spec: AlgorithmSpec;
  readonly ctx: IssuerContext;
}

type Profile = TokenProfileName;
type CallOptions = IdTokenVerifyOptions & AccessTokenVerifyOptions;

const NO_OPTIONS: CallOptions = Object.freeze({});

function describeKid(header: JoseHeader): string {
  return typeof header.kid === 'string' ? ` with kid ${describe(header.kid)}` : '';
}

/** Per-call option names of each profile (a logout token takes none). */
const ID_OPTION_NAMES = Object.keys({
  nonce: true,
  maxAge: true,
  acrValues: true,
  accessToken: true,
  code: true,
  state: true,
  responseType: true,
  requireAtHash: true,
  requireCHash: true,
  requireSHash: true,
  preventReplay: true,
} satisfies Record<keyof IdTokenVerifyOptions, true>);
const ACCESS_OPTION_NAMES = Object.keys({
  requiredScopes: true,
  preventReplay: true,
  dpop: true,
  scheme: true,
} satisfies Record<keyof AccessTokenVerifyOptions, true>);
const CALL_OPTION_NAMES: Record<Profile, readonly string[]> = { id: ID_OPTION_NAMES, access: ACCESS_OPTION_NAMES, logout: [] };
const METHOD_NAMES: Record<Profile, string> = { id: 'verifyIdToken', access: 'verifyAccessToken', logout: 'verifyLogoutToken' };

function checkCallOptions(o: CallOptions, profile: Profile): void {
  if (typeof o !== 'object' || o === null) throw new VerifyError('ERR_CONFIG', 'verify options must be an object');
  rejectUnknownOptions(METHOD_NAMES[profile], o, CALL_OPTION_NAMES[profile]);
  for (const name of ['nonce', 'accessToken', 'code', 'state', 'responseType'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'string') throw new VerifyError('ERR_CONFIG', `option ${name} must be a string`);
  }
  if (o.responseType !== undefined) {
    const problem = responseTypeProblem(o.responseType);
    if (problem !== undefined)
      throw new VerifyError(
        'ERR_CONFIG',
        `option responseType must be a space-separated set of code, id_token, token (or none alone): ${problem}`,
      );
  }
  for (const name of ['requireAtHash', 'requireCHash', 'requireSHash'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean')
      throw new VerifyError('ERR_CONFIG', `option ${name} must be a boolean, got ${describe(o[name])}`);
  }
  if (o.maxAge !== undefined && (typeof o.maxAge !== 'number' || !(o.maxAge >= 0))) {
    throw new VerifyError('ERR_CONFIG', 'option maxAge must be a non-negative number of seconds');
  }
  if (o.preventReplay !== undefined && typeof o.preventReplay !== 'boolean')
    throw new VerifyError('ERR_CONFIG', 'option preventReplay must be a boolean');
  if (o.scheme !== undefined && o.scheme !== 'Bearer' && o.scheme !== 'DPoP')
    throw new VerifyError('ERR_CONFIG', 'option scheme must be "Bearer" or "DPoP"');
  if (o.dpop !== undefined) {
    const d = o.dpop as Partial<DpopRequest> | null;
    if (
      typeof d !== 'object' ||
      d === null ||
      typeof d.proof !== 'string' ||
      typeof d.method !== 'string' ||
      (typeof d.url !== 'string' && !(d.url instanceof URL))
    ) {
      throw new VerifyError('ERR_CONFIG', 'option dpop must be { proof: string, method: string, url: string | URL }');
    }
    if (o.scheme === 'Bearer') throw new VerifyError('ERR_CONFIG', 'option dpop contradicts scheme "Bearer"');
  }
  for (const name of ['acrValues', 'requiredScopes'] as const) {
    const v = o[name];
    if (v !== undefined && (!Array.isArray(v) || v.some((a) => typeof a !== 'string'))) {
      throw new VerifyError('ERR_CONFIG', `option ${name} must be an array of strings`);
    }
  }
}

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

  /** Whether this verification claims the token's `jti` (logout: always with a store). */
  #wantsReplay(profile: Profile, options: CallOptions): boolean {
    if (profile === 'logout') return this.#replay.replayStore !== undefined;
    const wanted = options.preventReplay ?? this.#replay.preventReplay;
    if (wanted && this.#replay.replayStore === undefined) {
      throw new VerifyError('ERR_CONFIG', 'preventReplay needs a replayStore on the verifier');
    }
    return wanted;
  }

  /** Checks that need the store or a DPoP proof, after signature and claims passed. */
  #needsAfter(profile: Profile, options: CallOptions): boolean {
    return this.#wantsReplay(profile, options) || (profile === 'access' && (options.dpop !== undefined || options.scheme !== undefined));
  }

  /**
   * Runs after every other check passed, so unauthenticated tokens never reach the store: the
   * DPoP binding (RFC 9449 §7.1) for access tokens, then the replay claim of `iss`+`jti`.
   */
  async #after(v: VerifiedToken<JwtPayload>, token: string, profile: Profile, options: CallOptions): Promise<VerifiedToken<JwtPayload>> {
    if (profile === 'access') await this.#checkDpop(v.payload, token, options);
    if (this.#wantsReplay(profile, options)) await this.#claimJti(v.payload);
    return v;
  }

  /** The scheme rules without a proof (synchronous): RFC 9449 §7.2. */
  #checkScheme(payload: JwtPayload, options: CallOptions): void {
    if (options.dpop !== undefined) return;
    if (options.scheme === 'DPoP') throw new DpopError('invalid_dpop_proof', 'DPoP proof: the DPoP scheme was used without a proof');
    const cnf = payload.cnf;
    if (options.scheme === 'Bearer' && typeof cnf === 'object' && cnf !== null && (cnf as Record<string, unknown>).jkt !== undefined) {
      throw new ClaimError(
        'ERR_CLAIM_INVALID',
        'cnf',
        'dpop-bound',
        'a DPoP-bound token (cnf.jkt) was sent with the Bearer scheme: expected DPoP (RFC 9449 §7.2)',
      );
    }
  }

  async #checkDpop(payload: JwtPayload, token: string, options: CallOptions): Promise<void> {
    this.#checkScheme(payload, options);
    if (options.dpop === undefined) return;
    const cnf = payload.cnf;
    const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined;
    if (jkt === undefined)
      throw new ClaimError('ERR_CLAIM_MISSING', 'cnf', 'missing', 'a DPoP proof was sent but the access token has no "cnf.jkt" binding');
    if (typeof jkt !== 'string' || jkt.length === 0) {
      throw new ClaimError('ERR_CLAIM_INVALID', 'cnf', 'type', `"cnf.jkt" must be a non-empty string, got ${describe(jkt)}`);
    }
    const d = this.#replay.dpop;
    await verifyDpopProof({
      proof: options.dpop.proof,
      method: options.dpop.method,
      url: options.dpop.url,
      accessToken: token,
      expectedJkt: jkt,
      now: this.#common.now,
      clockTolerance: this.#common.clockTolerance,
      replayStore: this.#replay.replayStore ?? (this.#dpopStore ??= createMemoryReplayStore({ now: this.#common.now })),
      ...(d.iatWindow !== undefined ? { iatWindow: d.iatWindow } : {}),
      ...(d.algorithms !== undefined ? { algorithms: d.algorithms } : {}),
      ...(d.nonce !== undefined ? { nonce: d.nonce } : {}),
    });
  }

  async #claimJti(payload: JwtPayload): Promise<void> {
    const jti = payload.jti;
    if (jti === undefined) throw new ClaimError('ERR_CLAIM_MISSING', 'jti', 'missing', '"jti" is required for the replay check');
    if (typeof jti !== 'string' || jti.length === 0) {
      throw new ClaimError('ERR_CLAIM_INVALID', 'jti', 'type', `"jti" must be a non-empty string, got ${describe(jti)}`);
    }
    const iss = payload.iss as string;
    const nowMs = this.#common.now();
    const exp = typeof payload.exp === 'number' ? payload.exp : Infinity;
    const expiresAtMs = Math.min(Math.ceil((exp + this.#common.clockTolerance) * 1000), nowMs + this.#replay.maxReplayWindow * 1000);
    if (!(await claimOnce(this.#replay.replayStore!, replayKey('jti', iss, jti), expiresAtMs))) {
      throw new ClaimError('ERR_REPLAY', 'jti', 'replayed', `a token from ${describe(iss)} with this "jti" was already accepted (replay)`);
    }
  }

  /** Cheap checks first: format, alg, issuer. Nothing here touches keys or the network. */
  #prepare(token: string, profile: Profile, options: CallOptions, entry?: CacheEntry): Prepared {
    if (options !== NO_OPTIONS) checkCallOptions(options, profile);
    // A cached token passed every format check before: its header serves again, its payload is
    // decoded again (each result owns its payload), and no signature bytes are needed.
    const payload = entry !== undefined ? cachedPayload(token, entry) : undefined;
    const jws: ParsedJws =
      payload !== undefined
        ? { header: entry!.header, payload, signingInput: NO_BYTES, signature: NO_BYTES }
        : parseCompactJws(token, this.#common.maxTokenLength);
    const alg = jws.header.alg;
    if (alg.length === 4 && alg.toLowerCase() === 'none') {
      throw new VerifyError('ERR_ALG_NOT_ALLOWED', 'alg "none" (unsecured JWS) is never accepted');
    }
    const ctx = this.#issuers.select(jws.payload);
    // OIDC Core §10.1: the client secret signs ID tokens only. Access and logout tokens come from the
    // issuer's asymmetric keys, whatever `algorithms` allows.
    if (!TOKEN_PROFILES[profile].hmac && (SYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      const asymmetric = [...ctx.allowed].filter((a) => !(SYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
      throw new VerifyError(
        'ERR_ALG_NOT_ALLOWED',
        `alg ${JSON.stringify(alg)} is not allowed for ${TOKEN_PROFILES[profile].article}: HMAC with the client secret is for ID tokens only (OIDC Core §10.1); ${asymmetric.length > 0 ? `expected one of ${asymmetric.join(', ')}` : 'no asymmetric algorithm is configured'}`,
      );
    }
    if (!ctx.allowed.has(alg)) {
      throw new VerifyError(
        'ERR_ALG_NOT_ALLOWED',
        `alg ${JSON.stringify(alg)} is not allowed for ${ctx.issuer}: expected one of ${[...ctx.allowed].join(', ')}`,
      );
    }
    const gap = unavailableReason(alg);
    if (gap !== undefined) {
      throw new VerifyError('ERR_ALG_NOT_ALLOWED', `alg ${alg} cannot be verified on ${signatureBackend().runtime}: ${gap}`);
    }
    return { token, entry: payload !== undefined ? entry : undefined, jws, alg: alg as Algorithm, spec: ALGORITHMS[alg as Algorithm], ctx };
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

  #signatureError(p: Prepared, tried: number): VerifyError {
    return new VerifyError(
      'ERR_SIGNATURE_INVALID',
      `signature of ${p.alg} token${describeKid(p.jws.header)} is invalid (checked against ${tried} key${tried === 1 ? '' : 's'})`,
    );
  }

  #finish(p: Prepared, key: KeyHolder, profile: Profile, options: CallOptions): VerifiedToken<JwtPayload> {
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
    TOKEN_PROFILES[profile].check({ header, payload, clock, rules: p.ctx.rules, options, alg: p.alg, crv });
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
        `the now option must return a finite number of milliseconds, got ${typeof t === 'number' ? String(t) : describe(t)}`,
      );
    }
    return t;
  }

  #verifyWithKeys(p: Prepared, keys: readonly KeyHolder[], profile: Profile, options: CallOptions): Promise<VerifiedToken<JwtPayload>> {
    if (this.#cache !== undefined) {
      try {
        const c = this.#cached(p, keys, profile, options);
        if (c.i >= 0) return Promise.resolve(this.#checked(c.p, keys, c.i, profile, options));
        p = c.p;
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const { signingInput, signature } = p.jws;
    const backend = signatureBackend();
    if (!backend.synchronous || backend.asyncViaWebCrypto.has(p.alg)) {
      return verifyWithKeysWebCrypto(p.spec, keys, signingInput, signature).then((i) => this.#checked(p, keys, i, profile, options));
    }
    if (claimInlineSlot()) {
      try {
        return Promise.resolve(this.#checked(p, keys, verifyWithKeys(p.spec, keys, signingInput, signature), profile, options));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise((resolve, reject) => {
      verifyPiledUp(
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
  #checked(p: Prepared, keys: readonly KeyHolder[], i: number, profile: Profile, options: CallOptions): VerifiedToken<JwtPayload> {
    if (i < 0) throw this.#signatureError(p, keys.length);
    const result = this.#finish(p, keys[i]!, profile, options);
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
    const verified =
      keys instanceof Promise
        ? keys.then((k) => this.#verifyWithKeys(p, k, profile, options))
        : this.#verifyWithKeys(p, keys, profile, options);
    return after ? verified.then((v) => this.#after(v, token, profile, options)) : verified;
  }

  #verifySync(token: string, profile: Profile, options: CallOptions): VerifiedToken<JwtPayload> {
    let p = this.#prepare(token, profile, options, this.#cache?.peek(token));
    if (this.#wantsReplay(profile, options) || (profile === 'access' && options.dpop !== undefined)) {
      throw new VerifyError('ERR_CONFIG', 'replay checks and DPoP proofs need the async method (the store answers asynchronously)');
    }
    if (p.spec.family !== 'hmac' && !p.ctx.keySource.synchronous) {
      throw new VerifyError('ERR_CONFIG', `synchronous verification needs static keys (jwks) for ${p.ctx.issuer}; use the async method`);
    }
    const backend = signatureBackend();
    if (!backend.synchronous) {
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
    v ??= this.#checked(p, keys, verifyWithKeys(p.spec, keys, p.jws.signingInput, p.jws.signature), profile, options);
    if (profile === 'access' && options.scheme !== undefined) this.#checkScheme(v.payload, options);
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

  stats(): Record<string, object> {
    const out: Record<string, object> = {};
    for (const c of this.#issuers.contexts()) {
      const s = c.keySource.stats?.();
      if (s !== undefined) out[c.issuer] = s;
    }
    if (this.#cache !== undefined) out.cache = this.#cache.stats();
    return out;
  }
}

/** The verifier's introspection client: an {@link Introspector}, or options inheriting the verifier's transport and clock. */
function introspectorOf(o: VerifierOptions): Introspector | undefined {
  const i = o.introspection;
  if (i === undefined) return undefined;
  if (typeof i !== 'object' || i === null)
    throw new VerifyError('ERR_CONFIG', 'introspection must be introspector options or an introspector');
  if (typeof (i as Introspector).introspect === 'function') return i as Introspector;
  const inherited = {
    ...(o.fetch !== undefined ? { fetch: o.fetch } : {}),
    ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
    ...(o.maxResponseSize !== undefined ? { maxResponseSize: o.maxResponseSize } : {}),
    ...(o.allowHttp !== undefined ? { allowHttp: o.allowHttp } : {}),
    ...(o.now !== undefined ? { now: o.now } : {}),
    ...(o.clockTolerance !== undefined ? { clockTolerance: o.clockTolerance } : {}),
  };
  return createIntrospector({ ...inherited, ...(i as IntrospectorOptions) });
}

const NO_BYTES = Buffer.alloc(0);

/** The payload of a token that verified before, decoded again from its (canonical, UTF-8) segment. */
function cachedPayload(token: string, entry: CacheEntry): JwtPayload | undefined {
  return parseJsonObject(Buffer.from(token.slice(entry.payloadStart, entry.payloadEnd), 'base64url').toString('utf8'));
}

/**
 * Wraps the remote source factory so the verified-signature cache learns at once when keys leave:
 * on every JWKS refresh of a source, entries of keys no longer in its set are dropped (or moved to
 * the re-imported equal key); closing a source (an issuer context dropped) drops its keys' entries.
 */
function cacheAwareFactory(remote: RemoteSourceFactory, cache: VerifiedSignatureCache): RemoteSourceFactory {
  return (issuer, o, v) => {
    // Filled once the source exists; a refresh event names no key objects, the source has them.
    const state: { source?: RemoteKeySource; previous: readonly VerificationKey[] } = { previous: [] };
    const onEvent: RemoteKeyListener = (event) => {
      if (event.type === 'refresh' && state.source !== undefined) {
        const current = state.source.currentKeys();
        cache.replaceKeys(state.previous, current);
        state.previous = current;
      }
      v.onEvent?.(event);
    };
    const s = remote(issuer, o, { ...v, onEvent }) as RemoteKeySource;
    if (typeof s.currentKeys !== 'function') return s;
    state.source = s;
    state.previous = s.currentKeys();
    const close = s.close.bind(s);
    return {
      synchronous: s.synchronous,
      getKeys: (header, alg) => s.getKeys(header, alg),
      advertisedAlgorithms: () => s.advertisedAlgorithms(),
      warmUp: () => s.warmUp(),
      stats: () => s.stats(),
      close: () => {
        close();
        for (const k of state.previous) cache.dropKey(k);
      },
    };
  };
}

/** Issuers without static keys get a remote source: `jwksUri`, else discovery on the issuer. */
const remoteFactory: RemoteSourceFactory = (issuer, o, v) =>
  createRemoteKeySource({
    ...(o.jwksUri !== undefined ? { jwksUri: o.jwksUri } : { issuer }),
    // Undefined members mean "default" to the remote source.
    fetch: v.fetch,
    timeout: v.timeout,
    maxResponseSize: v.maxResponseSize,
    allowHttp: v.allowHttp,
    cooldown: v.cooldown,
    maxStale: v.maxStale,
    maxKeys: v.maxKeys,
    onEvent: v.onEvent,
    // Network timing runs on the monotonic clock; `now` is only the instant claims are judged at.
    monotonicClock: v.monotonicClock,
    jwksStore: v.jwksStore,
  });

/**
 * Creates the token-level verifier. The public `createVerifier` (src/http/request-verifier.ts)
 * builds on it and adds request verification, so this layer never imports the HTTP layer.
 * @internal
 */
export function createTokenVerifier(options: VerifierOptions): OidcVerifier {
  return new OidcVerifier(options, remoteFactory);
}
