import { VerifyError, describe } from './errors.js';
import { checkAccessTokenClaims, type AccessTokenCheckOptions } from './claims/access-token.js';
import { checkIdTokenClaims, responseTypeProblem, type IdTokenCheckOptions } from './claims/id-token.js';
import { checkLogoutTokenClaims } from './claims/logout-token.js';
import { ALGORITHMS, SYMMETRIC_ALGORITHMS, type Algorithm, type AlgorithmSpec } from './jose/algorithms.js';
import { parseCompactJws, type ParsedJws } from './jose/compact.js';
import { runInline, verifyPiledUp, verifyWithKeys, type KeyHolder } from './jose/dispatch.js';
import { signatureBackend, unavailableReason } from './jose/backend.js';
import { verifyWithKeysWebCrypto } from './jose/webcrypto.js';
import type { JoseHeader, JwtPayload } from './jose/types.js';
import type { VerificationKey } from './keys/jwk.js';
import { IssuerRegistry, type IssuerContext, type RemoteSourceFactory } from './issuers.js';
import { createRemoteKeySource } from './remote/remote-key-source.js';
import { commonConfig, type CommonConfig, type VerifierOptions } from './options.js';
import { rejectUnknownOptions } from './option-checks.js';
import { createIntrospector, type Introspector, type IntrospectorOptions } from './remote/introspection.js';
import type { HttpRequest } from './http/http-request.js';
import { verifyRequestWith, type VerifiedRequest, type VerifyRequestOptions } from './http/verify-request.js';

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

export type VerifiedIdToken = VerifiedToken<IdTokenClaims>;
export type VerifiedAccessToken = VerifiedToken<AccessTokenClaims>;
export type VerifiedLogoutToken = VerifiedToken<LogoutTokenClaims>;

/** Verifies OpenID Connect ID tokens for one or several issuers. */
export interface Verifier {
  /**
   * Verifies an ID token as OpenID Connect Core §3.1.3.7 requires (plus §3.2.2.9-11 and
   * §3.3.2.11-12 for the hash claims). Rejects with {@link VerifyError}.
   */
  verifyIdToken(token: string, options?: IdTokenCheckOptions): Promise<VerifiedIdToken>;
  /** The same, synchronously; only for static key sets (`jwks`), else throws `ERR_CONFIG`. */
  verifyIdTokenSync(token: string, options?: IdTokenCheckOptions): VerifiedIdToken;
  /**
   * Verifies a JWT access token (RFC 9068 §4): `typ` `at+jwt`, `aud` one of the configured
   * audiences (your resource server), `sub`, `client_id`, `jti`, times, and `requiredScopes`.
   */
  verifyAccessToken(token: string, options?: AccessTokenCheckOptions): Promise<VerifiedAccessToken>;
  /** Synchronous {@link Verifier.verifyAccessToken} for static key sets. */
  verifyAccessTokenSync(token: string, options?: AccessTokenCheckOptions): VerifiedAccessToken;
  /** Verifies a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6). */
  verifyLogoutToken(token: string): Promise<VerifiedLogoutToken>;
  /** Synchronous {@link Verifier.verifyLogoutToken} for static key sets. */
  verifyLogoutTokenSync(token: string): VerifiedLogoutToken;
  /**
   * Verifies the bearer token of an HTTP request (a Fetch `Request`, a Node `IncomingMessage` or
   * `{ method, url, headers }`): RFC 6750 §2 extraction, then a JWT access token as
   * {@link Verifier.verifyAccessToken} (or introspection, with `introspection` configured), then
   * `requiredScopes` / `anyScopes` / `claims`. Rejects with a `RequestError` carrying `status` and
   * the RFC 6750 §3 `WWW-Authenticate` header.
   */
  verifyRequest(request: HttpRequest, options?: VerifyRequestOptions): Promise<VerifiedRequest>;
  /** Loads remote keys (discovery and JWKS) ahead of the first token. */
  warmUp(): Promise<void>;
  /** Counters of the remote key sources, per issuer. */
  stats(): Record<string, object>;
  /** Detaches from shared JWKS caches (stops their refresh timers when no one else uses them). */
  close(): void;
}

interface Prepared {
  readonly jws: ParsedJws;
  readonly alg: Algorithm;
  readonly spec: AlgorithmSpec;
  readonly ctx: IssuerContext;
}

type Profile = 'id' | 'access' | 'logout';
type CallOptions = IdTokenCheckOptions & AccessTokenCheckOptions;

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
} satisfies Record<keyof IdTokenCheckOptions, true>);
const ACCESS_OPTION_NAMES = Object.keys({ requiredScopes: true } satisfies Record<keyof AccessTokenCheckOptions, true>);
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
    if (problem !== undefined) throw new VerifyError('ERR_CONFIG', `option responseType must be a space-separated set of code, id_token, token (or none alone): ${problem}`);
  }
  for (const name of ['requireAtHash', 'requireCHash', 'requireSHash'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new VerifyError('ERR_CONFIG', `option ${name} must be a boolean, got ${describe(o[name])}`);
  }
  if (o.maxAge !== undefined && (typeof o.maxAge !== 'number' || !(o.maxAge >= 0))) {
    throw new VerifyError('ERR_CONFIG', 'option maxAge must be a non-negative number of seconds');
  }
  for (const name of ['acrValues', 'requiredScopes'] as const) {
    const v = o[name];
    if (v !== undefined && (!Array.isArray(v) || v.some((a) => typeof a !== 'string'))) {
      throw new VerifyError('ERR_CONFIG', `option ${name} must be an array of strings`);
    }
  }
}

class OidcVerifier implements Verifier {
  readonly #common: CommonConfig;
  readonly #issuers: IssuerRegistry;
  readonly introspector: Introspector | undefined;

  constructor(options: VerifierOptions, remote: RemoteSourceFactory) {
    this.#common = commonConfig(options);
    this.#issuers = new IssuerRegistry(options, this.#common, remote);
    this.introspector = introspectorOf(options);
  }

  /** Cheap checks first: format, alg, issuer. Nothing here touches keys or the network. */
  #prepare(token: string, profile: Profile, options: CallOptions): Prepared {
    if (options !== NO_OPTIONS) checkCallOptions(options, profile);
    const jws = parseCompactJws(token, this.#common.maxTokenLength);
    const alg = jws.header.alg;
    if (alg.length === 4 && alg.toLowerCase() === 'none') {
      throw new VerifyError('ERR_ALG_NOT_ALLOWED', 'alg "none" (unsecured JWS) is never accepted');
    }
    const ctx = this.#issuers.select(jws.payload);
    // OIDC Core §10.1: the client secret signs ID tokens only. Access and logout tokens come from the
    // issuer's asymmetric keys, whatever `algorithms` allows.
    if (profile !== 'id' && (SYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      const asymmetric = [...ctx.allowed].filter((a) => !(SYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
      throw new VerifyError(
        'ERR_ALG_NOT_ALLOWED',
        `alg ${JSON.stringify(alg)} is not allowed for ${profile === 'access' ? 'an access token' : 'a logout token'}: HMAC with the client secret is for ID tokens only (OIDC Core §10.1); ${asymmetric.length > 0 ? `expected one of ${asymmetric.join(', ')}` : 'no asymmetric algorithm is configured'}`,
      );
    }
    if (!ctx.allowed.has(alg)) {
      throw new VerifyError('ERR_ALG_NOT_ALLOWED', `alg ${JSON.stringify(alg)} is not allowed for ${ctx.issuer}: expected one of ${[...ctx.allowed].join(', ')}`);
    }
    const gap = unavailableReason(alg);
    if (gap !== undefined) {
      throw new VerifyError('ERR_ALG_NOT_ALLOWED', `alg ${alg} cannot be verified on ${signatureBackend().runtime}: ${gap}`);
    }
    return { jws, alg: alg as Algorithm, spec: ALGORITHMS[alg as Algorithm], ctx };
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
    const advertised = profile === 'id' ? p.ctx.keySource.advertisedAlgorithms?.() : undefined;
    if (advertised !== undefined && p.spec.family !== 'hmac' && !advertised.includes(p.alg)) {
      throw new VerifyError('ERR_ALG_NOT_ALLOWED', `alg ${p.alg} is not in the issuer's id_token_signing_alg_values_supported: ${advertised.join(', ')}`);
    }
    const crv = (key as Partial<VerificationKey>).crv;
    const clock = { now: this.#now() / 1000, tolerance: this.#common.clockTolerance };
    if (profile === 'id') checkIdTokenClaims(header, payload, clock, p.ctx.rules, options, p.alg, crv);
    else if (profile === 'access') checkAccessTokenClaims(header, payload, clock, p.ctx.rules, options);
    else checkLogoutTokenClaims(header, payload, clock, p.ctx.rules);
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
      throw new VerifyError('ERR_CONFIG', `the now option must return a finite number of milliseconds, got ${typeof t === 'number' ? String(t) : describe(t)}`);
    }
    return t;
  }

  #verifyWithKeys(p: Prepared, keys: readonly KeyHolder[], profile: Profile, options: CallOptions): Promise<VerifiedToken<JwtPayload>> {
    const { signingInput, signature } = p.jws;
    const backend = signatureBackend();
    if (!backend.synchronous || backend.asyncViaWebCrypto.has(p.alg)) {
      return verifyWithKeysWebCrypto(p.spec, keys, signingInput, signature).then((i) => this.#checked(p, keys, i, profile, options));
    }
    if (runInline()) {
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
    p.ctx.verified?.();
    return result;
  }

  #verify(token: string, profile: Profile, options: CallOptions): Promise<VerifiedToken<JwtPayload>> {
    let p: Prepared;
    let keys: readonly KeyHolder[] | Promise<readonly KeyHolder[]>;
    try {
      p = this.#prepare(token, profile, options);
      keys = this.#keys(p);
    } catch (err) {
      return Promise.reject(err);
    }
    if (keys instanceof Promise) return keys.then((k) => this.#verifyWithKeys(p, k, profile, options));
    return this.#verifyWithKeys(p, keys, profile, options);
  }

  #verifySync(token: string, profile: Profile, options: CallOptions): VerifiedToken<JwtPayload> {
    const p = this.#prepare(token, profile, options);
    if (p.spec.family !== 'hmac' && !p.ctx.keySource.synchronous) {
      throw new VerifyError('ERR_CONFIG', `synchronous verification needs static keys (jwks) for ${p.ctx.issuer}; use the async method`);
    }
    const backend = signatureBackend();
    if (!backend.synchronous) {
      throw new VerifyError('ERR_CONFIG', `synchronous verification is not available on ${backend.runtime}: its ${backend.name} verifies asynchronously only; use the async method`);
    }
    const keys = this.#keys(p) as readonly KeyHolder[];
    return this.#checked(p, keys, verifyWithKeys(p.spec, keys, p.jws.signingInput, p.jws.signature), profile, options);
  }

  verifyIdToken(token: string, options: IdTokenCheckOptions = NO_OPTIONS): Promise<VerifiedIdToken> {
    return this.#verify(token, 'id', options) as Promise<VerifiedIdToken>;
  }

  verifyIdTokenSync(token: string, options: IdTokenCheckOptions = NO_OPTIONS): VerifiedIdToken {
    return this.#verifySync(token, 'id', options) as VerifiedIdToken;
  }

  verifyAccessToken(token: string, options: AccessTokenCheckOptions = NO_OPTIONS): Promise<VerifiedAccessToken> {
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

  verifyRequest(request: HttpRequest, options?: VerifyRequestOptions): Promise<VerifiedRequest> {
    return verifyRequestWith(this, request, options);
  }

  async warmUp(): Promise<void> {
    await Promise.all(this.#issuers.contexts().map((c) => c.keySource.warmUp?.()));
  }

  close(): void {
    for (const c of this.#issuers.contexts()) c.keySource.close?.();
  }

  stats(): Record<string, object> {
    const out: Record<string, object> = {};
    for (const c of this.#issuers.contexts()) {
      const s = c.keySource.stats?.();
      if (s !== undefined) out[c.issuer] = s;
    }
    return out;
  }
}

/** The verifier's introspection client: an {@link Introspector}, or options inheriting the verifier's transport and clock. */
function introspectorOf(o: VerifierOptions): Introspector | undefined {
  const i = o.introspection;
  if (i === undefined) return undefined;
  if (typeof i !== 'object' || i === null) throw new VerifyError('ERR_CONFIG', 'introspection must be introspector options or an introspector');
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
 * Creates a verifier. Options are checked at once: bad ones throw {@link VerifyError} `ERR_CONFIG`.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://login.example.com', audience: 'my-client-id' });
 * const { payload } = await verifier.verifyIdToken(idToken, { nonce });
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return new OidcVerifier(options, remoteFactory);
}
