/**
 * The cache of active introspection results: a small store interface keyed by the token's
 * SHA-256 (tokens themselves are never kept), and the bounded in-memory store the introspector
 * uses by default. Any store with these four members can stand in (e.g. one shared between
 * processes); the introspector decides what to keep and for how long, a store only keeps it.
 */
import type { IntrospectionCacheEntry } from './introspection-cache-store.js';

export type { IntrospectionCacheEntry };

/** Where the introspector keeps active results, by key with expiry. */
export interface LocalIntrospectionCache {
  /** The entry under `key` when it has not expired at `now` (ms); an expired one is dropped. */
  get(key: string, now: number): IntrospectionCacheEntry | undefined;
  /** Keeps `entry` under `key` until `entry.expiresAt`, replacing any earlier entry. */
  set(key: string, entry: IntrospectionCacheEntry, now: number): void;
  /** Forgets the entry under `key`, if any. */
  delete(key: string): void;
  /** Entries held now (for stats). */
  readonly size: number;
}

/**
 * An in-memory {@link LocalIntrospectionCache} holding at most `maxEntries` entries: a read moves
 * an entry to the most recently used end; a write first drops expired entries and then the
 * least recently used ones over the bound, so memory stays bounded whatever tokens arrive.
 */
export function createMemoryIntrospectionCache(maxEntries: number): LocalIntrospectionCache {
  const entries = new Map<string, IntrospectionCacheEntry>();
  return {
    get(key, now) {
      const hit = entries.get(key);
      if (hit === undefined) return undefined;
      entries.delete(key);
      if (hit.expiresAt <= now) return undefined;
      entries.set(key, hit); // most recently used last
      return hit;
    },
    set(key, entry, now) {
      entries.delete(key);
      for (const [k, e] of entries) {
        if (entries.size < maxEntries && e.expiresAt > now) break;
        entries.delete(k); // expired, or the least recently used over the bound
      }
      entries.set(key, entry);
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
