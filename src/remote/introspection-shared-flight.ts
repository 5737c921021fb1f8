/**
 * The shared second-level cache lookup of the introspector, with a single flight across
 * processes when the store can claim keys: of several replicas that meet the same new token at
 * once, one asks the authorization server and the others wait for its answer in the store. A
 * waiter that finds no answer (the token was inactive, or the request failed: nothing is stored)
 * takes the claim itself once it is free, or asks anyway when its wait is over, so a lost
 * claimant costs latency, never an answer.
 */
import type { IntrospectionCacheEntry, IntrospectionCacheStore } from './introspection-cache-store.js';

/** How often a waiting process looks for the claimant's answer (ms). */
const POLL_MS = 20;

export type SharedLookup =
  /** The store had a usable entry. */
  | { readonly hit: IntrospectionCacheEntry }
  /** Ask the server; `claimed`: this process holds the claim and must release it. */
  | { readonly hit?: undefined; readonly claimed: boolean };

/** What a store call answers, or `fallback` when it throws or rejects: the store is only an optimisation. */
async function safely<T>(call: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await call();
  } catch {
    return fallback;
  }
}

/** `entry` when it has the shape of a cache entry and has not expired at `now`. */
function usable(entry: unknown, now: number): IntrospectionCacheEntry | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Partial<IntrospectionCacheEntry>;
  const ok =
    typeof e.body === 'object' && e.body !== null && typeof e.url === 'string' && typeof e.expiresAt === 'number' && e.expiresAt > now;
  return ok ? (entry as IntrospectionCacheEntry) : undefined;
}

/**
 * Looks `key` up in `store`; on a miss, claims it when the store can (for `claimMs`), else waits
 * up to `claimMs` (real time) for another process's answer, polling every 20 ms.
 */
export async function sharedLookup(store: IntrospectionCacheStore, key: string, now: () => number, claimMs: number): Promise<SharedLookup> {
  const first = usable(await safely(() => store.get(key), undefined), now());
  if (first !== undefined) return { hit: first };
  if (store.claim === undefined) return { claimed: false };
  const until = performance.now() + claimMs;
  for (;;) {
    const got = await safely(async () => (await store.claim?.(key, claimMs)) === true, undefined);
    if (got === undefined) return { claimed: false }; // the store cannot claim now: ask
    if (got) return { claimed: true };
    if (performance.now() >= until) return { claimed: false };
    await new Promise((r) => setTimeout(r, POLL_MS));
    const later = usable(await safely(() => store.get(key), undefined), now());
    if (later !== undefined) return { hit: later };
  }
}

/** Ends a claim; a store that fails here only leaves the claim to expire. */
export async function releaseClaim(store: IntrospectionCacheStore, key: string): Promise<void> {
  if (store.release !== undefined) await safely(async () => store.release?.(key), undefined);
}
