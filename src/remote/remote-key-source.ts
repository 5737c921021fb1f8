import { VerifyError } from '../errors.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import type { VerificationKey } from '../keys/jwk.js';
import type { KeySource } from '../keys/key-source.js';
import { freshness } from './cache-control.js';
import { discoveryUrl, processDiscoveryDocument, type ProviderMetadata } from './discovery.js';
import type { RemoteKeyEvent, RemoteKeyListener, RemoteKeyStats } from './events.js';
import { backoffDelay } from './backoff.js';
import { fetchFailure, fetchJson, pickHttpOptions } from './http.js';
import type { JwksCache } from './jwks-cache.js';
import { FIRST_BACKOFF, installed, type JwksFreshness } from './jwks-freshness.js';
import {
  JWKS_CACHE_OPTION_NAMES,
  jwksSettingsKey,
  normalizeJwksOptions,
  type JwksCacheOptions,
  type JwksSettings,
} from './jwks-options.js';
import { sharedJwksCache } from './jwks-registry.js';
import { requireUrl } from './url-policy.js';
import { configError, rejectUnknownOptions } from '../option-checks.js';

/** Options of {@link createRemoteKeySource}: the remote key options plus where the keys are. Durations in milliseconds. */
export interface RemoteKeySourceOptions extends JwksCacheOptions {
  /** The issuer; without `jwksUri` its discovery document names the JWKS URL. */
  readonly issuer?: string;
  /** The JWKS URL; skips discovery. */
  readonly jwksUri?: string;
  /** Receives refresh, rotation, failure and warning events. */
  readonly onEvent?: RemoteKeyListener;
}

/** Every option {@link createRemoteKeySource} accepts. */
const REMOTE_OPTION_NAMES: readonly (keyof RemoteKeySourceOptions)[] = ['issuer', 'jwksUri', 'onEvent', ...JWKS_CACHE_OPTION_NAMES];

/** A {@link KeySource} backed by a remote JWKS (found by discovery or given). */
export interface RemoteKeySource extends KeySource {
  readonly synchronous: false;
  /** The configured issuer, if any. */
  readonly issuer: string | undefined;
  /** The JWKS URL, once known (given, or after discovery). */
  jwksUri(): string | undefined;
  /** The discovery document, once fetched (only when discovery is used); the latest good one after refreshes. */
  metadata(): ProviderMetadata | undefined;
  /** `id_token_signing_alg_values_supported` from discovery, once known. */
  advertisedAlgorithms(): readonly string[] | undefined;
  /** The keys of the current JWKS (empty before the first fetch). */
  currentKeys(): readonly VerificationKey[];
  /** Runs discovery (if needed) and loads the JWKS; rejects with ERR_DISCOVERY / ERR_JWKS_FETCH. */
  warmUp(): Promise<void>;
  stats(): RemoteKeyStats;
  /** Detaches from the shared cache; the last source to close stops its refresh timer. */
  close(): void;
}

const noop = (): void => undefined;

/** Freshness of the current discovery document, by the monotonic clock (the same rules and clamps as the JWKS). */
type DiscoveryTimes = JwksFreshness;

/**
 * The last good discovery document per issuer, `fetch`, monotonic clock and options, so a source
 * created while it is fresh (a verifier per request, like the CLI checklist) starts from it
 * instead of asking again. At most {@link MEMO_LIMIT} per `fetch` and clock, oldest dropped.
 */
const MEMO_LIMIT = 16;
const DEFAULT_FETCH: object = {};
const discoveryMemo = new WeakMap<object, WeakMap<object, Map<string, { metadata: ProviderMetadata; times: DiscoveryTimes }>>>();

function memoFor(
  o: JwksSettings,
  issuer: string,
): { map: Map<string, { metadata: ProviderMetadata; times: DiscoveryTimes }>; key: string } {
  const fetchKey: object = o.fetch ?? DEFAULT_FETCH;
  const clockKey: object = o.monotonicClock;
  let byClock = discoveryMemo.get(fetchKey);
  if (byClock === undefined) discoveryMemo.set(fetchKey, (byClock = new WeakMap()));
  let map = byClock.get(clockKey);
  if (map === undefined) byClock.set(clockKey, (map = new Map<string, { metadata: ProviderMetadata; times: DiscoveryTimes }>()));
  return { map, key: jwksSettingsKey(issuer, o) };
}

class RemoteJwksSource implements RemoteKeySource {
  readonly synchronous = false;
  readonly issuer: string | undefined;
  readonly #options: JwksSettings;
  readonly #now: () => number;
  readonly #listener: RemoteKeyListener | undefined;
  #cache: JwksCache | undefined;
  #unsubscribe: (() => void) | undefined;
  #metadata: ProviderMetadata | undefined;
  #discoveryTimes: DiscoveryTimes | undefined;
  #discovering: Promise<JwksCache> | undefined;
  #discoveryFetches = 0;
  #discoveryErrors = 0;
  #discoveryFailures = 0;
  #discoveryRetryAt = -Infinity;
  #discoveryError: VerifyError | undefined;
  #closed = false;

  constructor(o: RemoteKeySourceOptions) {
    this.issuer = o.issuer;
    this.#options = normalizeJwksOptions(o);
    this.#now = this.#options.monotonicClock;
    this.#listener = o.onEvent;
    if (o.jwksUri !== undefined) this.#attach(o.jwksUri);
    else if (o.issuer !== undefined) {
      const { map, key } = memoFor(this.#options, o.issuer);
      const memo = map.get(key);
      if (memo !== undefined && this.#now() < memo.times.freshUntil) {
        this.#metadata = memo.metadata;
        this.#discoveryTimes = memo.times;
        this.#attach(memo.metadata.jwks_uri);
      }
    }
  }

  jwksUri(): string | undefined {
    return this.#cache?.uri;
  }

  metadata(): ProviderMetadata | undefined {
    return this.#metadata;
  }

  advertisedAlgorithms(): readonly string[] | undefined {
    return this.#metadata?.id_token_signing_alg_values_supported;
  }

  currentKeys(): readonly VerificationKey[] {
    return this.#cache?.keySet?.keys ?? [];
  }

  getKeys(header: JoseHeader, alg: Algorithm): readonly VerificationKey[] | Promise<readonly VerificationKey[]> {
    const cache = this.#cache;
    if (cache !== undefined && (this.#discoveryTimes === undefined || this.#now() < this.#discoveryTimes.refreshAt)) {
      return cache.getKeys(header, alg);
    }
    const c = this.#current();
    if (c instanceof Promise) return c.then((x) => x.getKeys(header, alg));
    return c.getKeys(header, alg);
  }

  async warmUp(): Promise<void> {
    const cache = await this.#current();
    await cache.ensure();
  }

  stats(): RemoteKeyStats {
    const s = this.#cache?.stats();
    return {
      fetches: s?.fetches ?? 0,
      discoveryFetches: this.#discoveryFetches,
      cacheHits: s?.cacheHits ?? 0,
      errors: (s?.errors ?? 0) + this.#discoveryErrors,
      lastRefresh: s?.lastRefresh,
      keys: s?.keys ?? 0,
      staleServed: s?.staleServed ?? 0,
      cooldownRejections: s?.cooldownRejections ?? 0,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#cache?.release();
  }

  #attach(uri: string): JwksCache {
    const cache = sharedJwksCache(uri, this.#options).acquire();
    if (this.#listener !== undefined) this.#unsubscribe = cache.subscribe(this.#listener);
    this.#cache = cache;
    if (this.#closed) cache.release();
    return cache;
  }

  /**
   * The JWKS cache to ask. With discovery, the document is refreshed on its own HTTP caching
   * schedule (same rules and clamps as the JWKS): ahead of expiry in the background, revalidated
   * once expired; while refreshing fails the last good document keeps serving (stale-if-error).
   */
  #current(): JwksCache | Promise<JwksCache> {
    const cache = this.#cache;
    const times = this.#discoveryTimes;
    if (cache === undefined) return this.#discover();
    if (times === undefined) return cache;
    const t = this.#now();
    if (t < times.refreshAt) return cache;
    if (t < times.swrUntil || (this.#discoveryError !== undefined && t < times.staleUntil)) {
      if (this.#discovering === undefined && t >= this.#discoveryRetryAt) this.#discover().catch(noop);
      return cache;
    }
    return this.#discover().catch((err: unknown) => {
      const last = this.#discoveryTimes;
      if (this.#cache !== undefined && last !== undefined && this.#now() < last.staleUntil) return this.#cache;
      throw err;
    });
  }

  /** Discovery, single flight; a failure is remembered for a backoff so a down IdP is not hammered. */
  #discover(): Promise<JwksCache> {
    if (this.#discovering !== undefined) return this.#discovering;
    if (this.#discoveryError !== undefined && this.#now() < this.#discoveryRetryAt) {
      return Promise.reject(this.#discoveryError);
    }
    const issuer = this.issuer as string;
    const allowHttp = this.#options.allowHttp;
    const url = discoveryUrl(issuer, allowHttp);
    this.#discoveryFetches++;
    const p = fetchJson(url, { ...pickHttpOptions(this.#options), code: 'ERR_DISCOVERY' })
      .then((res) => {
        // The issuer-equality rule (Discovery §4.3) holds on every refresh: a document naming
        // another issuer fails like an outage, and the last good one keeps serving.
        const metadata = processDiscoveryDocument(issuer, url, res.body, allowHttp);
        this.#discoveryTimes = installed(this.#now(), freshness(res.headers, Date.now()), this.#options.maxStale);
        this.#metadata = metadata;
        const { map, key } = memoFor(this.#options, issuer);
        map.delete(key);
        map.set(key, { metadata, times: this.#discoveryTimes });
        if (map.size > MEMO_LIMIT) map.delete(map.keys().next().value as string);
        this.#discoveryError = undefined;
        this.#discoveryFailures = 0;
        this.#discoveryRetryAt = -Infinity;
        this.#emit({
          type: 'discovery',
          issuer,
          url: discoveryUrl(issuer, allowHttp),
          jwksUri: metadata.jwks_uri,
          ...(metadata.id_token_signing_alg_values_supported ? { algorithms: metadata.id_token_signing_alg_values_supported } : {}),
        });
        const old = this.#cache;
        if (old !== undefined && old.uri === metadata.jwks_uri) return old;
        if (old !== undefined && this.#closed) return old;
        // The provider moved its keys: follow it without a restart.
        this.#unsubscribe?.();
        this.#unsubscribe = undefined;
        const cache = this.#attach(metadata.jwks_uri);
        old?.release();
        return cache;
      })
      .then(undefined, (err: unknown) => {
        const e = err instanceof VerifyError ? err : fetchFailure('ERR_DISCOVERY', issuer, String(err), { cause: err });
        this.#discoveryErrors++;
        this.#discoveryFailures++;
        const backoff = backoffDelay(this.#discoveryFailures, FIRST_BACKOFF, this.#options.cooldown);
        this.#discoveryRetryAt = this.#now() + backoff;
        this.#discoveryError = e;
        this.#emit({
          type: 'fetch-error',
          url: e instanceof VerifyError && 'url' in e && typeof e.url === 'string' ? e.url : issuer,
          code: 'ERR_DISCOVERY',
          reason: 'discovery',
          error: e,
          retryInMs: backoff,
          servingStale: this.#cache !== undefined && this.#discoveryTimes !== undefined && this.#now() < this.#discoveryTimes.staleUntil,
        });
        throw e;
      });
    const settled = p.finally(() => {
      this.#discovering = undefined;
    });
    settled.catch(() => undefined);
    this.#discovering = settled;
    return settled;
  }

  #emit(event: RemoteKeyEvent): void {
    try {
      this.#listener?.(event);
    } catch {
      // A faulty listener must not break verification.
    }
  }
}

/**
 * Creates a key source over a remote JWKS: given as `jwksUri`, or found through the discovery
 * document of `issuer` (OpenID Connect Discovery 1.0 §4). The JWKS cache is shared process-wide
 * per URL. Throws ERR_CONFIG for invalid options (bad URL, plain http to a non-loopback host
 * without `allowHttp`, negative durations).
 */
export function createRemoteKeySource(options: RemoteKeySourceOptions): RemoteKeySource {
  if (typeof options !== 'object' || options === null) throw configError('remote key source options must be an object');
  rejectUnknownOptions('createRemoteKeySource', options, REMOTE_OPTION_NAMES);
  const { issuer, jwksUri } = options;
  if (issuer === undefined && jwksUri === undefined) throw configError('give issuer (for discovery) or jwksUri');
  const allowHttp = options.allowHttp === true;
  if (options.allowHttp !== undefined && typeof options.allowHttp !== 'boolean') throw configError('allowHttp must be a boolean');
  if (jwksUri !== undefined) requireUrl('jwksUri', jwksUri, allowHttp);
  else discoveryUrl(issuer as string, allowHttp);
  if (issuer !== undefined && (typeof issuer !== 'string' || issuer.length === 0)) throw configError('issuer must be a non-empty string');
  normalizeJwksOptions(options);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw configError('onEvent must be a function');
  return new RemoteJwksSource(options);
}
