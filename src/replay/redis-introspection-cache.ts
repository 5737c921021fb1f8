import { checkNumber, configError } from '../option-checks.js';
import type { IntrospectionCacheEntry, IntrospectionCacheStore } from '../remote/introspection-cache-store.js';

/** The part of a node-redis (v4 and later) client the shared introspection cache uses. */
export interface NodeRedisCacheClient {
  /** `GET key`: the value or null. */
  get(key: string): Promise<unknown>;
  /** `SET key value PXAT ms` (and `SET key value NX PX ms` for claims) in node-redis's option form. */
  set(key: string, value: string, options: { NX: true; PXAT: number } | { PXAT: number } | { NX: true; PX: number }): Promise<unknown>;
  /** `DEL key`: ends a claim early. Without it a claim lasts until it expires. */
  del?(key: string): Promise<unknown>;
}

/** Options of {@link createRedisIntrospectionCache}. */
export interface RedisIntrospectionCacheOptions {
  /** A connected node-redis client. Not imported here. */
  readonly client: NodeRedisCacheClient;
  /** Prepended to every key (a base64url SHA-256 of the token). Default `"oidc-verifier:introspection:"`. */
  readonly prefix?: string;
  /** Deadline of one GET in ms; past it the lookup counts as a miss. Default 250. */
  readonly timeout?: number;
  /** Told about every lookup: `hit`, `miss`, or `error` (failed or timed out; counted as a miss). */
  readonly onLookup?: (outcome: 'hit' | 'miss' | 'error') => void;
}

/** Largest stored value read back, bytes: a bigger one is not ours (counted as an error). */
const MAX_VALUE = 256 * 1024;

/**
 * An {@link IntrospectionCacheStore} in Redis: `SET <prefix><sha256> <json> PXAT <expiresAt>`, so
 * Redis drops the entry when it stops counting; `GET` on a miss of the memory cache. Only active
 * results are stored (the introspector never stores others), under the token's SHA-256.
 * Claims (the single flight across replicas) are `SET <prefix>claim:<sha256> 1 NX PX <ms>`, ended
 * by `DEL` when the client has it; a claim that fails or times out means "ask the server".
 */
export function createRedisIntrospectionCache(options: RedisIntrospectionCacheOptions): IntrospectionCacheStore {
  if (typeof options !== 'object' || options === null) throw configError('redis introspection cache options must be an object');
  const client = options.client as unknown as Record<string, unknown> | null;
  if (typeof client !== 'object' || client === null || typeof client.get !== 'function' || typeof client.set !== 'function') {
    throw configError('redis introspection cache needs a node-redis client with get() and set()');
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw configError('prefix must be a string');
  checkNumber('timeout', options.timeout, 1);
  const prefix = options.prefix ?? 'oidc-verifier:introspection:';
  const timeout = options.timeout ?? 250;
  const report = (o: 'hit' | 'miss' | 'error'): void => {
    try {
      options.onLookup?.(o);
    } catch {
      // a listener that throws is ignored
    }
  };
  return {
    get(key: string): Promise<IntrospectionCacheEntry | undefined> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          report('error');
          resolve(undefined);
        }, timeout);
        let pending: Promise<unknown>;
        try {
          pending = Promise.resolve(options.client.get(prefix + key));
        } catch (err) {
          pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
        pending.then(
          (reply) => {
            clearTimeout(timer);
            const text = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString() : reply;
            if (text === null || text === undefined) {
              report('miss');
              return resolve(undefined);
            }
            try {
              if (typeof text !== 'string' || text.length > MAX_VALUE) throw new Error('not a cache entry');
              const e = JSON.parse(text) as Partial<IntrospectionCacheEntry>;
              if (typeof e !== 'object' || e === null || typeof e.body !== 'object' || e.body === null || Array.isArray(e.body)) {
                throw new Error('not a cache entry');
              }
              if (typeof e.url !== 'string' || typeof e.expiresAt !== 'number') throw new Error('not a cache entry');
              report('hit');
              resolve({ body: e.body, url: e.url, expiresAt: e.expiresAt });
            } catch {
              report('error');
              resolve(undefined);
            }
          },
          () => {
            clearTimeout(timer);
            report('error');
            resolve(undefined);
          },
        );
      });
    },
    async set(key: string, entry: IntrospectionCacheEntry): Promise<void> {
      if (!Number.isFinite(entry.expiresAt)) return;
      await options.client.set(prefix + key, JSON.stringify(entry), { PXAT: Math.floor(entry.expiresAt) });
    },
    async claim(key: string, ms: number): Promise<boolean> {
      const reply = await withDeadline(
        options.client.set(`${prefix}claim:${key}`, '1', { NX: true, PX: Math.max(1, Math.ceil(ms)) }),
        timeout,
      );
      return reply === 'OK';
    },
    async release(key: string): Promise<void> {
      if (typeof options.client.del === 'function') await withDeadline(options.client.del(`${prefix}claim:${key}`), timeout);
    },
  };
}

/** `p`, or a rejection after `ms`: a Redis that does not answer must not hold a check. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
