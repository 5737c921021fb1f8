import type { Verifier } from '../http/request-verifier.js';
import type { Introspector } from '../remote/introspection.js';
import type { ConnectedRedis } from '../replay/redis-connect.js';
import type { ReplayStore } from '../replay/replay-store.js';
import type { ResolvedGatewayConfig } from './config.js';
import { Counter, Histogram, LATENCY_BUCKETS, renderSampled, type SampledFamily } from './metrics.js';

/**
 * The gateway's `/metrics` (Prometheus text format): counters and histograms it updates as it
 * answers checks, and families sampled from the verifier, the introspector and the process at
 * scrape time.
 */

/** The metrics the gateway updates as it goes. */
export interface Metrics {
  readonly requests: Counter;
  readonly duration: Histogram;
  readonly replayDuration: Histogram;
  readonly replayErrors: Counter;
  readonly sharedCache: Counter;
  readonly jwksFetchErrors: Counter;
}

/** A fresh set of the gateway's updated metrics. */
export function createMetrics(): Metrics {
  return {
    requests: new Counter('oidc_verifier_requests_total', 'Checks answered, by outcome (allow, deny, error), error code and route.'),
    duration: new Histogram('oidc_verifier_check_duration_seconds', 'Time to answer a check, seconds.', LATENCY_BUCKETS),
    replayDuration: new Histogram('oidc_verifier_replay_store_duration_seconds', 'Replay store claim latency, seconds.', LATENCY_BUCKETS),
    replayErrors: new Counter('oidc_verifier_replay_store_errors_total', 'Replay store claims that failed (the check failed closed).'),
    sharedCache: new Counter(
      'oidc_verifier_introspection_shared_cache_lookups_total',
      'Lookups in the shared (Redis) introspection cache, by result.',
    ),
    jwksFetchErrors: new Counter('oidc_verifier_jwks_fetch_errors_total', 'Failed discovery and JWKS requests, by error code.'),
  };
}

/** Wraps a replay store to time every claim and count failures. */
export function timedStore(store: ReplayStore, m: Metrics): ReplayStore {
  return {
    async claim(key, expiresAtMs) {
      const start = performance.now();
      try {
        return await store.claim(key, expiresAtMs);
      } catch (err) {
        m.replayErrors.inc();
        throw err;
      } finally {
        m.replayDuration.observe((performance.now() - start) / 1000);
      }
    },
  };
}

/** What the sampled families read at scrape time. */
export interface MetricsSources {
  readonly cfg: ResolvedGatewayConfig;
  readonly verifier: Verifier;
  readonly introspector: Introspector | undefined;
  /** The Redis connection, when configured. */
  readonly redis: ConnectedRedis | undefined;
  /** Checks being answered now. */
  readonly inFlight: () => number;
  /** Redis connection errors so far. */
  readonly redisErrors: () => number;
}

function sampled({ cfg, verifier, introspector, redis, inFlight, redisErrors }: MetricsSources): SampledFamily[] {
  const stats = verifier.stats() as Record<string, Record<string, unknown>>;
  const perIssuer = (field: string): { labels: { issuer: string }; value: number }[] =>
    cfg.issuers.flatMap((i) => {
      const v = stats[i.issuer]?.[field];
      return typeof v === 'number' ? [{ labels: { issuer: i.issuer }, value: v }] : [];
    });
  const cache = stats.cache;
  const cacheValue = (field: string): { labels: object; value: number }[] =>
    typeof cache?.[field] === 'number' ? [{ labels: {}, value: cache[field] }] : [];
  const is = introspector?.stats();
  const out: SampledFamily[] = [
    {
      name: 'oidc_verifier_jwks_fetches_total',
      help: 'JWKS requests started, per issuer.',
      type: 'counter',
      samples: () => perIssuer('fetches'),
    },
    {
      name: 'oidc_verifier_discovery_fetches_total',
      help: 'Discovery requests started, per issuer.',
      type: 'counter',
      samples: () => perIssuer('discoveryFetches'),
    },
    {
      name: 'oidc_verifier_jwks_errors_total',
      help: 'Failed JWKS and discovery requests, per issuer.',
      type: 'counter',
      samples: () => perIssuer('errors'),
    },
    {
      name: 'oidc_verifier_jwks_cache_hits_total',
      help: 'Key lookups answered from the cached JWKS, per issuer.',
      type: 'counter',
      samples: () => perIssuer('cacheHits'),
    },
    {
      name: 'oidc_verifier_jwks_keys',
      help: 'Usable keys in the cached JWKS, per issuer.',
      type: 'gauge',
      samples: () => perIssuer('keys'),
    },
    {
      name: 'oidc_verifier_jwks_stale_served_total',
      help: 'Lookups answered with keys past freshness while refreshing failed.',
      type: 'counter',
      samples: () => perIssuer('staleServed'),
    },
    {
      name: 'oidc_verifier_jwks_cooldown_rejections_total',
      help: 'Unknown-kid lookups refused inside the refetch cooldown.',
      type: 'counter',
      samples: () => perIssuer('cooldownRejections'),
    },
    {
      name: 'oidc_verifier_jwks_last_refresh_timestamp_seconds',
      help: 'When the JWKS was last fetched successfully, per issuer.',
      type: 'gauge',
      samples: () =>
        cfg.issuers.flatMap((i) => {
          const v = stats[i.issuer]?.lastRefresh;
          return typeof v === 'number' ? [{ labels: { issuer: i.issuer }, value: v / 1000 }] : [];
        }),
    },
    {
      name: 'oidc_verifier_signature_cache_hits_total',
      help: 'Verified-signature cache hits.',
      type: 'counter',
      samples: () => cacheValue('hits') as never,
    },
    {
      name: 'oidc_verifier_signature_cache_misses_total',
      help: 'Verified-signature cache misses.',
      type: 'counter',
      samples: () => cacheValue('misses') as never,
    },
    {
      name: 'oidc_verifier_signature_cache_evictions_total',
      help: 'Verified-signature cache evictions.',
      type: 'counter',
      samples: () => cacheValue('evictions') as never,
    },
    {
      name: 'oidc_verifier_signature_cache_entries',
      help: 'Entries in the verified-signature cache.',
      type: 'gauge',
      samples: () => cacheValue('entries') as never,
    },
    {
      name: 'oidc_verifier_signature_cache_bytes',
      help: 'Bytes held by the verified-signature cache.',
      type: 'gauge',
      samples: () => cacheValue('bytes') as never,
    },
    {
      name: 'oidc_verifier_in_flight_checks',
      help: 'Checks being answered now.',
      type: 'gauge',
      samples: () => [{ labels: {}, value: inFlight() }],
    },
    {
      name: 'oidc_verifier_heap_used_bytes',
      help: 'V8 heap in use by this process (process.memoryUsage().heapUsed).',
      type: 'gauge',
      samples: () => [{ labels: {}, value: process.memoryUsage().heapUsed }],
    },
  ];
  if (is !== undefined) {
    out.push(
      {
        name: 'oidc_verifier_introspection_requests_total',
        help: 'Introspection requests sent by this process.',
        type: 'counter',
        samples: () => [{ labels: {}, value: is.requests }],
      },
      {
        name: 'oidc_verifier_introspection_cache_hits_total',
        help: 'Introspections answered from a cache (memory or shared).',
        type: 'counter',
        samples: () => [{ labels: {}, value: is.cacheHits }],
      },
      {
        name: 'oidc_verifier_introspection_cache_entries',
        help: 'Entries in the memory introspection cache.',
        type: 'gauge',
        samples: () => [{ labels: {}, value: is.cached }],
      },
    );
  }
  if (redis !== undefined) {
    out.push({
      name: 'oidc_verifier_redis_errors_total',
      help: 'Redis connection errors.',
      type: 'counter',
      samples: () => [{ labels: {}, value: redisErrors() }],
    });
  }
  return out;
}

/** The `/metrics` body. */
export function renderMetrics(metrics: Metrics, sources: MetricsSources): string {
  const { introspector, redis } = sources;
  const parts = [
    metrics.requests.render(),
    metrics.duration.render(),
    metrics.replayDuration.render(),
    metrics.replayErrors.render(),
    metrics.jwksFetchErrors.render(),
    ...(introspector !== undefined && redis !== undefined ? [metrics.sharedCache.render()] : []),
    ...sampled(sources).map(renderSampled),
  ];
  return `${parts.join('\n')}\n`;
}
