import type { IncomingMessage } from 'node:http';
import type { ResolvedGatewayConfig, ResolvedRoute } from './config.js';
import { normalizeAddress } from './config.js';

/**
 * What the gateway decides on: the ORIGINAL request behind a gateway's check request, read from
 * the headers nginx (`X-Original-Method`, `X-Original-URI`), Traefik (`X-Forwarded-Method`,
 * `-Uri`, `-Proto`, `-Host`) or Envoy (the check request's own method and path under a prefix)
 * send. Those headers are believed only from a peer in `trustedProxies`.
 */

/** The original request, as far as the gateway believes it. */
export interface OriginalRequest {
  /** How it was read: `envoy` (path prefix), `forwarded` (trusted headers), `direct` (the request itself). */
  readonly via: 'envoy' | 'forwarded' | 'direct';
  /** Whether the TCP peer is a trusted proxy. */
  readonly trusted: boolean;
  readonly method: string;
  /** The request target as received, origin-form (`/path?query`): for the DPoP `htu`. */
  readonly target: string;
  /** The path for route matching: normalised, or undefined when ambiguous (see {@link normalizePath}). */
  readonly path: string | undefined;
  /** Scheme and host for the DPoP `htu` (ignored with `publicOrigin`). */
  readonly proto: string;
  readonly host: string | undefined;
}

/** Longest request target considered, characters. */
export const MAX_TARGET = 8192;

/** Every value of a header, repeated lines included. */
function values(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

/** The one value of a header; undefined when absent, null when repeated (ambiguous). */
function single(req: IncomingMessage, name: string): string | undefined | null {
  const v = values(req, name);
  if (v.length === 0) return undefined;
  return v.length === 1 ? v[0]!.trim() : null;
}

/** The last item of a list header (what the nearest proxy appended). */
function lastItem(req: IncomingMessage, name: string): string | undefined {
  const v = values(req, name);
  if (v.length === 0) return undefined;
  const items = v.join(',').split(',');
  const last = items[items.length - 1]!.trim();
  return last.length > 0 ? last : undefined;
}

/** Whether the TCP peer of `req` is a trusted proxy. */
export function peerTrusted(req: IncomingMessage, cfg: ResolvedGatewayConfig): boolean {
  const a = req.socket.remoteAddress;
  if (a === undefined) return false;
  const addr = normalizeAddress(a);
  return cfg.trustedProxies.check(addr, addr.includes(':') ? 'ipv6' : 'ipv4');
}

/** The origin-form of a target (an absolute-form `http://h/p` becomes `/p`); undefined when unusable. */
function originForm(target: string): string | undefined {
  if (target.startsWith('/')) return target;
  if (/^https?:\/\//i.test(target)) {
    try {
      const u = new URL(target);
      return `${u.pathname}${u.search}`;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const UNRESERVED = /^[A-Za-z0-9\-_~]$/;

/**
 * The path of a target for route matching, as a server behind the gateway would route it:
 * query dropped, percent-encoded unreserved characters decoded, `\` read as `/`, repeated `/`
 * merged, `.` and `..` segments removed (RFC 3986 §5.2.4). Undefined (ambiguous: the gateway
 * refuses the request) when it holds an encoded `/`, `\`, `.` or NUL, a control character, or is
 * longer than {@link MAX_TARGET}: servers disagree on what those mean.
 */
export function normalizePath(target: string): string | undefined {
  if (target.length > MAX_TARGET) return undefined;
  const cut = target.search(/[?#]/);
  let p = cut < 0 ? target : target.slice(0, cut);
  if (!p.startsWith('/')) return undefined;

  if (/[\x00-\x20\x7f]/.test(p) || /%(2e|2f|5c|00)/i.test(p)) return undefined;
  p = p.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : m.toUpperCase();
  });
  p = p.replace(/\\/g, '/').replace(/\/{2,}/g, '/');
  const out: string[] = [];
  const segments = p.split('/').slice(1);
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(s);
  });
  return `/${out.join('/')}`;
}

/**
 * Reads the original request of a check request: Envoy's (under `envoyPrefix`), else, from a
 * trusted peer, nginx's `X-Original-*` then Traefik's `X-Forwarded-*` headers, else the request
 * itself. `null` for an ambiguous one (a repeated original-request header).
 */
export function originalRequest(req: IncomingMessage, cfg: ResolvedGatewayConfig, envoy: boolean): OriginalRequest | null {
  const trusted = peerTrusted(req, cfg);
  const own = req.url ?? '/';
  let method = req.method ?? 'GET';
  let target: string | undefined = own;
  let via: OriginalRequest['via'] = 'direct';
  if (envoy) {
    via = 'envoy';
    const rest = own.slice(cfg.envoyPrefix.length);
    target = rest.startsWith('/') ? rest : `/${rest}`;
  } else if (trusted) {
    // nginx's header first, then Traefik's; a repeated one (null) is ambiguous, not absent.
    const om = single(req, 'x-original-method');
    const ou = single(req, 'x-original-uri');
    const m = om === undefined ? single(req, 'x-forwarded-method') : om;
    const u = ou === undefined ? single(req, 'x-forwarded-uri') : ou;
    if (m === null || u === null) return null;
    if (m !== undefined || u !== undefined) via = 'forwarded';
    if (m !== undefined) method = m;
    if (u !== undefined) target = originForm(u);
  }
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) return null;
  if (target === undefined) return null;
  let proto = 'http';
  let host = single(req, 'host') ?? undefined;
  if (trusted) {
    proto = lastItem(req, 'x-forwarded-proto') ?? proto;
    const fh = lastItem(req, 'x-forwarded-host');
    const oh = single(req, 'x-original-host');
    host = fh ?? (typeof oh === 'string' ? oh : undefined) ?? host;
  }
  return { via, trusted, method, target, path: normalizePath(target), proto, host: host === null ? undefined : host };
}

/** Whether `path` is under the segment-aware prefix `prefix` (`/admin/` also covers `/admin`). */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(`${base}/`);
}

/** The first route matching `method` and `path`, or undefined (the default route applies). */
export function matchRoute(routes: readonly ResolvedRoute[], method: string, path: string): ResolvedRoute | undefined {
  for (const r of routes) {
    if (r.methods !== undefined && !r.methods.has(method)) continue;
    if (r.path !== undefined && !underPrefix(path, r.path)) continue;
    if (r.pattern !== undefined) {
      r.pattern.lastIndex = 0;
      if (!r.pattern.test(path)) continue;
    }
    return r;
  }
  return undefined;
}
