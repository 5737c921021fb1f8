import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { VerifyError, describeValue } from '../errors.js';
import { rejectUnknownOptions } from '../option-checks.js';
import { isAlgorithm, type Algorithm } from '../jose/algorithms.js';
import type { DpopMode } from '../http/verify-request.js';

/**
 * The gateway's configuration file (JSON): its shape, defaults and validation. Every mistake is
 * `ERR_CONFIG` naming the JSON path of the bad field (`issuers[0].audience: ...`); unknown keys are
 * refused with the nearest known one. Secrets come from the environment or a file, never the file
 * text itself.
 */

/** A secret named by where it lives: an environment variable, or a file (path relative to the config file). */
export type SecretRef = { readonly env: string } | { readonly file: string };

/** One trusted issuer of the gateway's config. */
export interface GatewayIssuerConfig {
  /** The exact `iss` value. */
  readonly issuer: string;
  /** The resource server's identifier(s) expected in `aud` (RFC 9068 §4). */
  readonly audience: string | readonly string[];
  /** Allowed JWS algorithms. Default: every asymmetric algorithm. */
  readonly algorithms?: readonly string[];
  /** JWKS URL; without it, OpenID Connect Discovery on `issuer`. */
  readonly jwksUri?: string;
}

/** One route rule: which requests it matches and what they need. */
export interface GatewayRouteConfig {
  /** A name for metrics and logs. Default: the route's index. */
  readonly name?: string;
  /** HTTP methods (case-sensitive). Default: every method. */
  readonly methods?: readonly string[];
  /** A segment-aware path prefix. */
  readonly path?: string;
  /** A JavaScript RegExp source tested against the path (no query). */
  readonly pattern?: string;
  /** `true`: public, no token needed. */
  readonly allow?: true;
  /** Every one of these scopes is required. */
  readonly scopes?: readonly string[];
  /** Claims that must have these values (or contain them, for array claims). */
  readonly claims?: Readonly<Record<string, string | number | boolean>>;
}

/** The configuration file as written (JSON). */
export interface GatewayConfig {
  readonly listen?: { readonly host?: string; readonly port?: number };
  readonly trustedProxies?: readonly string[];
  readonly publicOrigin?: string;
  readonly tokenType?: 'access';
  readonly issuers: readonly GatewayIssuerConfig[];
  readonly dpop?: DpopMode;
  readonly clockTolerance?: number;
  readonly timeout?: number;
  readonly realm?: string;
  readonly introspection?: {
    readonly issuer?: string;
    readonly endpoint?: string;
    readonly clientId: string;
    readonly clientSecret: SecretRef;
    readonly clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
    readonly audience?: string | readonly string[];
    readonly cache?: { readonly ttl: number; readonly maxEntries?: number };
    readonly use?: 'opaque' | 'always';
  };
  readonly redis?: { readonly url: string | SecretRef; readonly prefix?: string; readonly timeout?: number };
  readonly routes?: readonly GatewayRouteConfig[];
  readonly defaultRoute?: 'authenticate' | 'deny';
  readonly identityHeaders?: {
    readonly subject?: string | false;
    readonly clientId?: string | false;
    readonly scope?: string | false;
    readonly issuer?: string | false;
    readonly claims?: string | false;
  };
  readonly failClosedStatus?: number;
  readonly drainTimeout?: number;
  readonly envoy?: { readonly pathPrefix?: string };
}

/** A route after validation. */
export interface ResolvedRoute {
  /** Metrics/log label: the route's name or its index. */
  readonly label: string;
  readonly methods?: ReadonlySet<string>;
  readonly path?: string;
  readonly pattern?: RegExp;
  readonly allow: boolean;
  readonly scopes: readonly string[];
  readonly claims?: Readonly<Record<string, string | number | boolean>>;
}

/** The configuration after validation, defaults applied and secrets read. */
export interface ResolvedGatewayConfig {
  readonly listen: { readonly host?: string; readonly port?: number };
  readonly trustedProxies: BlockList;
  readonly publicOrigin?: string;
  readonly issuers: readonly {
    issuer: string;
    audience: string | readonly string[];
    algorithms?: readonly Algorithm[];
    jwksUri?: string;
  }[];
  readonly dpop: DpopMode;
  readonly clockTolerance?: number;
  readonly timeout?: number;
  readonly realm?: string;
  readonly introspection?: {
    readonly issuer?: string;
    readonly endpoint?: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
    readonly audience?: string | readonly string[];
    readonly cache?: { readonly ttl: number; readonly maxEntries?: number };
    readonly use: 'opaque' | 'always';
  };
  readonly redis?: { readonly url: string; readonly prefix: string; readonly timeout: number };
  readonly routes: readonly ResolvedRoute[];
  readonly defaultRoute: 'authenticate' | 'deny';
  readonly identityHeaders: {
    readonly subject?: string;
    readonly clientId?: string;
    readonly scope?: string;
    readonly issuer?: string;
    readonly claims?: string;
  };
  readonly failClosedStatus: number;
  readonly drainTimeout: number;
  readonly envoyPrefix: string;
}

/** Where secrets are read from. */
export interface ConfigSources {
  /** Directory `{ "file": ... }` paths are relative to. Default the working directory. */
  readonly baseDir?: string;
  /** Environment for `{ "env": ... }`. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Defaults of the fields that have one. */
export const GATEWAY_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  trustedProxies: ['127.0.0.1', '::1'],
  dpop: 'allowed',
  defaultRoute: 'authenticate',
  failClosedStatus: 503,
  drainTimeout: 10_000,
  envoyPathPrefix: '/ext_authz',
  redisPrefix: 'oidc-verifier:',
  redisTimeout: 1000,
  identityHeaders: { subject: 'X-Auth-Subject', clientId: 'X-Auth-Client-Id', scope: 'X-Auth-Scope', issuer: 'X-Auth-Issuer' },
} as const;

function bad(path: string, message: string): VerifyError {
  return new VerifyError('ERR_CONFIG', `${path}: ${message}`);
}

type Obj = Record<string, unknown>;

function object(path: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, `must be an object, got ${kind(v)}`);
  return v as Obj;
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : describeValue(v, 40);
}

function known(path: string, o: Obj, names: readonly string[]): void {
  rejectUnknownOptions(path, o, names);
}

function str(path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw bad(path, `must be a non-empty string, got ${kind(v)}`);
  return v;
}

function optStr(path: string, v: unknown): string | undefined {
  return v === undefined ? undefined : str(path, v);
}

function strings(path: string, v: unknown, nonEmpty = true): string[] {
  if (!Array.isArray(v) || (nonEmpty && v.length === 0))
    throw bad(path, `must be ${nonEmpty ? 'a non-empty' : 'an'} array of strings, got ${kind(v)}`);
  return v.map((e, i) => str(`${path}[${i}]`, e));
}

function int(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(path, `must be an integer from ${min} to ${max}, got ${kind(v)}`);
  return v;
}

function oneOf<T extends string>(path: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw bad(path, `must be ${values.map((x) => `"${x}"`).join(' or ')}, got ${kind(v)}`);
  }
  return v as T;
}

/** RFC 9110 §5.6.2 token: header names and methods. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 6749 §3.3 scope-token. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function httpUrl(path: string, v: unknown, originOnly = false): string {
  const s = str(path, v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw bad(path, `must be an absolute http(s) URL, got ${describeValue(s, 60)}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw bad(path, `must be an http(s) URL, got ${describeValue(s, 60)}`);
  if (u.username !== '' || u.password !== '') throw bad(path, 'must not carry credentials');
  if (originOnly && (u.pathname !== '/' || u.search !== '' || u.hash !== '' || /[?#]/.test(s) || !/^https?:\/\/[^/]+\/?$/i.test(s))) {
    throw bad(path, `must be an origin such as "https://api.example.com" (no path, query or fragment), got ${describeValue(s, 60)}`);
  }
  return s;
}

/** Reads a `{ "env" }` or `{ "file" }` secret. */
function secret(path: string, v: unknown, src: ConfigSources, allowLiteral: boolean): string {
  if (typeof v === 'string') {
    if (allowLiteral && v.length > 0) return v;
    throw bad(path, 'must not be written in the config file: use { "env": "NAME" } or { "file": "path" }');
  }
  const o = object(path, v);
  known(path, o, ['env', 'file']);
  if ((o.env === undefined) === (o.file === undefined)) throw bad(path, 'must have exactly one of "env" or "file"');
  if (o.env !== undefined) {
    const name = str(`${path}.env`, o.env);
    const value = (src.env ?? process.env)[name];
    if (value === undefined || value.length === 0)
      throw bad(`${path}.env`, `the environment variable ${describeValue(name, 60)} is not set or empty`);
    return value;
  }
  const file = str(`${path}.file`, o.file);
  const full = isAbsolute(file) ? file : resolvePath(src.baseDir ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw bad(`${path}.file`, `cannot read ${describeValue(file, 80)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // One trailing line break (as editors and `echo` write it) is not part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value.length === 0) throw bad(`${path}.file`, `${describeValue(file, 80)} is empty`);
  return value;
}

/** `::ffff:10.0.0.1` is `10.0.0.1`: an IPv4 peer on a dual-stack socket. */
export function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function trusted(path: string, v: unknown): BlockList {
  const list = new BlockList();
  const entries = v === undefined ? [...GATEWAY_DEFAULTS.trustedProxies] : strings(path, v, false);
  entries.forEach((e, i) => {
    const p = `${path}[${i}]`;
    const slash = e.indexOf('/');
    const addr = normalizeAddress(slash < 0 ? e : e.slice(0, slash));
    const family = isIP(addr);
    if (family === 0) throw bad(p, `must be an IP address or a CIDR such as "10.0.0.0/8", got ${describeValue(e, 60)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) list.addAddress(addr, type);
    else {
      const bits = e.slice(slash + 1);
      if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128))
        throw bad(p, `has a bad prefix length ${describeValue(bits, 10)}`);
      list.addSubnet(addr, Number(bits), type);
    }
  });
  return list;
}

const ROUTE_KEYS = ['name', 'methods', 'path', 'pattern', 'allow', 'scopes', 'claims'] as const;

function route(path: string, v: unknown, index: number): ResolvedRoute {
  const o = object(path, v);
  known(path, o, ROUTE_KEYS);
  const label = o.name === undefined ? String(index) : str(`${path}.name`, o.name);
  if (o.name !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(label)) throw bad(`${path}.name`, 'must be 1-64 of A-Z a-z 0-9 _ . : -');
  let methods: Set<string> | undefined;
  if (o.methods !== undefined) {
    methods = new Set(
      strings(`${path}.methods`, o.methods).map((m, i) => {
        if (!TOKEN.test(m)) throw bad(`${path}.methods[${i}]`, `is not an HTTP method: ${describeValue(m, 30)}`);
        return m;
      }),
    );
  }
  if (o.path !== undefined && o.pattern !== undefined) throw bad(path, 'has both "path" and "pattern": use one');
  let prefix: string | undefined;
  if (o.path !== undefined) {
    prefix = str(`${path}.path`, o.path);
    if (!prefix.startsWith('/') || /[?#%\\]/.test(prefix) || /(^|\/)\.\.?(\/|$)/.test(prefix) || prefix.includes('//')) {
      throw bad(
        `${path}.path`,
        `must be a normalised absolute path such as "/admin/" (no query, "%", "\\", "." or ".." segments), got ${describeValue(prefix, 60)}`,
      );
    }
  }
  let pattern: RegExp | undefined;
  if (o.pattern !== undefined) {
    const src = str(`${path}.pattern`, o.pattern);
    try {
      pattern = new RegExp(src);
    } catch (err) {
      throw bad(`${path}.pattern`, `is not a valid RegExp: ${(err as Error).message}`);
    }
  }
  let allow = false;
  if (o.allow !== undefined) {
    if (o.allow !== true) throw bad(`${path}.allow`, `must be true (omit it for a protected route), got ${kind(o.allow)}`);
    allow = true;
  }
  let scopes: string[] = [];
  if (o.scopes !== undefined) {
    scopes = strings(`${path}.scopes`, o.scopes, false);
    scopes.forEach((s, i) => {
      if (!SCOPE.test(s)) throw bad(`${path}.scopes[${i}]`, `is not a scope-token (RFC 6749 §3.3): ${describeValue(s, 40)}`);
    });
  }
  let claims: Record<string, string | number | boolean> | undefined;
  if (o.claims !== undefined) {
    const c = object(`${path}.claims`, o.claims);
    claims = {};
    for (const [k, val] of Object.entries(c)) {
      if (typeof val !== 'string' && typeof val !== 'boolean' && !(typeof val === 'number' && Number.isFinite(val))) {
        throw bad(`${path}.claims.${k}`, `must be a string, a number or a boolean, got ${kind(val)}`);
      }
      claims[k] = val;
    }
  }
  if (allow && (scopes.length > 0 || claims !== undefined))
    throw bad(path, 'a public route ("allow": true) cannot also require scopes or claims');
  return {
    label,
    ...(methods !== undefined ? { methods } : {}),
    ...(prefix !== undefined ? { path: prefix } : {}),
    ...(pattern !== undefined ? { pattern } : {}),
    allow,
    scopes,
    ...(claims !== undefined ? { claims } : {}),
  };
}

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
