/**
 * A second-level cache of active introspection results shared by several processes (e.g. in
 * Redis), so N replicas make one introspection request per token per TTL instead of N.
 * The introspector's own memory cache stays the first level; this store is asked on a miss and
 * written after every active response, with the same rules: keyed by the SHA-256 of the token
 * (never the token), kept at most the cache `ttl` and never past the token's `exp`.
 */

/** One cached active result: the response body, the endpoint it came from, and when it stops counting. */
export interface IntrospectionCacheEntry {
  /** The RFC 7662 response body as received (it is checked again on every use). */
  readonly body: Record<string, unknown>;
  /** The introspection endpoint that answered. */
  readonly url: string;
  /** Milliseconds since the epoch (the introspector's clock) after which the entry is not used. */
  readonly expiresAt: number;
}

/**
 * Where {@link IntrospectionCacheEntry}s are shared. `get` resolves undefined for a miss; a store
 * that fails or is slow only costs a miss (the introspector then asks the server), and a failed
 * `set` is ignored: the shared cache is an optimisation, never a reason to refuse a token.
 */
export interface IntrospectionCacheStore {
  /** The entry stored under `key` (a base64url SHA-256 of the token), if any. */
  get(key: string): Promise<IntrospectionCacheEntry | undefined>;
  /** Stores `entry` under `key` until `entry.expiresAt`. */
  set(key: string, entry: IntrospectionCacheEntry): Promise<void>;
  /**
   * Optional single flight across processes: claims the right to ask the server about `key` for
   * `ms` milliseconds. True when this process got it (e.g. `SET NX PX`), false while another holds
   * it; then the introspector waits for that one's answer in the store instead of asking too. A
   * claim that fails or rejects counts as "ask the server yourself".
   */
  claim?(key: string, ms: number): Promise<boolean>;
  /** Ends this process's claim on `key` early (its answer is stored, or there is none to store). */
  release?(key: string): Promise<void>;
}

/** Whether `v` has the members of an {@link IntrospectionCacheStore}. */
export function isIntrospectionCacheStore(v: unknown): v is IntrospectionCacheStore {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<string, unknown>).get === 'function' &&
    typeof (v as Record<string, unknown>).set === 'function' &&
    ['claim', 'release'].every(
      (m) => (v as Record<string, unknown>)[m] === undefined || typeof (v as Record<string, unknown>)[m] === 'function',
    )
  );
}
