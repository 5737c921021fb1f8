import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ERROR_CODES, VerifyError, type ErrorCode } from '../errors.js';
import { createVerifier, type Verifier } from '../http/request-verifier.js';
import { RequestError } from '../http/request-error.js';
import type { PlainRequest } from '../http/http-request.js';
import type { RequestClaims, VerifiedRequest, VerifyRequestOptions } from '../http/verify-request.js';
import { createIntrospector, type Introspector } from '../remote/introspection.js';
import type { RemoteKeyEvent } from '../remote/events.js';
import { redactUrl } from '../remote/url-policy.js';
import { createMemoryReplayStore } from '../replay/memory-replay-store.js';
import { createRedisReplayStore } from '../replay/redis-replay-store.js';
import { createRedisIntrospectionCache } from '../replay/redis-introspection-cache.js';
import { connectRedis, type ConnectedRedis } from '../replay/redis-connect.js';
import type { ReplayStore } from '../replay/replay-store.js';
import { resolveGatewayConfig, GATEWAY_DEFAULTS, type ConfigSources, type ResolvedRoute } from './config.js';
import { Counter, Histogram, LATENCY_BUCKETS, renderSampled, type SampledFamily } from './metrics.js';
import { matchRoute, originalRequest, type OriginalRequest } from './request.js';

/** A JSON log line. */
export type GatewayLogLine = Readonly<Record<string, unknown>>;

/** Options of {@link startGateway}. */
export interface GatewayOptions extends ConfigSources {
  /** Interface to bind. Default: the config's `listen.host`, else `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default: the config's `listen.port`, else 8080. */
  readonly port?: number;
  /** Receives every log line (one JSON object). Default: written to stdout as one line each. */
  readonly log?: (line: GatewayLogLine) => void;
}

/** A running gateway. */
export interface GatewayHandle {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /**
   * Drains and stops: no new connections, in-flight checks finish (at most `drainTimeout`, then
   * their connections are cut), then Redis and the verifier are closed. Resolves `true` when every
   * in-flight check finished in time.
   */
  drain(): Promise<boolean>;
  /** {@link GatewayHandle.drain}, ignoring whether it finished in time. */
  close(): Promise<void>;
}

/** Largest claims header value, bytes: beyond it the header is left out (proxies cap header size). */
export const MAX_CLAIMS_HEADER = 8192;

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

function codeOf(err: unknown): ErrorCode | 'ERR_INTERNAL' {
  return err instanceof VerifyError && CODES.has(err.code) ? err.code : 'ERR_INTERNAL';
}

/** Codes meaning "a service the check needs is unavailable": the fail-closed status. */
const UNAVAILABLE: ReadonlySet<string> = new Set(['ERR_JWKS_FETCH', 'ERR_DISCOVERY', 'ERR_INTROSPECTION', 'ERR_REPLAY_STORE']);

/**
 * An identity header value: printable ASCII except `%` as is, every other character (and `%`)
 * percent-encoded as UTF-8, so `decodeURIComponent` gives the claim back and no value can break
 * the header.
 */
function escapePercent(v: string): string {
  let out = '';
  for (const ch of v) {
    const code = ch.codePointAt(0)!;
    out +=
      code >= 0x20 && code <= 0x7e && ch !== '%'
        ? ch
        : encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return out;
}

function claimMatches(payload: Readonly<Record<string, unknown>>, name: string, want: string | number | boolean): boolean {
  if (!Object.prototype.hasOwnProperty.call(payload, name)) return false;
  const v = payload[name];
  if (Array.isArray(v)) return v.some((e) => e === want);
  return v === want;
}

function claimsCheck(route: ResolvedRoute): ((p: RequestClaims) => boolean | string) | undefined {
  const want = route.claims;
  if (want === undefined) return undefined;
  return (p) => {
    for (const [name, value] of Object.entries(want)) {
      if (!claimMatches(p, name, value)) return `claim "${name}" does not have the required value`;
    }
    return true;
  };
}

/** Whether the request carries credentials at all (an Authorization or DPoP header). */
function hasCredentials(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined || req.headers.dpop !== undefined;
}

function headerList(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

/** The configured issuer a token claims to be from (unverified; only for logs), else null. */
function claimedIssuer(token: string | undefined, issuers: ReadonlySet<string>): string | null {
  if (token === undefined) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1]!.length > 65536) return null;
  try {
    const iss = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown }).iss;
    return typeof iss === 'string' && issuers.has(iss) ? iss : null;
  } catch {
    return null;
  }
}

function credentialOf(req: IncomingMessage): string | undefined {
  const a = headerList(req, 'authorization')[0];
  if (a === undefined) return undefined;
  const m = /^\s*(?:bearer|dpop)\s+(\S+)\s*$/i.exec(a);
  return m?.[1];
}

/** The path for logs: no query (it may hold a token), at most 200 characters. */
function logPath(o: OriginalRequest | null, req: IncomingMessage): string {
  const t = o?.target ?? req.url ?? '/';
  const cut = t.search(/[?#]/);
  const p = cut < 0 ? t : t.slice(0, cut);
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}

function defaultLog(line: GatewayLogLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

interface Metrics {
  readonly requests: Counter;
  readonly duration: Histogram;
  readonly replayDuration: Histogram;
  readonly replayErrors: Counter;
  readonly sharedCache: Counter;
  readonly jwksFetchErrors: Counter;
}

/** Wraps a replay store to time every claim and count failures. */
function timedStore(store: ReplayStore, m: Metrics): ReplayStore {
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

/**
 * Starts the gateway service: `/check` (and `<envoy.pathPrefix>/...`) for nginx `auth_request`,
 * Traefik `forwardAuth` and Envoy `ext_authz`; `/healthz`, `/readyz`, `/metrics`. `config` is the
 * parsed configuration file (validated here: ERR_CONFIG names the bad field). Logs the line
 * `{"level":"info","msg":"listening","url":...}` once listening.
 */
export async function startGateway(config: unknown, options: GatewayOptions = {}): Promise<GatewayHandle> {
  const cfg = resolveGatewayConfig(config, options);
  const log = options.log ?? defaultLog;
  const safeLog = (line: GatewayLogLine): void => {
    try {
      log(line);
    } catch {
      // a failing log sink never fails a check
    }
  };
  const metrics: Metrics = {
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
  const issuerSet = new Set(cfg.issuers.map((i) => i.issuer));

  // Keys are loaded at start; /readyz reports when they are in.
  let lastWarm = 0;
  const warm = (): void => {
    lastWarm = Date.now();
    verifier.warmUp().catch(() => undefined);
  };

  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string, type = 'application/json'): void {
    if (draining) headers.Connection = 'close';
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
    res.end(body);
  }

  function identity(v: VerifiedRequest): Record<string, string> {
    const h = cfg.identityHeaders;
    const p = v.payload as Readonly<Record<string, unknown>>;
    const out: Record<string, string> = {};
    const sub = p.sub;
    if (h.subject !== undefined && typeof sub === 'string') out[h.subject] = escapePercent(sub);
    const cid = typeof p.client_id === 'string' ? p.client_id : typeof p.azp === 'string' ? p.azp : undefined;
    if (h.clientId !== undefined && cid !== undefined) out[h.clientId] = escapePercent(cid);
    if (h.scope !== undefined) out[h.scope] = escapePercent(v.scopes.join(' '));
    const iss = v.via === 'jwt' ? v.issuer : typeof p.iss === 'string' ? p.iss : cfg.introspection?.issuer;
    if (h.issuer !== undefined && iss !== undefined) out[h.issuer] = escapePercent(iss);
    if (h.claims !== undefined) {
      const json = Buffer.from(JSON.stringify(p), 'utf8').toString('base64url');
      if (json.length <= MAX_CLAIMS_HEADER) out[h.claims] = json;
      else safeLog({ level: 'warn', msg: 'claims header too large, left out', bytes: json.length });
    }
    return out;
  }

  async function check(req: IncomingMessage, res: ServerResponse, envoy: boolean): Promise<void> {
    const start = performance.now();
    const o = originalRequest(req, cfg, envoy);
    let routeLabel = 'none';
    const finish = (
      outcome: 'allow' | 'deny' | 'error',
      code: string,
      status: number,
      headers: Record<string, string>,
      body: string,
    ): void => {
      metrics.requests.inc({ outcome, code, route: routeLabel });
      metrics.duration.observe((performance.now() - start) / 1000);
      if (outcome !== 'allow') {
        safeLog({
          level: outcome === 'error' ? 'warn' : 'info',
          msg: 'denied',
          status,
          code,
          issuer: claimedIssuer(credentialOf(req), issuerSet),
          route: routeLabel,
          method: o?.method ?? req.method ?? null,
          path: logPath(o, req),
        });
      }
      send(res, status, headers, body);
    };
    const deny = (status: number, code: string, error: string, description: string, headers: Record<string, string> = {}): void =>
      finish('deny', code, status, headers, JSON.stringify({ error, error_description: description }));

    if (o === null || o.path === undefined) {
      deny(403, 'ERR_INVALID_REQUEST', 'invalid_request', 'The original request cannot be read unambiguously');
      return;
    }
    const route = matchRoute(cfg.routes, o.method, o.path);
    routeLabel = route?.label ?? 'default';
    if (route === undefined && cfg.defaultRoute === 'deny') {
      deny(403, 'ERR_FORBIDDEN', 'access_denied', 'No route allows this request');
      return;
    }
    if (route?.allow === true && !hasCredentials(req)) {
      finish('allow', 'none', 200, {}, '');
      return;
    }
    const plain: PlainRequest = {
      method: o.method,
      url: o.target,
      headers: {
        authorization: headerList(req, 'authorization'),
        dpop: headerList(req, 'dpop'),
        ...(o.host !== undefined ? { host: o.host } : {}),
        'x-forwarded-proto': o.proto,
      },
    };
    const claims = route !== undefined ? claimsCheck(route) : undefined;
    const opts: VerifyRequestOptions = {
      dpop: cfg.dpop,
      introspect: cfg.introspection !== undefined ? cfg.introspection.use : 'never',
      ...(cfg.publicOrigin !== undefined ? { origin: cfg.publicOrigin } : { trustForwarded: ['x-forwarded-proto'] }),
      ...(cfg.realm !== undefined ? { realm: cfg.realm } : {}),
      ...(route !== undefined && route.scopes.length > 0 ? { requiredScopes: route.scopes } : {}),
      ...(claims !== undefined ? { claims } : {}),
    };
    try {
      const verified = await verifier.verifyRequest(plain, opts);
      finish('allow', 'none', 200, identity(verified), '');
    } catch (err) {
      const code = codeOf(err);
      if (route?.allow === true) {
        // A public route answers 200 whatever the token; only a valid one gets identity headers.
        finish('allow', code, 200, {}, '');
        return;
      }
      const e = err instanceof RequestError ? err : undefined;
      if (e === undefined || e.status >= 500 || UNAVAILABLE.has(code)) {
        const status = cfg.failClosedStatus;
        const headers: Record<string, string> =
          status === 401 ? { 'WWW-Authenticate': cfg.realm ? `Bearer realm="${cfg.realm}"` : 'Bearer' } : {};
        if (code === 'ERR_INTERNAL' || code === 'ERR_CONFIG') {
          safeLog({ level: 'error', msg: 'check failed', code, error: err instanceof Error ? err.name : typeof err });
        }
        finish(
          'error',
          code,
          status,
          headers,
          JSON.stringify({ error: 'temporarily_unavailable', error_description: 'The token cannot be checked now' }),
        );
        return;
      }
      // Behind nginx anything but 2xx, 401 and 403 becomes a 500: a malformed credential is a 401.
      const status = e.status === 403 ? 403 : 401;
      deny(status, code, e.error ?? 'invalid_token', e.description, { ...e.headers });
    }
  }

  function ready(): { ok: boolean; reasons: string[] } | Promise<{ ok: boolean; reasons: string[] }> {
    const reasons: string[] = [];
    const stats = verifier.stats() as Record<string, { keys?: unknown }>;
    for (const i of cfg.issuers) {
      const keys = stats[i.issuer]?.keys;
      if (typeof keys !== 'number' || keys === 0) reasons.push(`no keys loaded for issuer ${i.issuer}`);
    }
    if (reasons.length > 0 && Date.now() - lastWarm > 1000) warm();
    if (redis === undefined) return { ok: reasons.length === 0, reasons };
    const r = redis;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => resolve({ ok: false, reasons: [...reasons, 'redis did not answer PING in time'] }),
        cfg.redis!.timeout,
      );
      Promise.resolve()
        .then(() => r.ping())
        .then(
          (pong) => {
            clearTimeout(timer);
            const ok = pong === 'PONG';
            resolve({ ok: ok && reasons.length === 0, reasons: ok ? reasons : [...reasons, 'redis did not answer PONG'] });
          },
          () => {
            clearTimeout(timer);
            resolve({ ok: false, reasons: [...reasons, 'redis is unreachable'] });
          },
        );
    });
  }

  function sampled(): SampledFamily[] {
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
        samples: () => [{ labels: {}, value: inFlight }],
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
        samples: () => [{ labels: {}, value: redisErrors }],
      });
    }
    return out;
  }

  function renderMetrics(): string {
    const parts = [
      metrics.requests.render(),
      metrics.duration.render(),
      metrics.replayDuration.render(),
      metrics.replayErrors.render(),
      metrics.jwksFetchErrors.render(),
      ...(introspector !== undefined && redis !== undefined ? [metrics.sharedCache.render()] : []),
      ...sampled().map(renderSampled),
    ];
    return `${parts.join('\n')}\n`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const cut = url.indexOf('?');
    const path = cut < 0 ? url : url.slice(0, cut);
    if (path === cfg.envoyPrefix || path.startsWith(`${cfg.envoyPrefix}/`)) return check(req, res, true);
    if (path === '/check') return check(req, res, false);
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/healthz' && read) return send(res, 200, {}, '{"status":"ok"}');
    if (path === '/readyz' && read) {
      const r = await ready();
      return send(res, r.ok ? 200 : 503, {}, JSON.stringify(r.ok ? { status: 'ready' } : { status: 'not ready', reasons: r.reasons }));
    }
    if (path === '/metrics' && read) return send(res, 200, {}, renderMetrics(), 'text/plain; version=0.0.4; charset=utf-8');
    send(res, 404, {}, '{"error":"not_found"}');
  }

  const sockets = new Set<Socket>();
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    inFlight++;
    // Only headers matter: a body is drained and dropped.
    req.resume();
    handle(req, res)
      .catch((err: unknown) => {
        safeLog({ level: 'error', msg: 'internal error', error: err instanceof Error ? err.name : typeof err });
        if (!res.headersSent) send(res, cfg.failClosedStatus, {}, '{"error":"temporarily_unavailable"}');
        else res.destroy();
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0) idle?.();
      });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  const host = options.host ?? cfg.listen.host ?? GATEWAY_DEFAULTS.host;
  const port = options.port ?? cfg.listen.port ?? GATEWAY_DEFAULTS.port;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    verifier.close();
    await redis?.close();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  safeLog({ level: 'info', msg: 'listening', url });
  warm();

  let drained: Promise<boolean> | undefined;
  function drain(): Promise<boolean> {
    drained ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const finished =
        inFlight === 0
          ? true
          : await new Promise<boolean>((resolve) => {
              idle = () => resolve(true);
              timer = setTimeout(() => resolve(false), cfg.drainTimeout);
            });
      clearTimeout(timer);
      if (finished) {
        // Answered connections close after their last response (Connection: close) or are idle now;
        // give them a moment to flush before anything left is cut.
        server.closeIdleConnections();
        await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      for (const s of sockets) s.destroy();
      await closed;
      verifier.close();
      if (redis !== undefined) {
        await Promise.race([redis.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      safeLog({ level: 'info', msg: 'stopped', drained: finished });
      return finished;
    })();
    return drained;
  }

  return {
    url,
    port: bound,
    drain,
    close: async () => {
      await drain();
    },
  };
}
