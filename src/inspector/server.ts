import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Jwks } from '../jose/types.js';
import { BadRequest, handleVerify, type ApiOptions } from './api.js';
import { CONTENT_SECURITY_POLICY, renderPage } from './page.js';

/**
 * The web inspector's server: one page and one JSON endpoint, on a loopback address only.
 *
 * The page decodes tokens itself; the token is sent to this server only to be verified, and the
 * server talks to nobody but the issuer's public discovery and JWKS endpoints (and to nobody at all
 * with a pasted JWKS). Requests from other sites are refused: the Host header must name this
 * server (DNS rebinding), a POST must come from this origin with a JSON body (CSRF).
 */

/** Values the page starts with (the demo uses it to show its tokens). */
export interface InspectorFields {
  readonly token?: string;
  readonly issuer?: string;
  readonly audience?: string | readonly string[];
  readonly nonce?: string;
  readonly accessToken?: string;
  /** A JWKS to check against offline (object or JSON text). */
  readonly jwks?: Jwks | string;
  /** "Check at" time: Unix seconds or ISO 8601 text. */
  readonly at?: number | string;
  readonly type?: 'id' | 'access' | 'logout';
  readonly scope?: string;
}

export interface InspectorSample extends InspectorFields {
  /** Shown in the page's sample picker. */
  readonly label: string;
}

export interface InspectorPrefill extends InspectorFields {
  /** Verify once the page has loaded. */
  readonly verify?: boolean;
  /** Tokens offered in a picker; choosing one fills the form. */
  readonly samples?: readonly InspectorSample[];
}

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
      size += chunk.length;
      if (size > max) {
        reject(new TooLarge());
        req.destroy();
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
  let origins: Set<string> = new Set();

  const server = createServer((req, res) => {
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 still sends Host: evil.example.
    const hostHeader = req.headers.host ?? '';
    if (!origins.has(`http://${hostHeader}`)) {
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
      const origin = req.headers.origin;
      if (origin === undefined || !origins.has(origin)) {
        apiError(res, 403, 'cross-origin requests are refused');
        return;
      }
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        apiError(res, 415, 'send application/json');
        return;
      }
      readBody(req, MAX_BODY)
        .then(async (text) => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            apiError(res, 400, 'the body is not JSON');
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
  origins = new Set([`http://${hostPart}:${actual}`, `http://localhost:${actual}`]);
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
