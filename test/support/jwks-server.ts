// Shared fixtures for the remote-layer tests: a real node:http server on 127.0.0.1 that counts
// requests per path, keys made with jose, and a minimal signature check over a KeySource.
// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JWK } from 'jose';
import { freshKeyPair } from './fresh-key-pair.js';
import { VerifyError } from '../../src/errors.js';
import { ALGORITHMS, type Algorithm } from '../../src/jose/algorithms.js';
import { parseCompactJws } from '../../src/jose/compact.js';
import { verifySignature } from '../../src/jose/signature.js';
import type { KeySource } from '../../src/keys/key-source.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Requests per path (query excluded). */
  count(path: string): number;
  /** All requests so far. */
  total(): number;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const counts = new Map<string, number>();
  let total = 0;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    total++;
    const h = routes.get(path);
    if (h) h(req, res);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    count: (p) => counts.get(p) ?? 0,
    total: () => total,
    route: (p, h) => void routes.set(p, h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with a JSON body (or a string as is) and optional headers. */
export function json(body: unknown, headers: Record<string, string> = {}, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

/** Never answers (until the server closes). */
export const hang: Handler = () => undefined;

export interface TestKey {
  readonly kid: string;
  readonly alg: 'ES256' | 'RS256';
  readonly jwk: JWK;
  sign(payload?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

export async function makeKey(kid: string, alg: 'ES256' | 'RS256' = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } =
    alg === 'ES256' ? freshKeyPair('ec', { namedCurve: 'P-256' }) : freshKeyPair('rsa', { modulusLength: 2048 });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    jwk,
    sign: (payload = { sub: 'alice' }, header = {}) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg, kid, ...header })
        .setIssuedAt()
        .sign(privateKey),
  };
}

export function jwks(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.jwk) };
}

/** A token with any header and a junk signature: enough for key lookup. */
export function fakeToken(header: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc({ sub: 'x' })}.${Buffer.alloc(64, 1).toString('base64url')}`;
}

/** What the verifier will do with a key source: look keys up, check the signature. */
export async function verifyWith(source: KeySource, token: string): Promise<string> {
  const { header, signingInput, signature } = parseCompactJws(token);
  const spec = ALGORITHMS[header.alg as Algorithm];
  const keys = await source.getKeys(header, header.alg as Algorithm);
  for (const k of keys) if (verifySignature(spec, k.keyObject!, signingInput, signature)) return k.kid ?? '';
  throw new VerifyError('ERR_SIGNATURE_INVALID', 'signature invalid');
}

/** A controllable clock. */
export function clock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Asserts a promise (or thunk) rejects with a VerifyError of `code`; returns it. */
export async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string): Promise<VerifyError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (!(err instanceof VerifyError)) throw new Error(`expected VerifyError ${code}, got ${String(err)}`);
    if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

export const MINUTE = 60_000;
