/**
 * Helpers of the end-to-end tests against the embedded oidc-provider: decode real tokens, re-sign
 * mutated claims with the provider's own private key (jose, independent of src/), and a small
 * 127.0.0.1 receiver for back-channel logout tokens.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, importJWK } from 'jose';
import type { PrivateJwk } from '../../src/demo/provider.js';
import { VerifyError, type ErrorCode } from '../../src/index.js';

export type Json = Record<string, unknown>;

export function decode(token: string): { header: Json; payload: Json } {
  const [h = '', p = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Json,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Json,
  };
}

/**
 * Re-signs a real token after `mutate` changed its header and/or payload, with a private key the
 * provider holds: the result carries a valid signature, so only the mutated claim can fail.
 */
export async function resign(token: string, key: PrivateJwk, mutate: (header: Json, payload: Json) => void): Promise<string> {
  const { header, payload } = decode(token);
  mutate(header, payload);
  const alg = typeof header.alg === 'string' ? header.alg : key.alg;
  const cryptoKey = await importJWK(key, alg);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(cryptoKey);
}

/** The token with `alg: none` and an empty signature (RFC 7519 §6 unsecured JWT). */
export function unsecured(token: string): string {
  const { header, payload } = decode(token);
  const h = Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${h}.${p}.`;
}

export interface LogoutReceiver {
  readonly url: string;
  /** Resolves with the next logout token POSTed (or one already received and not taken). */
  next(): Promise<string>;
  close(): Promise<void>;
}

/** A back-channel logout endpoint on 127.0.0.1: takes `logout_token` form posts, answers 200. */
export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const received: string[] = [];
  const waiting: ((token: string) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
      res.statusCode = token === null ? 400 : 200;
      res.setHeader('cache-control', 'no-store');
      res.end();
      if (token === null) return;
      const w = waiting.shift();
      if (w) w(token);
      else received.push(token);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    next() {
      const t = received.shift();
      return t !== undefined ? Promise.resolve(t) : new Promise((resolve) => waiting.push(resolve));
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Asserts that `p` rejects with a {@link VerifyError} of exactly `code`. */
export async function assertCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof VerifyError, `expected a VerifyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}
