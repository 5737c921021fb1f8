import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import type { VerificationKey } from './jwk.js';
import { KeySet, keyNotFound } from './key-set.js';

/**
 * Counters a {@link KeySource} may report from `stats()`. Each is optional: a custom source reports
 * what it counts; the remote key source reports every one (`RemoteKeyStats`).
 */
export interface KeySourceStats {
  /** JWKS requests started (successful or not). */
  readonly fetches?: number;
  /** Discovery requests started. */
  readonly discoveryFetches?: number;
  /** Lookups answered from cached keys without waiting. */
  readonly cacheHits?: number;
  /** Failed requests. */
  readonly errors?: number;
  /** When the keys were last fetched successfully (ms since the epoch, wall clock), if ever. */
  readonly lastRefresh?: number | undefined;
  /** Usable keys now. */
  readonly keys?: number;
  /** Lookups answered with keys past freshness while the endpoint failed. */
  readonly staleServed?: number;
  /** Unknown-kid lookups rejected inside the cooldown without a request. */
  readonly cooldownRejections?: number;
}

/**
 * Where a verifier gets its keys. One method, like go-oidc's KeySet: static sets answer
 * synchronously; remote sets answer synchronously from a warm cache and return a promise only
 * when they must fetch. Throws or rejects with `ERR_KEY_NOT_FOUND` (or a fetch error).
 */
export interface KeySource {
  /** Candidate keys for this header and allowlisted alg; never empty. */
  getKeys(header: JoseHeader, alg: Algorithm): readonly VerificationKey[] | Promise<readonly VerificationKey[]>;
  /** Whether `getKeys` never returns a promise (allows `verifyIdTokenSync`). */
  readonly synchronous: boolean;
  /** Algorithms the key's owner advertises (discovery), once known; narrows the allowlist. */
  advertisedAlgorithms?(): readonly string[] | undefined;
  /** Loads keys ahead of the first token. */
  warmUp?(): Promise<void>;
  /** Counters for monitoring. */
  stats?(): KeySourceStats;
  /** Releases timers and shared caches. */
  close?(): void;
}

/** A fixed key set given in code. */
export class StaticKeySource implements KeySource {
  readonly synchronous = true;
  readonly keySet: KeySet;

  constructor(jwks: unknown, options: { maxKeys?: number } = {}) {
    this.keySet = KeySet.fromJwks(jwks, { ...options, errorCode: 'ERR_CONFIG' });
  }

  getKeys(header: JoseHeader, alg: Algorithm): readonly VerificationKey[] {
    const m = this.keySet.select(header, alg);
    if (m.keys) return m.keys;
    throw keyNotFound(header, alg, m.rejections, 'the configured JWKS');
  }
}
