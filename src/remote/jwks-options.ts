import { HTTP_DEFAULTS, type FetchLike } from './http.js';
import type { JwksStore } from './jwks-store.js';

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
export interface JwksCacheOptions {
  readonly fetch?: FetchLike;
  readonly timeout?: number;
  readonly maxResponseSize?: number;
  readonly allowHttp?: boolean;
  readonly maxRedirects?: number;
  readonly cooldown?: number;
  readonly maxStale?: number;
  readonly maxKeys?: number;
  /**
   * Monotonic clock in ms for every freshness, cooldown and backoff decision (a test seam).
   * Default `performance.now`. Never the verifier's `now`: that is the instant claims are judged at.
   */
  readonly monotonicClock?: () => number;
  /** Persists fetched JWKS responses (see {@link JwksStore}); read once when the cache is cold. */
  readonly jwksStore?: JwksStore;
}

/** The default monotonic clock (also the registry's key for it). */
export const monotonic = (): number => performance.now();

/** The HTTP settings of a JWKS request, defaults applied. */
export interface JwksHttpOptions {
  readonly fetch?: FetchLike;
  readonly timeout: number;
  readonly maxResponseSize: number;
  readonly allowHttp: boolean;
  readonly maxRedirects: number;
}

/** The HTTP settings from cache options, with the defaults of `HTTP_DEFAULTS`. */
export function httpOptions(options: JwksCacheOptions): JwksHttpOptions {
  return {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    timeout: options.timeout ?? HTTP_DEFAULTS.timeout,
    maxResponseSize: options.maxResponseSize ?? HTTP_DEFAULTS.maxResponseSize,
    allowHttp: options.allowHttp === true,
    maxRedirects: options.maxRedirects ?? HTTP_DEFAULTS.maxRedirects,
  };
}
