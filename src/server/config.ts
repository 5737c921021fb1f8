import { describeValue } from '../errors.js';
import { isAlgorithm, type Algorithm } from '../jose/algorithms.js';
import { GATEWAY_DEFAULTS } from './config-defaults.js';
import { bad, httpUrl, int, kind, known, object, oneOf, optStr, str, strings, TOKEN } from './config-fields.js';
import { route } from './config-routes.js';
import type { ConfigSources, ResolvedGatewayConfig, ResolvedRoute } from './config-schema.js';
import { secret } from './config-secrets.js';
import { trusted } from './trusted-proxies.js';

/**
 * The gateway's configuration file (JSON): its shape, defaults and validation. Every mistake is
 * `ERR_CONFIG` naming the JSON path of the bad field (`issuers[0].audience: ...`); unknown keys are
 * refused with the nearest known one. Secrets come from the environment or a file, never the file
 * text itself.
 */

export type {
  SecretRef,
  GatewayIssuerConfig,
  GatewayRouteConfig,
  GatewayConfig,
  ResolvedRoute,
  ResolvedGatewayConfig,
  ConfigSources,
} from './config-schema.js';
export { GATEWAY_DEFAULTS } from './config-defaults.js';
export { normalizeAddress } from './trusted-proxies.js';

const TOP_KEYS = [
  'listen',
  'trustedProxies',
  'publicOrigin',
  'tokenType',
  'issuers',
  'dpop',
  'clockTolerance',
  'timeout',
  'realm',
  'introspection',
  'redis',
  'routes',
  'defaultRoute',
  'identityHeaders',
  'failClosedStatus',
  'drainTimeout',
  'envoy',
] as const;

/**
 * Validates a parsed configuration file and reads its secrets. Throws `ERR_CONFIG` naming the JSON
 * path of the first bad field.
 */
export function resolveGatewayConfig(raw: unknown, src: ConfigSources = {}): ResolvedGatewayConfig {
  const c = object('config', raw);
  known('config', c, TOP_KEYS);

  let listen: { host?: string; port?: number } = {};
  if (c.listen !== undefined) {
    const l = object('listen', c.listen);
    known('listen', l, ['host', 'port']);
    listen = {
      ...(l.host !== undefined ? { host: str('listen.host', l.host) } : {}),
      ...(l.port !== undefined ? { port: int('listen.port', l.port, 0, 65535) } : {}),
    };
  }
  if (c.tokenType !== undefined) oneOf('tokenType', c.tokenType, ['access']);

  if (c.issuers === undefined) throw bad('issuers', 'is required: at least one trusted issuer');
  if (!Array.isArray(c.issuers) || c.issuers.length === 0) throw bad('issuers', `must be a non-empty array, got ${kind(c.issuers)}`);
  const seen = new Set<string>();
  const issuers = c.issuers.map((v, i) => {
    const p = `issuers[${i}]`;
    const o = object(p, v);
    known(p, o, ['issuer', 'audience', 'algorithms', 'jwksUri']);
    const issuer = str(`${p}.issuer`, o.issuer);
    if (seen.has(issuer)) throw bad(`${p}.issuer`, `${describeValue(issuer, 60)} is listed twice`);
    seen.add(issuer);
    if (typeof o.audience !== 'string' && !Array.isArray(o.audience)) throw bad(`${p}.audience`, 'must be a string or an array of strings');
    const audience = typeof o.audience === 'string' ? str(`${p}.audience`, o.audience) : strings(`${p}.audience`, o.audience);
    let algorithms: Algorithm[] | undefined;
    if (o.algorithms !== undefined) {
      algorithms = strings(`${p}.algorithms`, o.algorithms).map((a, j) => {
        if (!isAlgorithm(a) || a.startsWith('HS'))
          throw bad(`${p}.algorithms[${j}]`, `is not an asymmetric JWS algorithm: ${describeValue(a, 20)}`);
        return a;
      });
    }
    const jwksUri = o.jwksUri !== undefined ? httpUrl(`${p}.jwksUri`, o.jwksUri) : undefined;
    return { issuer, audience, ...(algorithms ? { algorithms } : {}), ...(jwksUri ? { jwksUri } : {}) };
  });

  const dpop = c.dpop === undefined ? GATEWAY_DEFAULTS.dpop : oneOf('dpop', c.dpop, ['allowed', 'required', 'disabled'] as const);
  const clockTolerance = c.clockTolerance === undefined ? undefined : int('clockTolerance', c.clockTolerance, 0, 3600);
  const timeout = c.timeout === undefined ? undefined : int('timeout', c.timeout, 1, 60_000);
  const realm = optStr('realm', c.realm);
  if (realm !== undefined && /["\\\x00-\x1f\x7f]/.test(realm))
    throw bad('realm', 'must not contain quotes, backslashes or control characters');
  const publicOrigin = c.publicOrigin === undefined ? undefined : httpUrl('publicOrigin', c.publicOrigin, true).replace(/\/$/, '');

  let introspection: ResolvedGatewayConfig['introspection'];
  if (c.introspection !== undefined) {
    const p = 'introspection';
    const o = object(p, c.introspection);
    known(p, o, ['issuer', 'endpoint', 'clientId', 'clientSecret', 'clientAuthMethod', 'audience', 'cache', 'use']);
    if (o.issuer === undefined && o.endpoint === undefined) throw bad(p, 'needs "endpoint" or "issuer" (to discover it)');
    let cache: { ttl: number; maxEntries?: number } | undefined;
    if (o.cache !== undefined) {
      const k = object(`${p}.cache`, o.cache);
      known(`${p}.cache`, k, ['ttl', 'maxEntries']);
      cache = {
        ttl: int(`${p}.cache.ttl`, k.ttl, 1, 86_400_000),
        ...(k.maxEntries !== undefined ? { maxEntries: int(`${p}.cache.maxEntries`, k.maxEntries, 1, 10_000_000) } : {}),
      };
    }
    introspection = {
      ...(o.issuer !== undefined ? { issuer: str(`${p}.issuer`, o.issuer) } : {}),
      ...(o.endpoint !== undefined ? { endpoint: httpUrl(`${p}.endpoint`, o.endpoint) } : {}),
      clientId: str(`${p}.clientId`, o.clientId),
      clientSecret: secret(`${p}.clientSecret`, o.clientSecret, src, false),
      ...(o.clientAuthMethod !== undefined
        ? { clientAuthMethod: oneOf(`${p}.clientAuthMethod`, o.clientAuthMethod, ['client_secret_basic', 'client_secret_post'] as const) }
        : {}),
      ...(o.audience !== undefined
        ? { audience: typeof o.audience === 'string' ? str(`${p}.audience`, o.audience) : strings(`${p}.audience`, o.audience) }
        : {}),
      ...(cache !== undefined ? { cache } : {}),
      use: o.use === undefined ? 'opaque' : oneOf(`${p}.use`, o.use, ['opaque', 'always'] as const),
    };
  }

  let redis: ResolvedGatewayConfig['redis'];
  if (c.redis !== undefined) {
    const o = object('redis', c.redis);
    known('redis', o, ['url', 'prefix', 'timeout']);
    if (o.url === undefined) throw bad('redis.url', 'is required');
    const url = secret('redis.url', o.url, src, true);
    if (!/^rediss?:\/\//i.test(url)) throw bad('redis.url', 'must be a redis:// or rediss:// URL');
    if (typeof o.url === 'string' && /^rediss?:\/\/[^/@]*:[^/@]*@/i.test(url)) {
      throw bad('redis.url', 'holds a password: give it as { "env": "NAME" } or { "file": "path" }');
    }
    redis = {
      url,
      prefix: o.prefix === undefined ? GATEWAY_DEFAULTS.redisPrefix : str('redis.prefix', o.prefix),
      timeout: o.timeout === undefined ? GATEWAY_DEFAULTS.redisTimeout : int('redis.timeout', o.timeout, 1, 60_000),
    };
  }

  let routes: ResolvedRoute[] = [];
  if (c.routes !== undefined) {
    if (!Array.isArray(c.routes)) throw bad('routes', `must be an array, got ${kind(c.routes)}`);
    routes = c.routes.map((r, i) => route(`routes[${i}]`, r, i));
    const labels = new Set<string>();
    routes.forEach((r, i) => {
      if (labels.has(r.label)) throw bad(`routes[${i}].name`, `${describeValue(r.label)} is used twice`);
      labels.add(r.label);
    });
  }
  const defaultRoute =
    c.defaultRoute === undefined ? GATEWAY_DEFAULTS.defaultRoute : oneOf('defaultRoute', c.defaultRoute, ['authenticate', 'deny'] as const);

  const identityHeaders: Record<string, string> = {};
  const ih = c.identityHeaders === undefined ? {} : object('identityHeaders', c.identityHeaders);
  known('identityHeaders', ih, ['subject', 'clientId', 'scope', 'issuer', 'claims']);
  for (const name of ['subject', 'clientId', 'scope', 'issuer', 'claims'] as const) {
    const v = ih[name];
    const fallback = name === 'claims' ? undefined : GATEWAY_DEFAULTS.identityHeaders[name];
    if (v === false) continue;
    const header = v === undefined ? fallback : str(`identityHeaders.${name}`, v);
    if (header === undefined) continue;
    if (!TOKEN.test(header)) throw bad(`identityHeaders.${name}`, `is not an HTTP header name: ${describeValue(header, 40)}`);
    identityHeaders[name] = header;
  }
  const lower = Object.values(identityHeaders).map((h) => h.toLowerCase());
  if (new Set(lower).size !== lower.length) throw bad('identityHeaders', 'names one header twice');

  let failClosedStatus: number = GATEWAY_DEFAULTS.failClosedStatus;
  if (c.failClosedStatus !== undefined) {
    const v = c.failClosedStatus;
    failClosedStatus = typeof v === 'number' ? v : NaN;
    if (
      failClosedStatus !== 401 &&
      failClosedStatus !== 403 &&
      !(Number.isInteger(failClosedStatus) && failClosedStatus >= 500 && failClosedStatus <= 599)
    ) {
      throw bad('failClosedStatus', `must be 401, 403 or a 5xx status, got ${kind(v)}`);
    }
  }
  const drainTimeout = c.drainTimeout === undefined ? GATEWAY_DEFAULTS.drainTimeout : int('drainTimeout', c.drainTimeout, 0, 3_600_000);

  let envoyPrefix: string = GATEWAY_DEFAULTS.envoyPathPrefix;
  if (c.envoy !== undefined) {
    const o = object('envoy', c.envoy);
    known('envoy', o, ['pathPrefix']);
    if (o.pathPrefix !== undefined) {
      envoyPrefix = str('envoy.pathPrefix', o.pathPrefix);
      if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*[^/]$/.test(envoyPrefix) || envoyPrefix.includes('//')) {
        throw bad(
          'envoy.pathPrefix',
          `must be an absolute path without a trailing slash such as "/ext_authz", got ${describeValue(envoyPrefix, 40)}`,
        );
      }
      if (['/check', '/healthz', '/readyz', '/metrics'].includes(envoyPrefix)) throw bad('envoy.pathPrefix', `must not be ${envoyPrefix}`);
    }
  }

  return {
    listen,
    trustedProxies: trusted('trustedProxies', c.trustedProxies),
    ...(publicOrigin !== undefined ? { publicOrigin } : {}),
    issuers,
    dpop,
    ...(clockTolerance !== undefined ? { clockTolerance } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(realm !== undefined ? { realm } : {}),
    ...(introspection !== undefined ? { introspection } : {}),
    ...(redis !== undefined ? { redis } : {}),
    routes,
    defaultRoute,
    identityHeaders,
    failClosedStatus,
    drainTimeout,
    envoyPrefix,
  };
}
