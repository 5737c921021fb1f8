import { createVerifier, type Verifier } from '../http/request-verifier.js';
import { createIntrospector, type Introspector } from '../remote/introspection.js';
import type { RemoteKeyEvent } from '../remote/events.js';
import { redactUrl } from '../remote/url-policy.js';
import { createMemoryReplayStore } from '../replay/memory-replay-store.js';
import { createRedisReplayStore } from '../replay/redis-replay-store.js';
import { createRedisIntrospectionCache } from '../replay/redis-introspection-cache.js';
import { connectRedis, type ConnectedRedis } from '../replay/redis-connect.js';
import type { ResolvedGatewayConfig } from './config.js';
import type { GatewayLogLine } from './gateway-log.js';
import { timedStore, type Metrics } from './gateway-metrics.js';

/**
 * What the gateway's checks run on: the request verifier with its replay store (Redis when
 * configured, else memory), the introspector with its shared Redis cache, and the Redis connection.
 */

/** The verifier and what it was built on. */
export interface GatewayServices {
  readonly verifier: Verifier;
  readonly introspector: Introspector | undefined;
  readonly redis: ConnectedRedis | undefined;
  /** Redis connection errors so far. */
  readonly redisErrors: () => number;
}

/** Connects Redis (when configured) and builds the verifier; on failure Redis is closed again. */
export async function createServices(
  cfg: ResolvedGatewayConfig,
  metrics: Metrics,
  safeLog: (line: GatewayLogLine) => void,
): Promise<GatewayServices> {
  let redis: ConnectedRedis | undefined;
  let redisErrors = 0;
  if (cfg.redis !== undefined) {
    redis = await connectRedis({
      url: cfg.redis.url,
      connectTimeout: Math.max(cfg.redis.timeout, 1000),
      onError: () => {
        // Once per burst: a down Redis reports on every reconnect attempt.
        if (redisErrors++ % 100 === 0) safeLog({ level: 'warn', msg: 'redis error', errors: redisErrors });
      },
    });
  }
  const store = timedStore(
    redis !== undefined
      ? createRedisReplayStore({ client: redis, prefix: `${cfg.redis!.prefix}replay:`, timeout: cfg.redis!.timeout })
      : createMemoryReplayStore(),
    metrics,
  );

  let introspector: Introspector | undefined;
  const ic = cfg.introspection;
  if (ic !== undefined) {
    const shared =
      redis !== undefined && ic.cache !== undefined
        ? createRedisIntrospectionCache({
            client: redis,
            prefix: `${cfg.redis!.prefix}introspection:`,
            timeout: cfg.redis!.timeout,
            onLookup: (outcome) => metrics.sharedCache.inc({ result: outcome }),
          })
        : undefined;
    introspector = createIntrospector({
      ...(ic.issuer !== undefined ? { issuer: ic.issuer } : {}),
      ...(ic.endpoint !== undefined ? { endpoint: ic.endpoint } : {}),
      clientId: ic.clientId,
      clientSecret: ic.clientSecret,
      ...(ic.clientAuthMethod !== undefined ? { clientAuthMethod: ic.clientAuthMethod } : {}),
      ...(ic.audience !== undefined ? { audience: ic.audience } : {}),
      ...(ic.cache !== undefined ? { cache: { ...ic.cache, ...(shared !== undefined ? { store: shared } : {}) } } : {}),
      ...(cfg.timeout !== undefined ? { timeout: cfg.timeout } : {}),
      ...(cfg.clockTolerance !== undefined ? { clockTolerance: cfg.clockTolerance } : {}),
    });
  }

  const onEvent = (e: RemoteKeyEvent): void => {
    if (e.type === 'fetch-error') {
      metrics.jwksFetchErrors.inc({ code: e.code });
      safeLog({
        level: 'warn',
        msg: 'key fetch failed',
        url: redactUrl(e.url),
        code: e.code,
        servingStale: e.servingStale,
        retryInMs: Math.round(e.retryInMs),
      });
    } else if (e.type === 'rotation')
      safeLog({ level: 'info', msg: 'key rotation', jwksUri: e.jwksUri, added: e.added, removed: e.removed });
  };
  let verifier: Verifier;
  try {
    verifier = createVerifier({
      issuers: cfg.issuers.map((i) => ({
        issuer: i.issuer,
        audience: i.audience,
        ...(i.algorithms !== undefined ? { algorithms: i.algorithms } : {}),
        ...(i.jwksUri !== undefined ? { jwksUri: i.jwksUri } : {}),
      })),
      replayStore: store,
      onEvent,
      ...(introspector !== undefined ? { introspection: introspector } : {}),
      ...(cfg.clockTolerance !== undefined ? { clockTolerance: cfg.clockTolerance } : {}),
      ...(cfg.timeout !== undefined ? { timeout: cfg.timeout } : {}),
    });
  } catch (err) {
    await redis?.close();
    throw err;
  }
  return { verifier, introspector, redis, redisErrors: () => redisErrors };
}
