/**
 * Shared fixtures of the request-verification tests: a real JWKS server on 127.0.0.1 that can be
 * taken down, RFC 9068 access tokens signed with jose, a raw node:http client (it can repeat a
 * header, which fetch cannot), and the standard suite every adapter runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifier, type Verifier, type VerifierOptions, type VerifyRequestOptions } from '../../src/index.js';
import { json, makeKey, startServer, type TestKey, type TestServer } from '../support/jwks-server.js';
import { signAccessToken } from '../support/access-token.js';
import { rawRequest, type RawAnswer } from '../support/raw-request.js';

export const ISSUER = 'https://as.test.example';
export const RESOURCE = 'https://api.test.example';
export const REALM = 'api';
/** The proof algorithms of the fixture's verifiers: the `algs` of their DPoP challenges. */
export const DPOP_ALGS = ['ES256', 'EdDSA'] as const;
/** The bare DPoP challenge every 401/400/403 of a route accepting both schemes ends with (RFC 9449 §7.2). */
export const DPOP_CHALLENGE = `DPoP realm="${REALM}", algs="${DPOP_ALGS.join(' ')}"`;

export interface Fixture {
  readonly jwksUrl: string;
  readonly key: TestKey;
  /** An RFC 9068 access token; `claims` override or (undefined) remove payload members. */
  accessToken(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** A valid-looking access token signed by a key the JWKS does not hold (same kid). */
  badSignatureToken(): Promise<string>;
  /** A verifier on this fixture's JWKS (no key fetched yet). */
  verifier(extra?: Partial<VerifierOptions>): Verifier;
  /** true: the JWKS endpoint drops every connection. */
  setDown(down: boolean): void;
  /** JWKS requests served so far. */
  jwksRequests(): number;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const server: TestServer = await startServer();
  const key = await makeKey('k1', 'ES256');
  const other = await makeKey('k1', 'ES256'); // same kid, different key: a bad signature
  let down = false;
  const serve = json({ keys: [key.jwk] }, { 'cache-control': 'max-age=600' });
  server.route('/jwks', (req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    serve(req, res);
  });
  const verifiers: Verifier[] = [];
  const accessToken = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer = key): Promise<string> =>
    signAccessToken(signer, ISSUER, RESOURCE, claims, header);
  return {
    jwksUrl: `${server.origin}/jwks`,
    key,
    accessToken: (claims, header) => accessToken(claims, header),
    badSignatureToken: () => accessToken({}, {}, other),
    verifier(extra = {}) {
      const v = createVerifier({
        issuer: ISSUER,
        audience: RESOURCE,
        jwksUri: `${server.origin}/jwks`,
        allowHttp: true,
        timeout: 2000,
        dpop: { algorithms: [...DPOP_ALGS] },
        ...extra,
      });
      verifiers.push(v);
      return v;
    },
    setDown: (d) => void (down = d),
    jwksRequests: () => server.count('/jwks'),
    async close() {
      for (const v of verifiers) v.close();
      await server.close();
    },
  };
}

export interface Answer extends RawAnswer {
  json(): Record<string, unknown>;
}

/** One request over node:http; header values given as arrays are sent as repeated header lines. */
export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<Answer> {
  const a = await rawRequest(url, init);
  return { ...a, json: () => JSON.parse(a.body) as Record<string, unknown> };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A started app under test: one verifier shared by its routes. */
export interface App {
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Starts the app under test with `verifier`. It must serve `GET /items` (and `POST /items`)
 * protected with `options`, answering 200 `{ "sub": <auth.payload.sub> }` from the handler, and
 * `GET /open` without authentication.
 */
export type StartApp = (verifier: Verifier, options: VerifyRequestOptions) => Promise<App>;

export const ROUTE_OPTIONS: VerifyRequestOptions = { realm: REALM, requiredScopes: ['read'], allowQueryToken: true };

function challenge(a: Answer): string {
  const v = a.headers['www-authenticate'];
  assert.equal(typeof v, 'string', `expected one WWW-Authenticate header, got ${String(v)}`);
  return v as string;
}

/** The behaviour every adapter (and bare node:http) must show, over real HTTP on 127.0.0.1. */
export function standardSuite(name: string, startApp: StartApp): void {
  test(`${name}: RFC 6750 answers over real HTTP`, async (t) => {
    const f = await startFixture();
    const app = await startApp(f.verifier(), ROUTE_OPTIONS);
    t.after(async () => {
      await app.close();
      await f.close();
    });
    const url = `${app.origin}/items`;

    await t.test('a valid token: 200 and the handler sees sub', async () => {
      const a = await send(url, { headers: bearer(await f.accessToken()) });
      assert.equal(a.status, 200, a.body);
      assert.equal(a.json().sub, 'alice');
    });

    await t.test('the Bearer scheme is case-insensitive', async () => {
      const a = await send(url, { headers: { authorization: `bEaReR ${await f.accessToken()}` } });
      assert.equal(a.status, 200, a.body);
    });

    await t.test('no token: 401 with a realm and no error code, for both schemes (RFC 9449 §7.2)', async () => {
      const a = await send(url);
      assert.equal(a.status, 401);
      assert.equal(challenge(a), `Bearer realm="${REALM}", ${DPOP_CHALLENGE}`);
    });

    await t.test('another scheme counts as no credentials', async () => {
      const a = await send(url, { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } });
      assert.equal(a.status, 401);
      assert.equal(challenge(a), `Bearer realm="${REALM}", ${DPOP_CHALLENGE}`);
    });

    for (const [label, value] of [
      ['two credentials in the header', 'Bearer abc def'],
      ['an empty credential', 'Bearer '],
      ['a credential outside b64token', 'Bearer a"b'],
    ] as const) {
      await t.test(`malformed header (${label}): 400 invalid_request`, async () => {
        const a = await send(url, { headers: { authorization: value } });
        assert.equal(a.status, 400, a.body);
        assert.match(
          challenge(a),
          /^Bearer realm="api", error="invalid_request", error_description="[^"]+", DPoP realm="api", algs="ES256 EdDSA"$/,
        );
      });
    }

    await t.test('two Authorization headers: 400 invalid_request', async () => {
      const token = await f.accessToken();
      const a = await send(url, { headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } });
      assert.equal(a.status, 400, a.body);
      assert.match(challenge(a), /error="invalid_request"/);
    });

    await t.test('header and query credentials together: 400 invalid_request', async () => {
      const token = await f.accessToken();
      const a = await send(`${url}?access_token=${token}`, { headers: bearer(token) });
      assert.equal(a.status, 400, a.body);
      assert.match(challenge(a), /error="invalid_request"/);
    });

    await t.test('a query credential, when enabled: 200', async () => {
      const a = await send(`${url}?access_token=${await f.accessToken()}`);
      assert.equal(a.status, 200, a.body);
    });

    const now = Math.floor(Date.now() / 1000);
    const invalidTokens: [string, () => Promise<string>][] = [
      ['expired', () => f.accessToken({ exp: now - 60, iat: now - 600 })],
      ['wrong audience', () => f.accessToken({ aud: 'https://other.example' })],
      ['bad signature', () => f.badSignatureToken()],
      ['an ID token presented as an access token', () => f.accessToken({ aud: RESOURCE, nonce: 'n' }, { typ: 'JWT' })],
      ['not a JWT', () => Promise.resolve('opaque-token-value')],
    ];
    for (const [label, make] of invalidTokens) {
      await t.test(`${label}: 401 invalid_token, the description does not echo the token`, async () => {
        const token = await make();
        const a = await send(url, { headers: bearer(token) });
        assert.equal(a.status, 401, a.body);
        const c = challenge(a);
        assert.match(c, /^Bearer realm="api", error="invalid_token", error_description="[^"\\]+", DPoP realm="api", algs="ES256 EdDSA"$/);
        for (const part of token.split('.'))
          if (part.length > 8) {
            assert.ok(!c.includes(part), 'challenge echoes the token');
            assert.ok(!a.body.includes(part), 'body echoes the token');
          }
      });
    }

    await t.test('missing scope: 403 insufficient_scope naming the required scope', async () => {
      const a = await send(url, { headers: bearer(await f.accessToken({ scope: 'write' })) });
      assert.equal(a.status, 403, a.body);
      assert.equal(
        challenge(a),
        `Bearer realm="api", error="insufficient_scope", error_description="The access token lacks a required scope", scope="read", ${DPOP_CHALLENGE}`,
      );
    });

    await t.test('JWKS outage with a warm cache: still 200', async () => {
      f.setDown(true);
      try {
        const a = await send(url, { headers: bearer(await f.accessToken()) });
        assert.equal(a.status, 200, a.body);
      } finally {
        f.setDown(false);
      }
    });

    await t.test('the open route needs nothing', async () => {
      const a = await send(`${app.origin}/open`);
      assert.equal(a.status, 200, a.body);
    });
  });

  test(`${name}: JWKS outage with a cold cache is 503, never 500`, async (t) => {
    const f = await startFixture();
    f.setDown(true);
    const app = await startApp(f.verifier(), ROUTE_OPTIONS);
    t.after(async () => {
      await app.close();
      await f.close();
    });
    const a = await send(`${app.origin}/items`, { headers: bearer(await f.accessToken()) });
    assert.equal(a.status, 503, a.body);
    assert.ok(f.jwksRequests() >= 1, 'the JWKS endpoint was asked');
  });
}
