import { configError } from '../option-checks.js';
import type { NodeRedisLikeClient } from './redis-replay-store.js';

/** A node-redis client as the gateway uses it: replay claims, the shared cache and its claims, PING and shutdown. */
export interface ConnectedRedis extends NodeRedisLikeClient {
  /** `GET key`: the value or null. */
  get(key: string): Promise<unknown>;
  /** `DEL key`: ends an introspection claim. */
  del(key: string): Promise<unknown>;
  /** `PING`: resolves `"PONG"`. */
  ping(): Promise<unknown>;
  /** Closes the connection (pending commands are answered first). */
  close(): Promise<void>;
}

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** A `redis://` or `rediss://` URL (may carry credentials: never logged). */
  readonly url: string;
  /** Connect deadline in ms. Default 2000. */
  readonly connectTimeout?: number;
  /** Told about connection errors (the client reconnects by itself). */
  readonly onError?: (err: Error) => void;
}

interface RedisModule {
  createClient(options: object): {
    on(event: 'error', listener: (err: Error) => void): unknown;
    connect(): Promise<unknown>;
    ping(): Promise<unknown>;
    get(key: string): Promise<unknown>;
    del(key: string): Promise<unknown>;
    set(key: string, value: string, options: object): Promise<unknown>;
    close?(): Promise<unknown>;
    quit?(): Promise<unknown>;
    destroy?(): unknown;
    disconnect?(): Promise<unknown>;
  };
}

/**
 * Loads the optional `redis` package (node-redis) and opens a client that reconnects by itself.
 * Commands sent while the connection is down fail at once (no offline queue), so a Redis outage
 * makes replay checks fail closed instead of piling up. Resolves without waiting for the first
 * connection: readiness is for `PING` to tell. ERR_CONFIG when the package is not installed.
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<ConnectedRedis> {
  let mod: RedisModule;
  try {
    mod = await import('redis');
  } catch {
    throw configError('redis is configured but the optional "redis" package is not installed (npm install redis)');
  }
  const client = mod.createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeout ?? 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
  client.on('error', (err) => options.onError?.(err));
  client.connect().catch((err: unknown) => options.onError?.(err instanceof Error ? err : new Error(String(err))));
  return {
    set: (key: string, value: string, o: object) => client.set(key, value, o),
    get: (key: string) => client.get(key),
    del: (key: string) => client.del(key),
    ping: () => client.ping(),
    async close(): Promise<void> {
      try {
        if (typeof client.close === 'function') await client.close();
        else if (typeof client.quit === 'function') await client.quit();
      } catch {
        client.destroy?.();
      }
    },
  };
}
