import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CODES, VerifyError, type ErrorCode } from '../errors.js';
import type { Verifier } from '../http/request-verifier.js';
import { RequestError } from '../http/request-error.js';
import type { PlainRequest } from '../http/http-request.js';
import type { RequestClaims, VerifyRequestOptions } from '../http/verify-request.js';
import type { ResolvedGatewayConfig, ResolvedRoute } from './config.js';
import type { GatewayLogLine } from './gateway-log.js';
import type { Metrics } from './gateway-metrics.js';
import { identityHeaders } from './identity-headers.js';
import { matchRoute, originalRequest, type OriginalRequest } from './request.js';

/**
 * The check handler behind `/check` and the Envoy prefix: reads the original request (nginx
 * `X-Original-*`, Traefik `X-Forwarded-*`, Envoy path prefix; believed only from trusted peers),
 * matches a route, verifies the credentials and answers allow (200 with identity headers), deny
 * (401/403 with an OAuth error) or error (the fail-closed status).
 */

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

function codeOf(err: unknown): ErrorCode | 'ERR_INTERNAL' {
  return err instanceof VerifyError && CODES.has(err.code) ? err.code : 'ERR_INTERNAL';
}

/** Codes meaning "a service the check needs is unavailable": the fail-closed status. */
const UNAVAILABLE: ReadonlySet<string> = new Set(['ERR_JWKS_FETCH', 'ERR_DISCOVERY', 'ERR_INTROSPECTION', 'ERR_REPLAY_STORE']);

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

/** Writes a response (JSON unless `type` says otherwise). */
export type Send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string, type?: string) => void;

/** What a check needs. */
export interface CheckDeps {
  readonly cfg: ResolvedGatewayConfig;
  readonly verifier: Verifier;
  readonly metrics: Metrics;
  readonly safeLog: (line: GatewayLogLine) => void;
  readonly send: Send;
}

/** The check handler; `envoy` when the request came in under the Envoy path prefix. */
export function createCheckHandler({
  cfg,
  verifier,
  metrics,
  safeLog,
  send,
}: CheckDeps): (req: IncomingMessage, res: ServerResponse, envoy: boolean) => Promise<void> {
  const issuerSet = new Set(cfg.issuers.map((i) => i.issuer));

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
      finish('allow', 'none', 200, identityHeaders(verified, cfg, safeLog), '');
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

  return check;
}
