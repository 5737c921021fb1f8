import { KeySet } from '../keys/key-set.js';

/**
 * Persistence of fetched JWKS documents outside the process: in a Cloudflare Worker the Cache API
 * or KV, so a cold isolate verifies without a JWKS request. The store keeps what an HTTP cache
 * keeps (RFC 9111 §3): the document, when it was received, and its caching headers; freshness is
 * judged on them exactly as for a fresh response, aged by the time since `fetchedAt`.
 */

/** A persisted JWKS response. */
export interface PersistedJwks {
  /** The JWKS document as received (parsed JSON). */
  readonly jwks: unknown;
  /** When the response was received, ms since the epoch (`Date.now()`). */
  readonly fetchedAt: number;
  /** Its caching headers, lower-case names: `cache-control`, `expires`, `date`, `age` when present. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Where JWKS responses are persisted (option `jwksStore`). `get` is asked once, when a cache has no
 * keys yet; `set` after each successful fetch. Both may be async; a store that throws, rejects,
 * answers garbage or takes longer than the request `timeout` is ignored (counted as a miss).
 */
export interface JwksStore {
  /** The persisted response for the JWKS URL, or undefined. */
  get(jwksUri: string): PersistedJwks | undefined | Promise<PersistedJwks | undefined>;
  /** Persists the latest response for the JWKS URL. */
  set(jwksUri: string, value: PersistedJwks): void | Promise<void>;
}

const PERSISTED_HEADERS = ['cache-control', 'expires', 'date', 'age'] as const;

/** The caching headers of a response, as persisted. */
export function persistedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PERSISTED_HEADERS) {
    const v = headers.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

/** A stored value if it has the persisted shape (with a `fetchedAt` not in the future), else undefined. */
export function checkPersisted(v: unknown, wallNow: number): PersistedJwks | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { jwks, fetchedAt, headers } = v as Record<string, unknown>;
  if (typeof fetchedAt !== 'number' || !Number.isFinite(fetchedAt) || fetchedAt > wallNow + 60_000) return undefined;
  if (typeof headers !== 'object' || headers === null) return undefined;
  const h: Record<string, string> = {};
  for (const name of PERSISTED_HEADERS) {
    const value = (headers as Record<string, unknown>)[name];
    if (typeof value === 'string' && value.length <= 1024) h[name] = value;
  }
  return { jwks, fetchedAt: Math.min(fetchedAt, wallNow), headers: h };
}

/** Whether `v` can serve as a store. */
export function isJwksStore(v: unknown): v is JwksStore {
  return typeof v === 'object' && v !== null && typeof (v as JwksStore).get === 'function' && typeof (v as JwksStore).set === 'function';
}

/** A persisted response read back: its key set (never empty), caching headers and age in ms. */
export interface StoredJwks {
  readonly set: KeySet;
  readonly headers: Headers;
  readonly ageMs: number;
}

/**
 * The persisted response for `uri`, or undefined when the store throws, rejects, answers garbage or
 * no keys, or takes longer than `timeout` ms. Never throws.
 */
export async function readPersisted(store: JwksStore, uri: string, timeout: number, maxKeys: number): Promise<StoredJwks | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeout);
    });
    const wall = Date.now();
    const entry = checkPersisted(await Promise.race([Promise.resolve().then(() => store.get(uri)), deadline]), wall);
    if (entry === undefined) return undefined;
    const set = KeySet.fromJwks(entry.jwks, { maxKeys, errorCode: 'ERR_JWKS_FETCH' });
    if (set.keys.length === 0) return undefined;
    return { set, headers: new Headers(entry.headers), ageMs: wall - entry.fetchedAt };
  } catch {
    return undefined;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Persists a fetched response; a failing store never fails verification. */
export function persist(store: JwksStore, uri: string, body: unknown, headers: Headers): void {
  try {
    void Promise.resolve(store.set(uri, { jwks: body, fetchedAt: Date.now(), headers: persistedHeaders(headers) })).catch(() => undefined);
  } catch {
    // A failing store never fails verification.
  }
}
