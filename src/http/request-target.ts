import { VerifyError, describeValue } from '../errors.js';
import type { RequestView } from './http-request.js';

/**
 * The method and absolute URL a DPoP proof must have been made for (RFC 9449 §4.3 checks 8-9):
 * the client's, which behind a reverse proxy differ from what this server sees. Forwarded headers
 * are believed only when named in `trustForwarded` (any client can send them); by default none.
 */

/** Request headers a reverse proxy sets, which `trustForwarded` may name. */
export type ForwardedHeader = 'forwarded' | 'x-forwarded-proto' | 'x-forwarded-host' | 'x-original-method' | 'x-original-uri';

const FORWARDED_HEADERS: readonly ForwardedHeader[] = [
  'forwarded',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-original-method',
  'x-original-uri',
];

/** What the proof-target resolution reads from the request options. */
export interface TargetOptions {
  /**
   * The public origin of the resource (`https://api.example.com`), used instead of the request's
   * scheme and `Host`. Cannot be combined with trusting `forwarded`, `x-forwarded-proto` or
   * `x-forwarded-host`.
   */
  readonly origin?: string;
  /** Forwarded headers set by a trusted proxy in front of this server. Default: none. */
  readonly trustForwarded?: readonly ForwardedHeader[];
}

/** RFC 9110 §9.1 method: a token. */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 3986 §3.2.2-3.2.3 host and port: a DNS name or IPv4 (no sub-delims), or an IP literal, then an optional port. */
const HOST = /^(?:[A-Za-z0-9\-._~%]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const PROTO = /^https?$/i;

function invalid(message: string): VerifyError {
  return new VerifyError('ERR_INVALID_REQUEST', message);
}

/** Checks `origin` and `trustForwarded`: bad ones are ERR_CONFIG. */
export function checkTargetOptions(o: TargetOptions): void {
  if (o.origin !== undefined) {
    let u: URL | undefined;
    try {
      u = typeof o.origin === 'string' ? new URL(o.origin) : undefined;
    } catch {
      u = undefined;
    }
    const bad =
      u === undefined ||
      (u.protocol !== 'https:' && u.protocol !== 'http:') ||
      u.username !== '' ||
      u.password !== '' ||
      u.pathname !== '/' ||
      u.search !== '' ||
      u.hash !== '';
    if (bad || /[?#]/.test(o.origin)) {
      throw new VerifyError(
        'ERR_CONFIG',
        `origin must be an http(s) origin such as "https://api.example.com" (no path, query or user info), got ${describeValue(o.origin)}`,
      );
    }
  }
  if (o.trustForwarded !== undefined) {
    if (!Array.isArray(o.trustForwarded) || o.trustForwarded.some((h) => !FORWARDED_HEADERS.includes(h as ForwardedHeader))) {
      throw new VerifyError('ERR_CONFIG', `trustForwarded must be an array of ${FORWARDED_HEADERS.map((h) => `"${h}"`).join(', ')}`);
    }
    if (
      o.origin !== undefined &&
      o.trustForwarded.some((h) => h === 'forwarded' || h === 'x-forwarded-proto' || h === 'x-forwarded-host')
    ) {
      throw new VerifyError(
        'ERR_CONFIG',
        'origin fixes the scheme and host: do not also trust forwarded, x-forwarded-proto or x-forwarded-host',
      );
    }
  }
}

/**
 * The last value of a list header (all its lines, comma-separated): the one the nearest proxy
 * added, where a client-sent value would come first. Undefined when the header is absent.
 */
function lastListValue(view: RequestView, name: string): string | undefined {
  const values = view.header(name);
  if (values.length === 0) return undefined;
  const items = values.join(',').split(',');
  const last = items[items.length - 1]!.trim();
  if (last.length === 0) throw invalid(`the ${name} header has an empty last value`);
  return last;
}

/** The only value of a single-valued header. */
function singleValue(view: RequestView, name: string): string | undefined {
  const values = view.header(name);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw invalid(`expected one ${name} header, found ${values.length}`);
  return values[0]!.trim();
}

/** RFC 7239 §4: `proto` and `host` of the last forwarded-element (quoted-string values unquoted). */
function forwardedParams(value: string): { proto?: string; host?: string } {
  const out: { proto?: string; host?: string } = {};
  // Split on commas and semicolons outside quoted strings.
  const elements: string[][] = [[]];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) current += value[++i];
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === ';' || c === ',') {
      elements[elements.length - 1]!.push(current);
      current = '';
      if (c === ',') elements.push([]);
    } else current += c;
  }
  if (quoted) throw invalid('the Forwarded header has an unterminated quoted-string');
  elements[elements.length - 1]!.push(current);
  for (const pair of elements[elements.length - 1]!) {
    const eq = pair.indexOf('=');
    if (eq < 0) {
      if (pair.trim().length === 0) continue;
      throw invalid('the Forwarded header has a parameter without "=" (RFC 7239 §4)');
    }
    const name = pair.slice(0, eq).trim().toLowerCase();
    const v = pair.slice(eq + 1).trim();
    if (name === 'proto') out.proto = v;
    else if (name === 'host') out.host = v;
  }
  return out;
}

/** The request's own scheme and authority: a Fetch request's URL, else the `Host` header and the socket. */
function ownOrigin(view: RequestView): { proto: string; host: string } | undefined {
  if (/^https?:\/\//i.test(view.target)) {
    try {
      const u = new URL(view.target);
      return { proto: u.protocol.slice(0, -1), host: u.host };
    } catch {
      throw invalid('the request URL is not a valid absolute URL');
    }
  }
  const hosts = view.header('host');
  const authority = hosts.length > 0 ? hosts : view.header(':authority');
  if (authority.length === 0) return undefined;
  if (authority.length > 1) throw invalid(`expected one Host header, found ${authority.length}`);
  return { proto: view.tls ? 'https' : 'http', host: authority[0]!.trim() };
}

/** The path and query of the request target (origin-form). */
function ownPath(view: RequestView): string {
  if (/^https?:\/\//i.test(view.target)) {
    const u = new URL(view.target);
    return `${u.pathname}${u.search}`;
  }
  return view.target;
}

/**
 * The method and absolute URL the DPoP proof must name. Rejects with ERR_INVALID_REQUEST (400)
 * when a trusted header or the Host header is unusable, or no URL can be built.
 */
export function requestTarget(view: RequestView, o: TargetOptions): { method: string; url: string } {
  const trusted = new Set(o.trustForwarded ?? []);
  let method = view.method;
  if (trusted.has('x-original-method')) {
    const m = singleValue(view, 'x-original-method');
    if (m !== undefined) {
      if (!METHOD.test(m)) throw invalid(`the X-Original-Method header is not an HTTP method: ${describeValue(m, 20)}`);
      method = m;
    }
  }
  let proto: string | undefined;
  let host: string | undefined;
  if (o.origin !== undefined) {
    const u = new URL(o.origin);
    proto = u.protocol.slice(0, -1);
    host = u.host;
  } else {
    const own = ownOrigin(view);
    proto = own?.proto;
    host = own?.host;
    if (trusted.has('forwarded')) {
      const f = lastListValue(view, 'forwarded') !== undefined ? forwardedParams(view.header('forwarded').join(',')) : {};
      if (f.proto !== undefined) proto = f.proto;
      if (f.host !== undefined) host = f.host;
    }
    if (trusted.has('x-forwarded-proto')) proto = lastListValue(view, 'x-forwarded-proto') ?? proto;
    if (trusted.has('x-forwarded-host')) host = lastListValue(view, 'x-forwarded-host') ?? host;
  }
  if (host === undefined || proto === undefined) throw invalid('the request has no Host header: the DPoP proof URL cannot be checked');
  if (!PROTO.test(proto)) throw invalid(`the forwarded scheme is not http or https: ${describeValue(proto, 20)}`);
  if (!HOST.test(host)) throw invalid(`the request host is not a valid URI authority: ${describeValue(host, 60)}`);
  let path = ownPath(view);
  if (trusted.has('x-original-uri')) {
    const p = singleValue(view, 'x-original-uri');
    if (p !== undefined) path = p;
  }
  if (!path.startsWith('/')) throw invalid(`the request target is not an absolute path: ${describeValue(path, 60)}`);
  const url = `${proto.toLowerCase()}://${host}${path}`;
  try {
    new URL(url);
  } catch {
    throw invalid('the request URL cannot be parsed');
  }
  return { method, url };
}
