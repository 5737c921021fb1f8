import { VerifyError, describeValue } from '../errors.js';
import { sha256Base64urlAsync } from '../jose/digest.js';
import { checkNumber, configError, rejectUnknownOptions } from '../option-checks.js';
import { discoveryUrl } from './discovery.js';
import { HTTP_OPTION_NAMES, checkHttpOptions, pickHttpOptions, type HttpOptions, type JsonResponse } from './http.js';
import { HTTP_DEFAULTS } from './http-options.js';
import { releaseClaim, sharedLookup } from './introspection-shared-flight.js';
import { createMemoryIntrospectionCache, type LocalIntrospectionCache } from './introspection-cache.js';
import { isIntrospectionCacheStore, type IntrospectionCacheStore } from './introspection-cache-store.js';
import { IntrospectionEndpointDiscovery } from './introspection-discovery.js';
import { INTROSPECTION_DEFAULTS, sendIntrospectionRequest, type ClientAuthMethod, type TokenTypeHint } from './introspection-request.js';
import { processIntrospectionResponse, type IntrospectionChecks, type IntrospectionResponse } from './introspection-response.js';
import { Secrets, scrub } from './introspection-secrets.js';
import { requireUrl } from './url-policy.js';

/**
 * OAuth 2.0 Token Introspection client (RFC 7662): asks the authorization server whether a token
 * is still active, for when revocation matters (opaque tokens, or JWTs that must not outlive a
 * logout). Split oauth4webapi-style into sending ({@link sendIntrospectionRequest}, over the one
 * HTTP client `fetchJson`) and processing ({@link processIntrospectionResponse}, pure), with
 * {@link createIntrospector} composing them with endpoint discovery and an optional short cache.
 */

export { INTROSPECTION_DEFAULTS, sendIntrospectionRequest } from './introspection-request.js';
export type { ClientAuthMethod, IntrospectionRequestOptions, TokenTypeHint } from './introspection-request.js';
export { processIntrospectionResponse } from './introspection-response.js';
export type { IntrospectionChecks, IntrospectionResponse } from './introspection-response.js';

/** Options of {@link createIntrospector}. */
export interface IntrospectorOptions extends HttpOptions {
  /** The introspection endpoint. Without it, `issuer`'s discovery document names it. */
  readonly endpoint?: string;
  /**
   * The authorization server's issuer identifier: discovery base when `endpoint` is absent, and
   * the value a response `iss` must equal when present.
   */
  readonly issuer?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `client_secret_basic`. */
  readonly clientAuthMethod?: ClientAuthMethod;
  /** When set, the response `aud` must contain one of these. */
  readonly audience?: string | readonly string[];
  /** Scopes every token must carry; `introspect(..., { requiredScopes })` adds to them. */
  readonly requiredScopes?: readonly string[];
  /** Allowed clock skew for the response `exp` / `nbf`, seconds. Default 0. */
  readonly clockTolerance?: number;
  /** Clock, ms since the epoch (checks and cache). Default `Date.now`. */
  readonly now?: () => number;
  /** Longest token sent, characters; longer fails ERR_MALFORMED without a request. Default 65536. */
  readonly maxTokenLength?: number;
  /**
   * Cache of active results. Default off: every call asks the server, so a revocation counts at
   * once. When on, a result is reused for at most `ttl` ms and never past the token's `exp`;
   * entries are keyed by the token's SHA-256, so tokens themselves are never kept. `store` adds a
   * second level shared by several processes (e.g. Redis), asked on a miss and written after every
   * active response with the same rules; its failures only cost a miss.
   */
  readonly cache?: { readonly ttl: number; readonly maxEntries?: number; readonly store?: IntrospectionCacheStore };
}

/** Per-call options of {@link Introspector.introspect}. */
export interface IntrospectOptions {
  readonly tokenTypeHint?: TokenTypeHint;
  /** Scopes this call needs, in addition to the introspector's `requiredScopes`. */
  readonly requiredScopes?: readonly string[];
}

/** Counters of an {@link Introspector}: requests, cache hits and failures. */
export interface IntrospectorStats {
  /** Introspection requests sent. */
  readonly requests: number;
  /** Calls answered from the cache. */
  readonly cacheHits: number;
  /** Entries in the cache now. */
  readonly cached: number;
}

/** An RFC 7662 introspection client with a bounded cache; see {@link createIntrospector}. */
export interface Introspector {
  /**
   * The RFC 7662 response of an active token that passes every configured check. Rejects with
   * ERR_INACTIVE (`active: false`), ERR_INTROSPECTION (request or response broken), ERR_DISCOVERY,
   * ERR_ISSUER, ERR_AUDIENCE, ERR_CLAIM_MISSING, ERR_EXPIRED, ERR_NOT_BEFORE, ERR_SCOPE, ERR_MALFORMED.
   */
  introspect(token: string, options?: IntrospectOptions): Promise<IntrospectionResponse>;
  /**
   * The endpoint URL, discovering it first when needed (ERR_DISCOVERY). Concurrent calls share
   * one discovery; after a failed one, calls fail at once with that error until a backoff has
   * passed (1 s after the first failure, doubling, at most 30 s), then the next call asks again.
   */
  endpoint(): Promise<string>;
  /** Counters since the introspector was created. */
  stats(): IntrospectorStats;
}

/** Every option {@link createIntrospector} accepts. */
const INTROSPECTOR_OPTIONS = [
  'endpoint',
  'issuer',
  'clientId',
  'clientSecret',
  'clientAuthMethod',
  'audience',
  'requiredScopes',
  'clockTolerance',
  'now',
  'maxTokenLength',
  'cache',
  ...HTTP_OPTION_NAMES,
];
const CACHE_OPTIONS = ['ttl', 'maxEntries', 'store'] as const;
const INTROSPECT_OPTIONS = ['tokenTypeHint', 'requiredScopes'] as const;

function checkStrings(name: string, v: unknown, allowSingle: boolean, noSpaces = false): void {
  if (v === undefined) return;
  const list = allowSingle && typeof v === 'string' ? [v] : v;
  if (
    !Array.isArray(list) ||
    (allowSingle && list.length === 0) ||
    list.some((s) => typeof s !== 'string' || s.length === 0 || (noSpaces && s.includes(' ')))
  ) {
    throw configError(
      `${name} must be ${allowSingle ? 'a non-empty string or a non-empty array' : 'an array'} of non-empty strings${noSpaces ? ' without spaces' : ''}`,
    );
  }
}

/** Checks every option of {@link createIntrospector} (ERR_CONFIG); returns the endpoint's checked URL when one is set. */
function validateIntrospectorOptions(o: IntrospectorOptions): string | undefined {
  if (typeof o !== 'object' || o === null) throw configError('introspector options must be an object');
  rejectUnknownOptions('createIntrospector', o, INTROSPECTOR_OPTIONS);
  const allowHttp = o.allowHttp === true;
  if (typeof o.clientId !== 'string' || o.clientId.length === 0) throw configError('clientId must be a non-empty string');
  if (typeof o.clientSecret !== 'string' || o.clientSecret.length === 0) throw configError('clientSecret must be a non-empty string');
  if (o.clientAuthMethod !== undefined && o.clientAuthMethod !== 'client_secret_basic' && o.clientAuthMethod !== 'client_secret_post') {
    throw configError(`clientAuthMethod must be "client_secret_basic" or "client_secret_post", got ${describeValue(o.clientAuthMethod)}`);
  }
  if (o.endpoint === undefined && o.issuer === undefined)
    throw configError('introspection needs an endpoint or an issuer to discover it from');
  const endpoint = o.endpoint !== undefined ? requireUrl('introspection endpoint', o.endpoint, allowHttp).href : undefined;
  if (o.issuer !== undefined) {
    if (typeof o.issuer !== 'string' || o.issuer.length === 0) throw configError('issuer must be a non-empty string');
    // Checked even when it only serves the iss comparison: a bad issuer is a bad configuration.
    discoveryUrl(o.issuer, allowHttp);
  }
  checkStrings('audience', o.audience, true);
  checkStrings('requiredScopes', o.requiredScopes, false, true);
  checkHttpOptions(o);
  checkNumber('clockTolerance', o.clockTolerance, 0);
  checkNumber('maxTokenLength', o.maxTokenLength, 1, true);
  if (o.now !== undefined && typeof o.now !== 'function') throw configError('now must be a function returning ms');
  if (o.cache !== undefined) {
    if (typeof o.cache !== 'object' || o.cache === null) throw configError('cache must be an object { ttl, maxEntries? }');
    rejectUnknownOptions('createIntrospector cache', o.cache, CACHE_OPTIONS);
    if (o.cache.ttl === undefined) throw configError('cache.ttl (ms) is required when the cache is on');
    checkNumber('cache.ttl', o.cache.ttl, 1);
    checkNumber('cache.maxEntries', o.cache.maxEntries, 1, true);
    if (o.cache.store !== undefined && !isIntrospectionCacheStore(o.cache.store))
      throw configError('cache.store must have get(key) and set(key, entry) methods');
  }
  return endpoint;
}

/** An introspection answer: sent now, or read from the shared cache (then with its expiry). */
type SharedOrSent = Pick<JsonResponse, 'url' | 'body'> & { readonly sharedUntil?: number; readonly stored?: boolean };

class IntrospectorImpl implements Introspector {
  readonly #options: IntrospectorOptions;
  readonly #now: () => number;
  readonly #maxTokenLength: number;
  readonly #cacheTtl: number;
  readonly #cache: LocalIntrospectionCache | undefined;
  /** In-flight requests by token hash; only used with the cache on, which already allows reuse. */
  readonly #inflight = new Map<string, Promise<SharedOrSent>>();
  readonly #endpoint: string | undefined;
  readonly #discovery: IntrospectionEndpointDiscovery | undefined;
  #requests = 0;
  #cacheHits = 0;

  constructor(o: IntrospectorOptions) {
    const endpoint = validateIntrospectorOptions(o);
    this.#options = o;
    this.#now = o.now ?? Date.now;
    this.#maxTokenLength = o.maxTokenLength ?? INTROSPECTION_DEFAULTS.maxTokenLength;
    this.#cacheTtl = o.cache?.ttl ?? 0;
    this.#cache =
      this.#cacheTtl > 0 ? createMemoryIntrospectionCache(o.cache?.maxEntries ?? INTROSPECTION_DEFAULTS.cacheMaxEntries) : undefined;
    if (endpoint !== undefined) this.#endpoint = endpoint;
    else this.#discovery = new IntrospectionEndpointDiscovery(o.issuer as string, this.#http(), this.#now);
  }

  async endpoint(): Promise<string> {
    return this.#endpoint ?? (this.#discovery as IntrospectionEndpointDiscovery).endpoint();
  }

  #http(): HttpOptions {
    return pickHttpOptions(this.#options);
  }

  async introspect(token: string, options: IntrospectOptions = {}): Promise<IntrospectionResponse> {
    if (typeof token !== 'string' || token.length === 0) throw new VerifyError('ERR_MALFORMED', 'token must be a non-empty string');
    if (token.length > this.#maxTokenLength) {
      throw new VerifyError('ERR_MALFORMED', `token is ${token.length} characters, more than maxTokenLength ${this.#maxTokenLength}`);
    }
    if (typeof options !== 'object' || options === null) throw configError('introspect options must be an object');
    rejectUnknownOptions('introspect', options, INTROSPECT_OPTIONS);
    if (options.tokenTypeHint !== undefined && (typeof options.tokenTypeHint !== 'string' || options.tokenTypeHint.length === 0)) {
      throw configError('tokenTypeHint must be a non-empty string');
    }
    checkStrings('requiredScopes', options.requiredScopes, false, true);
    try {
      return await this.#introspect(token, options);
    } catch (err) {
      throw scrub(err, new Secrets(this.#options.clientId, this.#options.clientSecret, token));
    }
  }

  async #introspect(token: string, options: IntrospectOptions): Promise<IntrospectionResponse> {
    const o = this.#options;
    const checks: IntrospectionChecks = {
      ...(o.issuer !== undefined ? { issuer: o.issuer } : {}),
      ...(o.audience !== undefined ? { audience: o.audience } : {}),
      requiredScopes: [...(o.requiredScopes ?? []), ...(options.requiredScopes ?? [])],
      now: this.#now,
      clockTolerance: o.clockTolerance ?? 0,
    };

    const cache = this.#cache;
    if (cache === undefined) return processIntrospectionResponse(await this.#send(token, options), checks);

    const key = await sha256Base64urlAsync(token);
    const hit = cache.get(key, this.#now());
    if (hit !== undefined) {
      this.#cacheHits++;
      return processIntrospectionResponse({ url: hit.url, body: structuredClone(hit.body) }, checks);
    }
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#sharedOrSend(key, token, options).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const res = await pending;
    const result = processIntrospectionResponse(res, checks);
    // A shared entry keeps its own expiry and is not written back, nor is one the claimant stored.
    this.#remember(cache, key, res, res.sharedUntil ?? Infinity, res.sharedUntil === undefined && res.stored !== true);
    return result;
  }

  /**
   * The shared cache's entry (a cache hit), else a request. The store failing counts as a miss.
   * A store that can claim keys makes this a single flight across processes: the claimant asks the
   * server, stores an active answer, then releases; the others wait for that entry (at most the
   * request timeout plus 1 s) before asking themselves.
   */
  async #sharedOrSend(key: string, token: string, options: IntrospectOptions): Promise<SharedOrSent> {
    const store = this.#options.cache?.store;
    if (store === undefined) return this.#send(token, options);
    const found = await sharedLookup(store, key, this.#now, (this.#options.timeout ?? HTTP_DEFAULTS.timeout) + 1000);
    if (found.hit !== undefined) {
      this.#cacheHits++;
      return { url: found.hit.url, body: structuredClone(found.hit.body), sharedUntil: found.hit.expiresAt };
    }
    if (!found.claimed) return this.#send(token, options);
    try {
      const res = await this.#send(token, options);
      if (res.body.active !== true) return res;
      // Stored before the claim ends, so the waiters find it; not written again by #remember.
      const expiresAt = this.#expiry(res, Infinity);
      if (expiresAt > this.#now()) {
        await Promise.resolve()
          .then(() => store.set(key, { body: structuredClone(res.body), url: res.url, expiresAt }))
          .catch(() => undefined);
      }
      return { ...res, stored: true };
    } finally {
      await releaseClaim(store, key);
    }
  }

  async #send(token: string, options: IntrospectOptions): Promise<JsonResponse> {
    const endpoint = await this.endpoint();
    const o = this.#options;
    this.#requests++;
    return sendIntrospectionRequest(endpoint, token, {
      ...this.#http(),
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      ...(o.clientAuthMethod !== undefined ? { clientAuthMethod: o.clientAuthMethod } : {}),
      ...(options.tokenTypeHint !== undefined ? { tokenTypeHint: options.tokenTypeHint } : {}),
    });
  }

  /** Keeps an active result for at most the TTL and never past the token's `exp`. */
  #remember(cache: LocalIntrospectionCache, key: string, res: SharedOrSent, until: number, share: boolean): void {
    const now = this.#now();
    if (cache.get(key, now) !== undefined) return; // a concurrent call of the same flight stored it
    const expiresAt = this.#expiry(res, until);
    if (expiresAt <= now) return;
    cache.set(key, { body: structuredClone(res.body), url: res.url, expiresAt }, now);
    const store = this.#options.cache?.store;
    if (share && store !== undefined) {
      try {
        store.set(key, { body: structuredClone(res.body), url: res.url, expiresAt }).catch(() => undefined);
      } catch {
        // a store that throws synchronously only loses the shared entry
      }
    }
  }

  /** When a cached answer stops counting: the TTL, the token's `exp` and `until`, whichever comes first. */
  #expiry(res: SharedOrSent, until: number): number {
    const exp = typeof res.body.exp === 'number' ? res.body.exp * 1000 : Infinity;
    return Math.min(this.#now() + this.#cacheTtl, exp, until);
  }

  stats(): IntrospectorStats {
    return { requests: this.#requests, cacheHits: this.#cacheHits, cached: this.#cache?.size ?? 0 };
  }
}

/**
 * Creates an RFC 7662 introspection client. Throws ERR_CONFIG for bad options (an unknown option
 * name, missing client credentials, neither `endpoint` nor `issuer`, a URL the https rule refuses,
 * bad numbers); the messages never show option values that may be secret (credentials in URLs
 * are shown as `[redacted]`).
 */
export function createIntrospector(options: IntrospectorOptions): Introspector {
  return new IntrospectorImpl(options);
}
