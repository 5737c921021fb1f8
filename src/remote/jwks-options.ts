import { checkNumber, configError } from '../option-checks.js';
import { HTTP_DEFAULTS, HTTP_OPTION_NAMES, checkHttpOptions, pickHttpOptions, type FetchLike, type HttpOptions } from './http.js';
import { isJwksStore, type JwksStore } from './jwks-store.js';

/**
 * The one shape of the remote key options: the HTTP transport plus JWKS caching. The remote key
 * source, the JWKS cache, the shared-cache key, the discovery memo and the verifier's remote
 * options all take {@link JwksCacheOptions}, checked and defaulted by {@link normalizeJwksOptions}.
 */

/** Defaults of the remote key layer (JWKS caches and the sources over them). */
export const REMOTE_DEFAULTS = {
  /** Minimum ms between two refetches for unknown kids. */
  cooldown: 30_000,
  /** How long the last good keys serve while refreshing fails, ms past freshness. */
  maxStale: 86_400_000,
  /** Keys taken from one JWKS. */
  maxKeys: 100,
} as const;

/** Options of one JWKS cache; caches with equal options for one URL are shared (jwks-registry.ts). */
export interface JwksCacheOptions extends HttpOptions {
  /** Minimum time between two refetches for unknown kids, per JWKS URL, ms. Default 30000. */
  readonly cooldown?: number;
  /** How long past freshness the last good keys serve while refreshing fails, ms. Default 86400000 (24 h). */
  readonly maxStale?: number;
  /** Keys taken from one JWKS. Default 100. */
  readonly maxKeys?: number;
  /**
   * Monotonic clock in ms for every freshness, cooldown and backoff decision (a test seam).
   * Default `performance.now`. Never the verifier's `now`: that is the instant claims are judged at.
   */
  readonly monotonicClock?: () => number;
  /** Persists fetched JWKS responses (see {@link JwksStore}); read once when the cache is cold. */
  readonly jwksStore?: JwksStore;
}

/** Every member of {@link JwksCacheOptions}. */
export const JWKS_CACHE_OPTION_NAMES: readonly (keyof JwksCacheOptions)[] = [
  ...HTTP_OPTION_NAMES,
  ...(Object.keys({
    cooldown: true,
    maxStale: true,
    maxKeys: true,
    monotonicClock: true,
    jwksStore: true,
  } satisfies Record<Exclude<keyof JwksCacheOptions, keyof HttpOptions>, true>) as (keyof JwksCacheOptions)[]),
];

/** The default monotonic clock (also the registry's key for it). */
export const monotonic = (): number => performance.now();

/** {@link JwksCacheOptions} checked, with every default applied. */
export interface JwksSettings {
  readonly fetch?: FetchLike;
  readonly timeout: number;
  readonly maxResponseSize: number;
  readonly allowHttp: boolean;
  readonly maxRedirects: number;
  readonly cooldown: number;
  readonly maxStale: number;
  readonly maxKeys: number;
  readonly monotonicClock: () => number;
  readonly jwksStore?: JwksStore;
}

/**
 * Checks remote key options (ERR_CONFIG: `timeout` 1..2^31-1 ms, `maxResponseSize` and `maxKeys`
 * integers >= 1, `maxRedirects` an integer >= 0, `cooldown` and `maxStale` >= 0, functions where
 * functions belong) and applies the defaults. Other members of `o` are ignored.
 */
export function normalizeJwksOptions(o: JwksCacheOptions): JwksSettings {
  checkHttpOptions(o);
  checkNumber('cooldown', o.cooldown, 0);
  checkNumber('maxStale', o.maxStale, 0);
  checkNumber('maxKeys', o.maxKeys, 1, true);
  if (o.monotonicClock !== undefined && typeof o.monotonicClock !== 'function')
    throw configError('monotonicClock must be a function returning ms');
  if (o.jwksStore !== undefined && !isJwksStore(o.jwksStore)) throw configError('jwksStore must be an object with get and set methods');
  return {
    ...(o.fetch !== undefined ? { fetch: o.fetch } : {}),
    timeout: o.timeout ?? HTTP_DEFAULTS.timeout,
    maxResponseSize: o.maxResponseSize ?? HTTP_DEFAULTS.maxResponseSize,
    allowHttp: o.allowHttp === true,
    maxRedirects: o.maxRedirects ?? HTTP_DEFAULTS.maxRedirects,
    cooldown: o.cooldown ?? REMOTE_DEFAULTS.cooldown,
    maxStale: o.maxStale ?? REMOTE_DEFAULTS.maxStale,
    maxKeys: o.maxKeys ?? REMOTE_DEFAULTS.maxKeys,
    monotonicClock: o.monotonicClock ?? monotonic,
    ...(o.jwksStore !== undefined ? { jwksStore: o.jwksStore } : {}),
  };
}

/** The members of {@link JwksCacheOptions} that `o` sets (undefined ones mean "default" and are left out). */
export function pickJwksOptions(o: JwksCacheOptions): JwksCacheOptions {
  return {
    ...pickHttpOptions(o),
    ...(o.cooldown !== undefined ? { cooldown: o.cooldown } : {}),
    ...(o.maxStale !== undefined ? { maxStale: o.maxStale } : {}),
    ...(o.maxKeys !== undefined ? { maxKeys: o.maxKeys } : {}),
    ...(o.monotonicClock !== undefined ? { monotonicClock: o.monotonicClock } : {}),
    ...(o.jwksStore !== undefined ? { jwksStore: o.jwksStore } : {}),
  };
}

/** Caches with different stores are not shared; each store object gets a number for the key. */
const storeIds = new WeakMap<object, number>();
let lastStoreId = 0;

/**
 * The sharing key of `url` under settings `s`: every setting but `fetch` and the clock (objects,
 * which the registry keys by identity), with the store as a number.
 */
export function jwksSettingsKey(url: string, s: JwksSettings): string {
  const store = s.jwksStore;
  const storeKey = store === undefined ? 0 : (storeIds.get(store) ?? storeIds.set(store, ++lastStoreId).get(store)!);
  return JSON.stringify([url, s.timeout, s.maxResponseSize, s.allowHttp, s.maxRedirects, s.cooldown, s.maxStale, s.maxKeys, storeKey]);
}
