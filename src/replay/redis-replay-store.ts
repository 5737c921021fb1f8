import { utf8Text } from '../jose/bytes.js';
import { sha256Base64urlAsync } from '../jose/digest.js';
import { checkNumber, configError } from '../option-checks.js';
import { storeError, type ReplayStore } from './replay-store.js';

/**
 * The part of a node-redis (v4 and later) client or cluster client the store uses:
 * `set(key, value, { NX: true, PXAT })`, answering `'OK'` or `null`.
 */
export interface NodeRedisLikeClient {
  /** `SET key value NX PXAT ms` in node-redis's option form. */
  set(key: string, value: string, options: { NX: true; PXAT: number }): Promise<unknown>;
}

/**
 * The part of an ioredis client (`Redis` or `Cluster`) the store uses:
 * `set(key, value, 'PXAT', ms, 'NX')`, answering `'OK'` or `null`. ioredis is told apart from
 * node-redis by its `call` method.
 */
export interface IoRedisLikeClient {
  /** `SET key value PXAT ms NX` in ioredis's argument form. */
  set(key: string, value: string, px: 'PXAT', ms: number, nx: 'NX'): Promise<unknown>;
  /** Present on ioredis clients only: how the store tells the two apart. */
  call(...args: never[]): unknown;
}

/** Options of {@link createRedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** A connected node-redis or ioredis client (single node or cluster). Neither is imported here. */
  readonly client: NodeRedisLikeClient | IoRedisLikeClient;
  /** Prepended to every key. Default `"oidc-verifier:replay:"`. */
  readonly prefix?: string;
  /** Deadline of one claim in ms; past it the claim fails with `ERR_REPLAY_STORE`. Default 1000. */
  readonly timeout?: number;
}

/** Longer keys (from callers other than the library) are hashed so key size stays bounded. */
const MAX_KEY_LENGTH = 128;

/**
 * A {@link ReplayStore} in Redis (6.2 or later), shared by every instance that uses the same
 * server and prefix. One round trip per claim: `SET <prefix><key> 1 NX PXAT <expiresAtMs>`, which
 * Redis runs atomically, so of two instances claiming one key at once exactly one gets `true`.
 * Redis drops the key at its expiry.
 *
 * Fails closed: a Redis error, a closed client, or no answer within `timeout` rejects with
 * `ERR_REPLAY_STORE` (never `true`). A claim that timed out may still land later: retrying the
 * same token then reads as a replay, which is the safe side.
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  if (typeof options !== 'object' || options === null) throw configError('redis replay store options must be an object');
  const client = options.client as unknown as Record<string, unknown> | null;
  if (typeof client !== 'object' || client === null || typeof client.set !== 'function') {
    throw configError('redis replay store needs a client with a set() method (node-redis or ioredis)');
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw configError('prefix must be a string');
  checkNumber('timeout', options.timeout, 1);
  const prefix = options.prefix ?? 'oidc-verifier:replay:';
  const timeout = options.timeout ?? 1000;
  const ioredis = typeof client.call === 'function';
  const set = (key: string, ms: number): Promise<unknown> =>
    ioredis
      ? (options.client as IoRedisLikeClient).set(key, '1', 'PXAT', ms, 'NX')
      : (options.client as NodeRedisLikeClient).set(key, '1', { NX: true, PXAT: ms });

  return {
    async claim(key: string, expiresAtMs: number): Promise<boolean> {
      if (typeof key !== 'string' || !Number.isFinite(expiresAtMs)) {
        throw storeError('replay store claim needs a string key and a finite expiry');
      }
      const k = prefix + (key.length > MAX_KEY_LENGTH ? `h:${await sha256Base64urlAsync(key)}` : key);
      return new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => reject(storeError(`replay store (Redis) did not answer within ${timeout} ms`)), timeout);
        let pending: Promise<unknown>;
        try {
          pending = Promise.resolve(set(k, Math.ceil(expiresAtMs)));
        } catch (err) {
          pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
        pending.then(
          (reply) => {
            clearTimeout(timer);
            const text = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? utf8Text(reply) : reply;
            if (text === 'OK') resolve(true);
            else if (text === null) resolve(false);
            else reject(storeError(`replay store (Redis) answered SET NX with ${typeof reply}, expected "OK" or null`));
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(storeError(`replay store (Redis) failed: ${(err as Error)?.message ?? String(err)}`, err));
          },
        );
      });
    },
  };
}
