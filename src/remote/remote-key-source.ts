import { VerifyError, describe } from '../errors.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import type { VerificationKey } from '../keys/jwk.js';
import type { KeySource } from '../keys/key-source.js';
import { discover, discoveryUrl, type ProviderMetadata } from './discovery.js';
import type { RemoteKeyEvent, RemoteKeyListener, RemoteKeyStats } from './events.js';
import { fetchFailure, type FetchLike } from './http.js';
import { REMOTE_DEFAULTS, sharedJwksCache, type JwksCache, type JwksCacheOptions } from './jwks-cache.js';
import { requireUrl } from './url-policy.js';
import { checkNumber, configError } from '../option-checks.js';

/** Options of {@link createRemoteKeySource}. Durations in milliseconds. */
export interface RemoteKeySourceOptions {
  /** The issuer; without `jwksUri` its discovery document names the JWKS URL. */
  readonly issuer?: string;
  /** The JWKS URL; skips discovery. */
  readonly jwksUri?: string;
  /** `fetch` implementation (proxies, tests). Default: the platform `fetch`. */
  readonly fetch?: FetchLike;
  /** Deadline of every request (all redirect hops and the body). Default 5000. */
  readonly timeout?: number;
  /** Maximum response body, bytes. Default 524288 (512 KiB). */
  readonly maxResponseSize?: number;
  /** Allow plain http to non-loopback hosts. Default false (https only; http for loopback). */
  readonly allowHttp?: boolean;
  /** Minimum time between two refetches for unknown kids, per JWKS URL. Default 30000. */
  readonly cooldown?: number;
  /** How long past freshness the last good keys serve while refreshing fails. Default 86400000 (24 h). */
  readonly maxStale?: number;
  /** Keys taken from one JWKS. Default 100. */
  readonly maxKeys?: number;
  /** Receives refresh, rotation, failure and warning events. */
  readonly onEvent?: RemoteKeyListener;
  /** Clock in ms for every TTL and cooldown decision. Default `Date.now`. */
  readonly now?: () => number;
}

/** A {@link KeySource} backed by a remote JWKS (found by discovery or given). */
export interface RemoteKeySource extends KeySource {
  readonly synchronous: false;
  /** The configured issuer, if any. */
  readonly issuer: string | undefined;
  /** The JWKS URL, once known (given, or after discovery). */
  jwksUri(): string | undefined;
  /** The discovery document, once fetched (only when discovery is used). */
  metadata(): ProviderMetadata | undefined;
  /** `id_token_signing_alg_values_supported` from discovery, once known. */
  advertisedAlgorithms(): readonly string[] | undefined;
  /** Runs discovery (if needed) and loads the JWKS; rejects with ERR_DISCOVERY / ERR_JWKS_FETCH. */
  warmUp(): Promise<void>;
  stats(): RemoteKeyStats;
  /** Detaches from the shared cache; the last source to close stops its refresh timer. */
  close(): void;
}


const FIRST_BACKOFF = 1000;

class RemoteJwksSource implements RemoteKeySource {
  readonly synchronous = false;
  readonly issuer: string | undefined;
  readonly #options: JwksCacheOptions;
  readonly #now: () => number;
  readonly #cooldown: number;
  readonly #listener: RemoteKeyListener | undefined;
  #cache: JwksCache | undefined;
  #unsubscribe: (() => void) | undefined;
  #metadata: ProviderMetadata | undefined;
  #discovering: Promise<JwksCache> | undefined;
  #discoveryFetches = 0;
  #discoveryErrors = 0;
  #discoveryFailures = 0;
  #discoveryRetryAt = -Infinity;
  #discoveryError: VerifyError | undefined;
  #closed = false;

  constructor(o: RemoteKeySourceOptions) {
    this.issuer = o.issuer;
    this.#now = o.now ?? Date.now;
    this.#cooldown = o.cooldown ?? REMOTE_DEFAULTS.cooldown;
    this.#listener = o.onEvent;
    this.#options = {
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
      ...(o.maxResponseSize !== undefined ? { maxResponseSize: o.maxResponseSize } : {}),
      ...(o.allowHttp !== undefined ? { allowHttp: o.allowHttp } : {}),
      ...(o.cooldown !== undefined ? { cooldown: o.cooldown } : {}),
      ...(o.maxStale !== undefined ? { maxStale: o.maxStale } : {}),
      ...(o.maxKeys !== undefined ? { maxKeys: o.maxKeys } : {}),
      ...(o.now ? { now: o.now } : {}),
    };
    if (o.jwksUri !== undefined) this.#attach(o.jwksUri);
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

  getKeys(header: JoseHeader, alg: Algorithm): readonly VerificationKey[] | Promise<readonly VerificationKey[]> {
    const cache = this.#cache;
    if (cache !== undefined) return cache.getKeys(header, alg);
    return this.#discovered().then((c) => c.getKeys(header, alg));
  }

  async warmUp(): Promise<void> {
    const cache = this.#cache ?? (await this.#discovered());
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

  /** Discovery, single flight; a failure is remembered for a backoff so a down IdP is not hammered. */
  #discovered(): Promise<JwksCache> {
    if (this.#cache !== undefined) return Promise.resolve(this.#cache);
    if (this.#discovering !== undefined) return this.#discovering;
    if (this.#discoveryError !== undefined && this.#now() < this.#discoveryRetryAt) {
      return Promise.reject(this.#discoveryError);
    }
    const issuer = this.issuer as string;
    this.#discoveryFetches++;
    const p = discover(issuer, this.#options).then(
      (metadata) => {
        this.#metadata = metadata;
        this.#discoveryError = undefined;
        this.#discoveryFailures = 0;
        this.#emit({
          type: 'discovery',
          issuer,
          url: discoveryUrl(issuer, this.#options.allowHttp === true),
          jwksUri: metadata.jwks_uri,
          ...(metadata.id_token_signing_alg_values_supported
            ? { algorithms: metadata.id_token_signing_alg_values_supported }
            : {}),
        });
        return this.#cache ?? this.#attach(metadata.jwks_uri);
      },
      (err: unknown) => {
        const e = err instanceof VerifyError ? err : fetchFailure('ERR_DISCOVERY', issuer, String(err), { cause: err });
        this.#discoveryErrors++;
        this.#discoveryFailures++;
        const backoff = Math.min(
          FIRST_BACKOFF * 2 ** Math.min(this.#discoveryFailures - 1, 20),
          Math.max(this.#cooldown, FIRST_BACKOFF),
        );
        this.#discoveryRetryAt = this.#now() + backoff;
        this.#discoveryError = e;
        this.#emit({
          type: 'fetch-error',
          url: e instanceof VerifyError && 'url' in e && typeof e.url === 'string' ? e.url : issuer,
          code: 'ERR_DISCOVERY',
          reason: 'discovery',
          error: e,
          retryInMs: backoff,
          servingStale: false,
        });
        throw e;
      },
    );
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
  const { issuer, jwksUri } = options;
  if (issuer === undefined && jwksUri === undefined) throw configError('give issuer (for discovery) or jwksUri');
  const allowHttp = options.allowHttp === true;
  if (options.allowHttp !== undefined && typeof options.allowHttp !== 'boolean') throw configError('allowHttp must be a boolean');
  if (jwksUri !== undefined) requireUrl('jwksUri', jwksUri, allowHttp);
  else discoveryUrl(issuer as string, allowHttp);
  if (issuer !== undefined && (typeof issuer !== 'string' || issuer.length === 0)) throw configError('issuer must be a non-empty string');
  checkNumber('timeout', options.timeout, 1);
  checkNumber('maxResponseSize', options.maxResponseSize, 1, true);
  checkNumber('cooldown', options.cooldown, 0);
  checkNumber('maxStale', options.maxStale, 0);
  checkNumber('maxKeys', options.maxKeys, 1, true);
  for (const name of ['fetch', 'onEvent', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw configError(`${name} must be a function`);
  }
  return new RemoteJwksSource(options);
}
