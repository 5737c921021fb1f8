import { JwksCache } from './jwks-cache.js';
import { jwksSettingsKey, normalizeJwksOptions, type JwksCacheOptions } from './jwks-options.js';

/**
 * The process-wide registry of JWKS caches: one {@link JwksCache} per JWKS URL and set of options,
 * shared by every source that uses it, plus a few released (idle) caches kept for the next user.
 */

const DEFAULT_FETCH: object = {};
const registry = new WeakMap<object, WeakMap<object, Map<string, JwksCache>>>();
/**
 * Released caches kept for the next user of the same URL (a verifier per request, like the CLI
 * checklist, must not refetch each time), oldest first; beyond the limit the oldest is disposed.
 */
const IDLE_LIMIT = 16;
const idle = new Map<JwksCache, () => void>();

/**
 * The process-wide cache for `uri`: every source with the same URI, `fetch`, monotonic clock (a
 * test seam; the verifier's `now` plays no part) and cache options shares one set, one
 * single-flight fetch and one cooldown. Call `acquire()` on it and `release()` when done.
 */
export function sharedJwksCache(uri: string, options: JwksCacheOptions = {}): JwksCache {
  const s = normalizeJwksOptions(options);
  const fetchKey: object = s.fetch ?? DEFAULT_FETCH;
  const clockKey: object = s.monotonicClock;
  let byClock = registry.get(fetchKey);
  if (byClock === undefined) registry.set(fetchKey, (byClock = new WeakMap()));
  let byKey = byClock.get(clockKey);
  if (byKey === undefined) byClock.set(clockKey, (byKey = new Map<string, JwksCache>()));
  const key = jwksSettingsKey(uri, s);
  let cache = byKey.get(key);
  if (cache === undefined || cache.closed) {
    const map = byKey;
    const dispose = (): void => {
      created.dispose();
      if (map.get(key) === created) map.delete(key);
    };
    const created: JwksCache = new JwksCache(uri, s, () => {
      idle.set(created, dispose);
      if (idle.size > IDLE_LIMIT) {
        const [oldest, disposeOldest] = idle.entries().next().value as [JwksCache, () => void];
        idle.delete(oldest);
        disposeOldest();
      }
    });
    cache = created;
    map.set(key, cache);
  }
  idle.delete(cache);
  return cache;
}
