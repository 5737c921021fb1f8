import { checkNumber, configError } from '../option-checks.js';
import { storeError, type ReplayStore } from './replay-store.js';

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /** Live entries the store holds at most. Default 100000. When full, new claims fail. */
  readonly maxEntries?: number;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** Reclamation granularity: expired entries are dropped within this many ms of their expiry. */
const BUCKET_MS = 1000;

/**
 * A {@link ReplayStore} in this process's memory: for a single instance. Several instances (or
 * processes) behind one load balancer need a shared store such as {@link createRedisReplayStore}.
 *
 * Bounded: at most `maxEntries` live entries. When full (after dropping expired ones) a claim
 * rejects with `ERR_REPLAY_STORE` ("replay store full") instead of forgetting a live entry:
 * forgetting would let a replay through, refusing only delays fresh tokens until entries expire.
 *
 * Cost: O(1) amortised per claim. Entries are also filed in one-second expiry buckets; each claim
 * first drops the buckets whose time has passed (every entry is dropped once).
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  if (typeof options !== 'object' || options === null) throw configError('memory replay store options must be an object');
  checkNumber('maxEntries', options.maxEntries, 1, true);
  if (options.now !== undefined && typeof options.now !== 'function') throw configError('now must be a function returning ms');
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  /** key -> expiry (ms). */
  const entries = new Map<string, number>();
  /** bucket number (ceil(expiry / BUCKET_MS)) -> keys filed there. */
  const buckets = new Map<number, string[]>();
  /** Every bucket below this number has been dropped. */
  let swept = Math.floor(now() / BUCKET_MS);

  function drop(bucket: number, t: number): void {
    const keys = buckets.get(bucket);
    if (keys === undefined) return;
    buckets.delete(bucket);
    for (const k of keys) {
      const exp = entries.get(k);
      // A key claimed again after expiry sits in a later bucket too: only drop it when expired.
      if (exp !== undefined && exp <= t) entries.delete(k);
    }
  }

  function sweep(t: number): void {
    const upTo = Math.floor(t / BUCKET_MS); // buckets <= upTo hold expiries <= upTo * BUCKET_MS <= t
    if (upTo < swept) return;
    if (upTo - swept > buckets.size) {
      // A long idle gap: walking the bucket numbers would cost more than walking the buckets.
      for (const b of [...buckets.keys()]) if (b <= upTo) drop(b, t);
    } else {
      for (let b = swept; b <= upTo; b++) drop(b, t);
    }
    swept = upTo + 1;
  }

  return {
    claim(key: string, expiresAtMs: number): Promise<boolean> {
      if (typeof key !== 'string' || !Number.isFinite(expiresAtMs)) {
        return Promise.reject(storeError('replay store claim needs a string key and a finite expiry'));
      }
      const t = now();
      sweep(t);
      const held = entries.get(key);
      if (held !== undefined && held > t) return Promise.resolve(false);
      if (expiresAtMs <= t) return Promise.resolve(true); // already expired: nothing to remember
      if (held === undefined && entries.size >= maxEntries) {
        return Promise.reject(
          storeError(`replay store full: ${maxEntries} live entries (maxEntries), refusing rather than forgetting one`),
        );
      }
      entries.set(key, expiresAtMs);
      const bucket = Math.ceil(expiresAtMs / BUCKET_MS);
      const list = buckets.get(bucket);
      if (list === undefined) buckets.set(bucket, [key]);
      else list.push(key);
      return Promise.resolve(true);
    },
  };
}
