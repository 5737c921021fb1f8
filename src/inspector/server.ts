import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_JSON_DEPTH, deeperThanLimit, nestedTooDeep } from '../report/json-depth.js';
import { parseJsonObject } from '../jose/json.js';
import { BadRequest, handleVerify, type ApiOptions } from './api.js';
import { CONTENT_SECURITY_POLICY, renderPage } from './page.js';
import type { InspectorPrefill } from './types.js';

/**
 * The web inspector's server: one page and one JSON endpoint, on a loopback address only.
 *
 * The page decodes tokens itself; the token is sent to this server only to be verified, and the
 * server talks to nobody but the issuer's public discovery and JWKS endpoints (and to nobody at all
 * with a pasted JWKS). Requests from other sites are refused: the Host header must name this
 * server (DNS rebinding), a POST must come from this origin with a JSON body (CSRF).
 */

export type { InspectorFields, InspectorPrefill, InspectorSample } from './types.js';

export interface InspectorOptions {
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Loopback address to bind. Default and recommended: 127.0.0.1. */
  readonly host?: string;
  readonly prefill?: InspectorPrefill;
  /** Allow plain http issuers beyond loopback when the server fetches keys. Default false. */
  readonly allowHttp?: boolean;
  /** Timeout of the server's requests to issuers, ms. Default: the library's (5000). */
  readonly timeout?: number;
  /** `fetch` for the server's requests to issuers (proxies). */
  readonly fetch?: typeof globalThis.fetch;
}

export interface InspectorHandle {
  /** e.g. http://127.0.0.1:43123/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Largest accepted POST body: a token (64 KiB max) plus a JWKS and the form fields. */
export const MAX_BODY = 256 * 1024;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function apiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { code: 'ERR_REQUEST', message } });
}

class TooLarge extends Error {}

/**
 * The origins the inspector answers to: its own address and `localhost`, with the port. On port 80
 * also without it: browsers omit the default port from `Host` and `Origin` (RFC 9110 §7.2,
 * RFC 6454 §6.2), so `http://127.0.0.1` is the same origin as `http://127.0.0.1:80`.
 */
export function inspectorOrigins(host: string, port: number): ReadonlySet<string> {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const names = [hostPart, 'localhost'];
  const origins = names.map((n) => `http://${n}:${port}`);
  if (port === 80) origins.push(...names.map((n) => `http://${n}`));
  return new Set(origins);
}

/**
 * DNS rebinding: a page on evil.example resolved to 127.0.0.1 still sends `Host: evil.example`.
 * The Host header must name one of {@link inspectorOrigins} (with the port, or without it on 80).
 */
export function hostAllowed(origins: ReadonlySet<string>, host: string | undefined): boolean {
  return host !== undefined && origins.has(`http://${host.toLowerCase()}`);
}

/** CSRF: a POST must carry an `Origin` that is one of {@link inspectorOrigins}. */
export function originAllowed(origins: ReadonlySet<string>, origin: string | undefined): boolean {
  return origin !== undefined && origins.has(origin.toLowerCase());
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new TooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > max) return;
      size += chunk.length;
      if (size > max) {
        // Answer 413 now, then keep reading and dropping the rest (a chunked body declares no
        // length): destroying the socket here would reset the connection before the client could
        // read the answer. Memory stays bounded; the request timeout ends an endless body.
        chunks.length = 0;
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the inspector. Resolves once it listens; `close()` stops it and drops open connections.
 *
 * @example
 * const { url, close } = await startInspector({ port: 0, host: '127.0.0.1', prefill: { token, issuer, audience } });
 */
export async function startInspector(options: InspectorOptions = {}): Promise<InspectorHandle> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the inspector only listens on a loopback address (127.0.0.1, ::1), not ${host}`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be 0-65535, got ${port}`);
  const api: ApiOptions = {
    ...(options.allowHttp ? { allowHttp: true } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  };
  const page = renderPage(options.prefill);
  let origins: ReadonlySet<string> = new Set();

  const server = createServer((req, res) => {
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 still sends Host: evil.example.
    if (!hostAllowed(origins, req.headers.host)) {
      send(res, 421, 'text/plain; charset=utf-8', 'Misdirected request: use the URL printed by oidc-verifier inspect\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'GET, HEAD' });
        return;
      }
      send(res, 200, 'text/html; charset=utf-8', page, { 'content-security-policy': CONTENT_SECURITY_POLICY });
      return;
    }
    if (path === '/api/verify') {
      if (req.method !== 'POST') {
        send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'POST' });
        return;
      }
      if (!originAllowed(origins, req.headers.origin)) {
        apiError(res, 403, 'cross-origin requests are refused');
        return;
      }
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        apiError(res, 415, 'send application/json');
        return;
      }
      readBody(req, MAX_BODY)
        .then(async (text) => {
          // Bounded nesting (and no "__proto__"): a body nested 100k deep parses but would
          // overflow the stack of everything that walks it afterwards.
          const body = parseJsonObject(text);
          if (body === undefined ? nestedTooDeep(text) : deeperThanLimit(body)) {
            apiError(res, 400, `the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
            return;
          }
          if (body === undefined) {
            apiError(res, 400, 'the body is not a JSON object');
            return;
          }
          try {
            sendJson(res, 200, await handleVerify(body, api));
          } catch (err) {
            if (err instanceof BadRequest) apiError(res, 400, err.message);
            else apiError(res, 500, 'internal error');
          }
        })
        .catch((err: unknown) => {
          if (res.headersSent) return;
          if (err instanceof TooLarge) {
            res.setHeader('connection', 'close');
            apiError(res, 413, `the body is larger than ${MAX_BODY} bytes`);
          } else apiError(res, 400, 'could not read the body');
        });
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  origins = inspectorOrigins(host, actual);
  return {
    url: `http://${hostPart}:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
