import type { KeySourceStats } from '../keys/key-source.js';
import type { KeyRejection, VerifyError } from '../errors.js';
import type { Freshness } from './cache-control.js';
import type { RemoteErrorCode } from './http.js';

/** Why a JWKS fetch started. */
export type RefreshReason =
  /** No keys yet: a token or `warmUp()` needs them. */
  | 'cold'
  /** Keys past freshness (and stale-while-revalidate): revalidated before answering. */
  | 'expired'
  /** Keys close to expiry: refreshed in the background while they keep serving. */
  | 'refresh-ahead'
  /** A token named a key the cached set does not have. */
  | 'unknown-kid'
  /** No keys yet, and the `jwksStore` had a persisted response (no request made for it). */
  | 'persisted';

/**
 * What the remote key layer reports through `onEvent`. Plain objects; a listener that throws is
 * ignored. The union is open for new `type`s: switch on `type` with a default branch.
 */
export type RemoteKeyEvent =
  | {
      /** A discovery document was fetched and accepted: the first one, and every refresh. */
      readonly type: 'discovery';
      readonly issuer: string;
      /** The discovery document URL. */
      readonly url: string;
      readonly jwksUri: string;
      /** `id_token_signing_alg_values_supported`, when advertised. */
      readonly algorithms?: readonly string[];
    }
  | {
      readonly type: 'refresh';
      readonly jwksUri: string;
      readonly reason: RefreshReason;
      /** Usable keys in the new set. */
      readonly keys: number;
      /** Their identifiers (kid, else a thumbprint or key prefix). */
      readonly kids: readonly string[];
      /** Keys skipped at import (use enc, unknown kty, too weak, beyond the cap...) with the reason. */
      readonly skipped: readonly KeyRejection[];
      /** How long the set is fresh, ms, and where that came from. */
      readonly freshFor: number;
      readonly freshnessSource: Freshness['source'];
      readonly durationMs: number;
    }
  | {
      /** The set of key identifiers changed between two successful fetches. */
      readonly type: 'rotation';
      readonly jwksUri: string;
      readonly added: readonly string[];
      readonly removed: readonly string[];
    }
  | {
      readonly type: 'fetch-error';
      readonly url: string;
      readonly code: RemoteErrorCode;
      readonly reason: RefreshReason | 'discovery';
      readonly error: VerifyError;
      /** No new attempt before this many ms (backoff). */
      readonly retryInMs: number;
      /** Whether the last good keys keep serving (stale-if-error). */
      readonly servingStale: boolean;
    }
  | {
      /** Warning: tokens are verified with keys past their freshness because refreshing fails. */
      readonly type: 'stale-served';
      readonly jwksUri: string;
      /** Time since the keys were fetched, ms. */
      readonly ageMs: number;
      /** Time left before they stop serving (maxStale / stale-if-error), ms. */
      readonly remainingMs: number;
      readonly error: VerifyError;
    }
  | {
      /**
       * Warning: the JWKS publishes private key material (`d`, `p`, `q`, ..., or `k`). Those members
       * were skipped and never used (RFC 7517 §5); the issuer has leaked its signing key. Sent with
       * every fetch that still holds such members.
       */
      readonly type: 'private-key-published';
      readonly jwksUri: string;
      /** The members skipped for that reason. */
      readonly keys: readonly KeyRejection[];
    }
  | {
      /** A token with an unknown key arrived inside the cooldown: rejected without a request. Once per window. */
      readonly type: 'unknown-kid-cooldown';
      readonly jwksUri: string;
      readonly kid?: string;
      /** When the next refetch for an unknown key is allowed, ms from now. */
      readonly retryInMs: number;
    };

/** Counters of one JWKS cache (the JWKS part of `RemoteKeyStats`). */
export interface JwksCacheStats {
  /** JWKS requests started (successful or not). */
  readonly fetches: number;
  /** Lookups answered from the cached set without waiting. */
  readonly cacheHits: number;
  /** Failed JWKS requests. */
  readonly errors: number;
  /** When the JWKS was last fetched successfully (ms since the epoch, wall clock), if ever. */
  readonly lastRefresh: number | undefined;
  /** Usable keys in the cached set. */
  readonly keys: number;
  /** Lookups answered with keys past freshness while the endpoint failed. */
  readonly staleServed: number;
  /** Unknown-kid lookups rejected inside the cooldown without a request. */
  readonly cooldownRejections: number;
}

/**
 * Counters of a remote key source: its JWKS cache's (shared per URI), plus discovery. Every
 * member KeySourceStats leaves optional is present here.
 */
export interface RemoteKeyStats extends Omit<KeySourceStats, keyof JwksCacheStats>, Omit<JwksCacheStats, 'errors'> {
  /** Discovery requests started by this source. */
  readonly discoveryFetches: number;
  /** Failed JWKS and discovery requests. */
  readonly errors: number;
}

/** Receives {@link RemoteKeyEvent}s (the `onEvent` option); it must not throw. */
export type RemoteKeyListener = (event: RemoteKeyEvent) => void;
