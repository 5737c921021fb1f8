import { backoffDelay } from './backoff.js';
import type { Freshness } from './cache-control.js';

/**
 * The freshness state of one cached JWKS, as a pure value: no clock, no timers. Every instant `t`
 * is the monotonic clock in ms (never the verification instant `now`). {@link phase} says what the
 * cache does with a token arriving at `t`:
 *
 *   phase                   when (t)                              the cache
 *   fresh                   t < refreshAt                         serves from memory (the hot path)
 *   refresh-ahead           refreshAt <= t < freshUntil           serves, and starts a background refresh
 *   stale-while-revalidate  freshUntil <= t < swrUntil, not       serves stale while a background refresh
 *                           failing                               runs (RFC 5861 §3)
 *   stale-if-error          freshUntil <= t, failing, and         serves stale with a `stale-served` event;
 *                           t < swrUntil or t < staleUntil        refreshes in the background once
 *                                                                 t >= retryAt (RFC 5861 §4)
 *   expired                 otherwise                             revalidates before answering; if that
 *                                                                 fails, serves stale while t < staleUntil
 *
 * refreshAt = freshUntil - min(freshFor / 4, 60 s); swrUntil and staleUntil extend freshUntil by the
 * response's stale-while-revalidate and stale-if-error, each at most `maxStale` (stale-if-error
 * defaults to `maxStale`). After a failed fetch no request is made before `retryAt` (backoff from
 * 1 s, doubling, at most max(cooldown, 1 s)). A cache with no key set is cold whatever the phase.
 */
export interface JwksFreshness {
  /** When the cached response was received (a persisted one: aged by its time in the store). */
  readonly fetchedAt: number;
  /** From here on a token starts a background refresh. */
  readonly refreshAt: number;
  /** End of freshness (RFC 9111 §4.2). */
  readonly freshUntil: number;
  /** End of stale-while-revalidate. */
  readonly swrUntil: number;
  /** End of stale-if-error: the last good keys serve while refreshing fails until here. */
  readonly staleUntil: number;
  /** The last fetch failed. */
  readonly failing: boolean;
  /** Failed fetches since the last success. */
  readonly failures: number;
  /** No fetch before this instant (failure backoff). */
  readonly retryAt: number;
}

/** What the cache does at an instant; see the table on {@link JwksFreshness}. */
export type JwksPhase = 'fresh' | 'refresh-ahead' | 'stale-while-revalidate' | 'stale-if-error' | 'expired';

/** Refresh this long before expiry at most (a quarter of the lifetime for short lifetimes). */
const MAX_REFRESH_AHEAD = 60_000;
/** First retry delay after a failed fetch; doubles up to max(cooldown, 1 s). */
export const FIRST_BACKOFF = 1000;

/** The state before any fetch: every phase is `expired`, and a fetch may start at once. */
export const COLD: JwksFreshness = {
  fetchedAt: 0,
  refreshAt: -Infinity,
  freshUntil: -Infinity,
  swrUntil: -Infinity,
  staleUntil: -Infinity,
  failing: false,
  failures: 0,
  retryAt: -Infinity,
};

/** The phase of the cached set at `t` (see the table on {@link JwksFreshness}). */
export function phase(s: JwksFreshness, t: number): JwksPhase {
  if (t < s.refreshAt) return 'fresh';
  if (t < s.swrUntil || (s.failing && t < s.staleUntil)) {
    if (t < s.freshUntil) return 'refresh-ahead';
    return s.failing ? 'stale-if-error' : 'stale-while-revalidate';
  }
  return 'expired';
}

/** Whether the failure backoff allows a request at `t`. */
export function mayFetch(s: JwksFreshness, t: number): boolean {
  return t >= s.retryAt;
}

/** The state after a response received at `fetchedAt` with lifetime `f` was installed. */
export function installed(fetchedAt: number, f: Freshness, maxStale: number): JwksFreshness {
  const freshUntil = fetchedAt + f.freshFor;
  return {
    fetchedAt,
    refreshAt: freshUntil - Math.min(f.freshFor / 4, MAX_REFRESH_AHEAD),
    freshUntil,
    swrUntil: freshUntil + Math.min(f.staleWhileRevalidate, maxStale),
    staleUntil: freshUntil + Math.min(f.staleIfError ?? maxStale, maxStale),
    failing: false,
    failures: 0,
    retryAt: -Infinity,
  };
}

/** The state after a fetch failed at `t`: the last good set's limits stay, the backoff grows. */
export function failed(s: JwksFreshness, t: number, cooldown: number): JwksFreshness {
  const failures = s.failures + 1;
  return { ...s, failing: true, failures, retryAt: t + backoffDelay(failures, FIRST_BACKOFF, cooldown) };
}
