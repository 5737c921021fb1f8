/**
 * One shape for the remote key options: one normalising function behind the verifier, the remote
 * key source, the shared-cache key and the discovery memo (so their limits agree), and one backoff.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier } from '../../src/http/request-verifier.js';
import { createRemoteKeySource } from '../../src/remote/remote-key-source.js';
import { backoffDelay } from '../../src/remote/backoff.js';
import { normalizeJwksOptions, REMOTE_DEFAULTS } from '../../src/remote/jwks-options.js';
import { HTTP_DEFAULTS } from '../../src/remote/http.js';
import { clock, json, jwks, makeKey, rejectsWith, startServer, type TestServer } from '../support/jwks-server.js';

const ISSUER = 'https://idp.example';
const JWKS = { keys: [] };

describe('the limits agree between the verifier and the remote key source', () => {
  const bad: Record<string, unknown>[] = [
    { timeout: 0 },
    { timeout: -1 },
    { timeout: 2 ** 31 },
    { timeout: Number.NaN },
    { maxResponseSize: 0 },
    { maxResponseSize: 1.5 },
    { maxKeys: 0 },
    { maxRedirects: -1 },
    { cooldown: -1 },
    { maxStale: -1 },
    { allowHttp: 'yes' },
    { fetch: 'fetch' },
    { monotonicClock: 1 },
    { onEvent: {} },
    { jwksStore: {} },
  ];
  for (const extra of bad) {
    test(`${JSON.stringify(extra, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}: ERR_CONFIG from both`, async () => {
      await rejectsWith(() => createRemoteKeySource({ jwksUri: `${ISSUER}/jwks`, ...extra }), 'ERR_CONFIG');
      // Also for a verifier that has static keys only: a bad remote option is a bad configuration.
      await rejectsWith(() => createVerifier({ issuer: ISSUER, audience: 'a', jwks: JWKS, ...extra }), 'ERR_CONFIG');
    });
  }

  test('maxRedirects is a remote key option of both', () => {
    createRemoteKeySource({ jwksUri: `${ISSUER}/jwks`, maxRedirects: 0 }).close();
    createVerifier({ issuer: ISSUER, audience: 'a', jwksUri: `${ISSUER}/jwks`, maxRedirects: 5 }).close();
  });

  test('normalizeJwksOptions applies every default once', () => {
    const s = normalizeJwksOptions({});
    assert.equal(s.timeout, HTTP_DEFAULTS.timeout);
    assert.equal(s.maxResponseSize, HTTP_DEFAULTS.maxResponseSize);
    assert.equal(s.maxRedirects, HTTP_DEFAULTS.maxRedirects);
    assert.equal(s.allowHttp, false);
    assert.equal(s.cooldown, REMOTE_DEFAULTS.cooldown);
    assert.equal(s.maxStale, REMOTE_DEFAULTS.maxStale);
    assert.equal(s.maxKeys, REMOTE_DEFAULTS.maxKeys);
    assert.equal(typeof s.monotonicClock, 'function');
    assert.deepEqual(normalizeJwksOptions(s), s);
  });
});

describe('the verifier passes maxRedirects to its remote key source', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer();
  });
  after(() => srv.close());

  test('maxRedirects: 0 refuses a redirected JWKS, the default follows it', async () => {
    const key = await makeKey('k1');
    srv.route('/moved', (_q, r) => void r.writeHead(302, { location: '/jwks' }).end());
    srv.route('/jwks', json(jwks(key)));
    const base = { issuer: srv.origin, audience: 'a', jwksUri: `${srv.origin}/moved`, monotonicClock: clock().now };
    const strict = createVerifier({ ...base, maxRedirects: 0 });
    try {
      const e = await rejectsWith(strict.warmUp(), 'ERR_JWKS_FETCH');
      assert.match(e.message, /more than 0 redirects/);
    } finally {
      strict.close();
    }
    const lenient = createVerifier(base);
    try {
      await lenient.warmUp();
    } finally {
      lenient.close();
    }
  });
});

describe('the discovery memo keys normalised options', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer();
  });
  after(() => srv.close());

  test('a source with the default timeout written out reuses the fresh discovery document', async () => {
    const key = await makeKey('k1');
    srv.route(
      '/.well-known/openid-configuration',
      json({ issuer: srv.origin, jwks_uri: `${srv.origin}/jwks` }, { 'cache-control': 'max-age=300' }),
    );
    srv.route('/jwks', json(jwks(key), { 'cache-control': 'max-age=300' }));
    const c = clock();
    const first = createRemoteKeySource({ issuer: srv.origin, monotonicClock: c.now });
    await first.warmUp();
    first.close();
    assert.equal(srv.count('/.well-known/openid-configuration'), 1);
    const second = createRemoteKeySource({ issuer: srv.origin, monotonicClock: c.now, timeout: HTTP_DEFAULTS.timeout });
    await second.warmUp();
    second.close();
    assert.equal(srv.count('/.well-known/openid-configuration'), 1, 'the same settings must not ask again');
  });
});

describe('backoffDelay', () => {
  test('first, doubling, capped at max', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 30_000)),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
  });
  test('never below first, even with a smaller max or a bad count', () => {
    assert.equal(backoffDelay(1, 1000, 0), 1000);
    assert.equal(backoffDelay(5, 1000, 0), 1000);
    assert.equal(backoffDelay(0, 1000, 30_000), 1000);
  });
  test('huge failure counts stay finite', () => {
    assert.equal(backoffDelay(10_000, 1000, Number.MAX_SAFE_INTEGER), 1000 * 2 ** 20);
  });
});
