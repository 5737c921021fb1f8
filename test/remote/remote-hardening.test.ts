/**
 * Security-audit regressions of the remote key layer, against real HTTP servers on 127.0.0.1:
 * a probed kid blocks the next key for at most the cooldown; network timing runs on a monotonic
 * clock, never on the verification instant `now`; the discovery document is refreshed on its own
 * schedule; FetchError.reason; JSON content types; the timeout cap; a custom fetch whose body
 * cancel() never settles.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { freshKeyPair } from '../support/fresh-key-pair.js';
import { FetchError, type FetchFailureReason } from '../../src/errors.js';
import { parseCompactJws } from '../../src/jose/compact.js';
import type { RemoteKeyEvent } from '../../src/remote/events.js';
import { fetchJson, isJsonContentType, type FetchLike } from '../../src/remote/http.js';
import { createRemoteKeySource, type RemoteKeySource, type RemoteKeySourceOptions } from '../../src/remote/remote-key-source.js';
import { createVerifier, type Verifier } from '../../src/index.js';
import {
  MINUTE,
  clock,
  fakeToken,
  hang,
  json,
  jwks,
  makeKey,
  rejectsWith,
  startServer,
  verifyWith,
  type TestKey,
  type TestServer,
} from '../support/jwks-server.js';

const WK = '/.well-known/openid-configuration';
let srv: TestServer;
let k1: TestKey;
let k2: TestKey;
const closers: { close(): void }[] = [];

before(async () => {
  srv = await startServer();
  [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
});
after(async () => {
  for (const c of closers) c.close();
  await srv.close();
});

let n = 0;
const fresh = (): string => `/h${++n}`;

function source(opts: RemoteKeySourceOptions): { source: RemoteKeySource; events: RemoteKeyEvent[] } {
  const events: RemoteKeyEvent[] = [];
  const s = createRemoteKeySource({ onEvent: (e) => events.push(e), ...opts });
  closers.push(s);
  return { source: s, events };
}

function verifier(opts: Parameters<typeof createVerifier>[0]): Verifier {
  const v = createVerifier(opts);
  closers.push(v);
  return v;
}

/** Waits for background work (a refresh started without a caller waiting on it). */
async function settle(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'background work did not settle');
}

const header = (token: string) => parseCompactJws(token).header;

/** An ID token signer whose iat/exp are chosen by the test (a past instant works). */
function idTokenSigner(kid: string) {
  const { privateKey, publicKey } = freshKeyPair('ec', { namedCurve: 'P-256' });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, alg: 'ES256', use: 'sig' };
  return {
    jwk,
    sign: (iss: string, atSeconds: number) =>
      new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(iss)
        .setAudience('client')
        .setIssuedAt(atSeconds - 10)
        .setExpirationTime(atSeconds + 3600)
        .sign(privateKey),
  };
}

describe('a probed kid blocks the next key for at most the cooldown (OIDC Core §10.1.1)', () => {
  test('max-age=86400: a probe for the next kid before it is published does not block genuine tokens past the cooldown', async () => {
    const p = `${fresh()}/jwks`;
    srv.route(p, json(jwks(k1), { 'cache-control': 'max-age=86400' }));
    const c = clock();
    const { source: s } = source({ jwksUri: srv.origin + p, monotonicClock: c.now });
    assert.equal(await verifyWith(s, await k1.sign()), 'k1');
    assert.equal(srv.count(p), 1);

    // An unauthenticated probe for the predictable next kid, before the IdP publishes it.
    await rejectsWith(verifyWith(s, fakeToken({ alg: 'ES256', kid: 'k2' })), 'ERR_KEY_NOT_FOUND');
    assert.equal(srv.count(p), 2);
    srv.route(p, json(jwks(k1, k2), { 'cache-control': 'max-age=86400' }));
    const genuine = await k2.sign();

    // Inside the cooldown the remembered absence answers, without a request.
    c.advance(10_000);
    const early = await rejectsWith(verifyWith(s, genuine), 'ERR_KEY_NOT_FOUND');
    assert.match(early.message, /absent from the last fetch; asked for again in 20 s/);
    assert.equal(srv.count(p), 2);

    // After the cooldown the next token with that kid goes back to the jwks_uri: it validates.
    c.advance(20_001);
    assert.equal(await verifyWith(s, genuine), 'k2');
    assert.equal(srv.count(p), 3);
  });

  test('a random-kid flood still costs at most one request per cooldown, single flight', async () => {
    const p = `${fresh()}/jwks`;
    srv.route(p, json(jwks(k1), { 'cache-control': 'max-age=86400' }));
    const c = clock();
    const { source: s } = source({ jwksUri: srv.origin + p, monotonicClock: c.now });
    await s.warmUp();
    const probes = Array.from({ length: 200 }, () => fakeToken({ alg: 'ES256', kid: randomUUID() }));
    for (let window = 1; window <= 5; window++) {
      // The same 200 kids again and again: each is remembered absent, then may ask again.
      for (let step = 0; step < 3; step++) {
        await Promise.all(probes.map((t) => rejectsWith(verifyWith(s, t), 'ERR_KEY_NOT_FOUND')));
        c.advance(10_001);
      }
      assert.equal(srv.count(p), 1 + window, `window ${window}`);
    }
    assert.equal(await verifyWith(s, await k1.sign()), 'k1');
  });
});

describe('network timing runs on a monotonic clock, claims on `now`', () => {
  const FIXED = 1_600_000_000; // a past instant, seconds

  test('a verifier with a fixed past `now` retries a failed cold JWKS fetch after the backoff', async () => {
    const p = `${fresh()}/jwks`;
    const signer = idTokenSigner('past');
    const iss = `${srv.origin}${p}-issuer`;
    srv.route(p, json({ error: 'down' }, {}, 503));
    const c = clock(5_000);
    const v = verifier({ issuer: iss, audience: 'client', jwksUri: srv.origin + p, now: () => FIXED * 1000, monotonicClock: c.now });
    const token = await signer.sign(iss, FIXED);
    await rejectsWith(v.verifyIdToken(token), 'ERR_JWKS_FETCH');
    await rejectsWith(v.verifyIdToken(token), 'ERR_JWKS_FETCH');
    assert.equal(srv.count(p), 1, 'inside the backoff: no request');
    srv.route(p, json({ keys: [signer.jwk] }));
    c.advance(1000);
    const ok = await v.verifyIdToken(token);
    assert.equal(ok.payload.sub, 'alice');
    assert.equal(srv.count(p), 2);
  });

  test('a verifier with a fixed past `now` retries a failed discovery after the backoff', async () => {
    const base = fresh();
    const iss = srv.origin + base;
    const signer = idTokenSigner('past-d');
    srv.route(base + WK, json('nope', {}, 500));
    const c = clock(5_000);
    const v = verifier({ issuer: iss, audience: 'client', now: () => FIXED * 1000, monotonicClock: c.now });
    const token = await signer.sign(iss, FIXED);
    await rejectsWith(v.verifyIdToken(token), 'ERR_DISCOVERY');
    srv.route(base + WK, json({ issuer: iss, jwks_uri: `${iss}/jwks` }));
    srv.route(`${base}/jwks`, json({ keys: [signer.jwk] }));
    c.advance(1000);
    assert.equal((await v.verifyIdToken(token)).payload.sub, 'alice');
    assert.equal(srv.count(base + WK), 2);
  });

  test('with the default clock, a frozen `now` does not stop the retry (real time, about 1 s)', async () => {
    const p = `${fresh()}/jwks`;
    const signer = idTokenSigner('frozen');
    const iss = `${srv.origin}${p}-issuer`;
    srv.route(p, json({ error: 'down' }, {}, 503));
    const v = verifier({ issuer: iss, audience: 'client', jwksUri: srv.origin + p, now: () => FIXED * 1000 });
    const token = await signer.sign(iss, FIXED);
    await rejectsWith(v.verifyIdToken(token), 'ERR_JWKS_FETCH');
    srv.route(p, json({ keys: [signer.jwk] }));
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await v.verifyIdToken(token)).payload.sub, 'alice');
    assert.equal(srv.count(p), 2);
  });

  test('verifiers with different `now` clocks share one JWKS cache (one request)', async () => {
    const p = `${fresh()}/jwks`;
    const signer = idTokenSigner('shared');
    const iss = `${srv.origin}${p}-issuer`;
    srv.route(p, json({ keys: [signer.jwk] }));
    const a = verifier({ issuer: iss, audience: 'client', jwksUri: srv.origin + p, now: () => FIXED * 1000 });
    const b = verifier({ issuer: iss, audience: 'client', jwksUri: srv.origin + p, now: () => (FIXED + 60) * 1000 });
    const token = await signer.sign(iss, FIXED);
    await a.verifyIdToken(token);
    await b.verifyIdToken(token);
    assert.equal(srv.count(p), 1);
  });

  test('a verifier per check (closed after each, each with its own `now`) reuses the discovery document and the JWKS', async () => {
    const base = fresh();
    const iss = srv.origin + base;
    const signer = idTokenSigner('per-check');
    srv.route(base + WK, json({ issuer: iss, jwks_uri: `${iss}/jwks` }));
    srv.route(`${base}/jwks`, json({ keys: [signer.jwk] }));
    const token = await signer.sign(iss, FIXED);
    for (let i = 0; i < 5; i++) {
      const v = createVerifier({ issuer: iss, audience: 'client', now: () => (FIXED + i) * 1000 });
      try {
        assert.equal((await v.verifyIdToken(token)).payload.sub, 'alice');
      } finally {
        v.close();
      }
    }
    assert.equal(srv.count(base + WK), 1);
    assert.equal(srv.count(`${base}/jwks`), 1);
    // Another spelling of the issuer maps to the same discovery URL but never reuses that document.
    const slash = createVerifier({ issuer: `${iss}/`, audience: 'client' });
    try {
      await rejectsWith(slash.verifyIdToken(await signer.sign(`${iss}/`, FIXED)), 'ERR_DISCOVERY');
    } finally {
      slash.close();
    }
  });

  test('released JWKS caches are kept for reuse, at most 16 of them', async () => {
    const base = fresh();
    const token = await k1.sign();
    const paths = Array.from({ length: 17 }, (_, i) => `${base}/${i}/jwks`);
    for (const p of paths) srv.route(p, json(jwks(k1)));
    const once = async (p: string): Promise<void> => {
      const s = createRemoteKeySource({ jwksUri: srv.origin + p });
      try {
        assert.equal(await verifyWith(s, token), 'k1');
      } finally {
        s.close();
      }
    };
    await once(paths[0]!);
    await once(paths[0]!);
    assert.equal(srv.count(paths[0]!), 1, 'reused after release');
    for (const p of paths.slice(1)) await once(p);
    await once(paths[0]!);
    assert.equal(srv.count(paths[0]!), 2, 'the oldest idle cache was dropped beyond the limit');
  });

  test('createRemoteKeySource no longer takes `now`; misspelt options are ERR_CONFIG', async () => {
    const jwksUri = 'https://idp.example/jwks';
    const e = await rejectsWith(() => createRemoteKeySource({ jwksUri, cooldwn: 5 } as unknown as RemoteKeySourceOptions), 'ERR_CONFIG');
    assert.match(e.message, /unknown option "cooldwn"; did you mean "cooldown"/);
    await rejectsWith(() => createRemoteKeySource({ jwksUri, now: Date.now } as unknown as RemoteKeySourceOptions), 'ERR_CONFIG');
    await rejectsWith(() => createRemoteKeySource({ jwksUri, monotonicClock: 5 } as unknown as RemoteKeySourceOptions), 'ERR_CONFIG');
  });
});

describe('the discovery document is refreshed on its own schedule', () => {
  test('a provider that moves its jwks_uri (and changes its algorithms) is followed without a restart', async () => {
    const base = fresh();
    const iss = srv.origin + base;
    const doc = (jwksPath: string, algs: string[]) =>
      json(
        { issuer: iss, jwks_uri: srv.origin + jwksPath, id_token_signing_alg_values_supported: algs },
        { 'cache-control': 'max-age=120' },
      );
    srv.route(base + WK, doc(`${base}/a`, ['RS256']));
    srv.route(`${base}/a`, json(jwks(k1)));
    srv.route(`${base}/b`, json(jwks(k2)));
    srv.route(`${base}/c`, json(jwks(k1, k2)));
    const c = clock();
    const { source: s, events } = source({ issuer: iss, monotonicClock: c.now });
    assert.equal(await verifyWith(s, await k1.sign()), 'k1');
    assert.deepEqual(s.advertisedAlgorithms(), ['RS256']);

    // The provider moves its keys. Fresh for 120 s: nothing changes yet.
    srv.route(base + WK, doc(`${base}/b`, ['ES256']));
    c.advance(60_000);
    assert.ok(Array.isArray(s.getKeys(header(await k1.sign()), 'ES256')));
    assert.equal(srv.count(base + WK), 1);

    // Past freshness: revalidated before answering; the new jwks_uri is used at once.
    c.advance(61_000);
    assert.equal(await verifyWith(s, await k2.sign()), 'k2');
    assert.equal(srv.count(base + WK), 2);
    assert.equal(srv.count(`${base}/b`), 1);
    assert.equal(s.jwksUri(), `${srv.origin}${base}/b`);
    assert.deepEqual(s.advertisedAlgorithms(), ['ES256']);
    assert.deepEqual(
      events.filter((e) => e.type === 'discovery').map((e) => e.jwksUri.slice(-2)),
      ['/a', '/b'],
    );

    // Inside the last quarter of the lifetime: answered at once from the current keys, refreshed in the background.
    srv.route(base + WK, doc(`${base}/c`, ['ES256']));
    c.advance(100_000);
    assert.ok(Array.isArray(s.getKeys(header(await k2.sign()), 'ES256')), 'a warm source never waits for discovery');
    await settle(() => s.jwksUri() === `${srv.origin}${base}/c`);
    assert.equal(srv.count(base + WK), 3);
    assert.equal(await verifyWith(s, await k1.sign()), 'k1');
  });

  test('a refreshed document naming another issuer is refused; the last good one serves (stale-if-error), then expires', async () => {
    const base = fresh();
    const iss = srv.origin + base;
    srv.route(base + WK, json({ issuer: iss, jwks_uri: `${iss}/jwks` }, { 'cache-control': 'max-age=60' }));
    srv.route(`${base}/jwks`, json(jwks(k1), { 'cache-control': 'max-age=86400' }));
    srv.route(`${base}/evil`, json(jwks(k2)));
    const c = clock();
    const { source: s, events } = source({ issuer: iss, monotonicClock: c.now, maxStale: 10 * MINUTE });
    const token = await k1.sign();
    assert.equal(await verifyWith(s, token), 'k1');

    srv.route(base + WK, json({ issuer: 'https://evil.example', jwks_uri: `${iss}/evil` }, { 'cache-control': 'max-age=60' }));
    c.advance(2 * MINUTE);
    assert.equal(await verifyWith(s, token), 'k1');
    assert.equal(srv.count(base + WK), 2);
    assert.equal(srv.count(`${base}/evil`), 0);
    assert.equal(s.metadata()?.issuer, iss);
    assert.equal(s.jwksUri(), `${iss}/jwks`);
    const fe = events.filter((e): e is Extract<RemoteKeyEvent, { type: 'fetch-error' }> => e.type === 'fetch-error');
    assert.equal(fe.length, 1);
    assert.equal(fe[0]?.code, 'ERR_DISCOVERY');
    assert.equal(fe[0]?.servingStale, true);
    assert.equal((fe[0]?.error as FetchError).reason, 'invalid_response');
    assert.match(fe[0]?.error.message ?? '', /does not equal the configured issuer/);

    // Past freshness + maxStale: the old document stops serving.
    c.advance(10 * MINUTE);
    await rejectsWith(verifyWith(s, token), 'ERR_DISCOVERY');
    // The provider is fixed: the next attempt after the backoff succeeds.
    srv.route(base + WK, json({ issuer: iss, jwks_uri: `${iss}/jwks` }, { 'cache-control': 'max-age=60' }));
    c.advance(30_000);
    assert.equal(await verifyWith(s, token), 'k1');
  });
});

describe('FetchError.reason and content types', () => {
  async function reasonOf(p: Promise<unknown>, code = 'ERR_JWKS_FETCH'): Promise<FetchFailureReason> {
    const e = await rejectsWith(p, code);
    assert.ok(e instanceof FetchError, `${e.name}: ${e.message}`);
    return e.reason;
  }

  test('each failure names its reason', async () => {
    const base = fresh();
    const get = (path: string, extra: Partial<Parameters<typeof fetchJson>[1]> = {}) =>
      fetchJson(srv.origin + base + path, { code: 'ERR_JWKS_FETCH', ...extra });
    srv.route(`${base}/hang`, hang);
    srv.route(`${base}/500`, json({ error: 'x' }, {}, 500));
    srv.route(`${base}/big`, json({ pad: 'x'.repeat(5000) }));
    srv.route(`${base}/html`, json('<html></html>', { 'content-type': 'text/html; charset=utf-8' }));
    srv.route(`${base}/notjson`, json('nope'));
    srv.route(`${base}/noloc`, (_q, r) => void r.writeHead(302).end());
    srv.route(`${base}/ftp`, (_q, r) => void r.writeHead(302, { location: 'ftp://127.0.0.1/x' }).end());
    assert.equal(await reasonOf(get('/hang', { timeout: 100 })), 'timeout');
    assert.equal(await reasonOf(get('/500')), 'status');
    assert.equal(await reasonOf(get('/big', { maxResponseSize: 100 })), 'too_large');
    assert.equal(await reasonOf(get('/html')), 'content_type');
    assert.equal(await reasonOf(get('/notjson')), 'invalid_json');
    assert.equal(await reasonOf(get('/noloc')), 'redirect');
    assert.equal(await reasonOf(get('/ftp')), 'url_refused');
    assert.equal(await reasonOf(fetchJson('http://idp.example/jwks', { code: 'ERR_JWKS_FETCH' })), 'url_refused');
    const closed = await startServer();
    await closed.close();
    assert.equal(await reasonOf(fetchJson(`${closed.origin}/x`, { code: 'ERR_JWKS_FETCH' })), 'network');
    srv.route(`${base}/notjwks`, json({ keys: 'no' }));
    assert.equal(
      await reasonOf(source({ jwksUri: `${srv.origin}${base}/notjwks`, monotonicClock: clock().now }).source.warmUp()),
      'invalid_response',
    );
  });

  test('discovery and JWKS answers must be declared JSON; an HTML error page names its type', async () => {
    for (const t of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON;charset=UTF-8',
      'application/jwk-set+json',
      'application/problem+json',
    ]) {
      assert.equal(isJsonContentType(t), true, t);
    }
    for (const t of [null, '', 'text/html', 'text/plain', 'application/jsonp', 'text/json', 'application/json+xml', 'json']) {
      assert.equal(isJsonContentType(t), false, String(t));
    }
    const base = fresh();
    srv.route(`${base}/jwks`, json(jwks(k1), { 'content-type': 'application/jwk-set+json; charset=utf-8' }));
    const ok = source({ jwksUri: `${srv.origin}${base}/jwks`, monotonicClock: clock().now }).source;
    assert.equal(await verifyWith(ok, await k1.sign()), 'k1');

    srv.route(`${base}${WK}`, (_q, r) => void r.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy error</html>'));
    const disc = source({ issuer: srv.origin + base, monotonicClock: clock().now }).source;
    const e = await rejectsWith(disc.warmUp(), 'ERR_DISCOVERY');
    assert.match(e.message, /expected a JSON response .*got Content-Type "text\/html"/);
    srv.route(`${base}/plain`, (_q, r) => void r.writeHead(200).end(JSON.stringify(jwks(k1))));
    const plain = source({ jwksUri: `${srv.origin}${base}/plain`, monotonicClock: clock().now }).source;
    assert.match((await rejectsWith(plain.warmUp(), 'ERR_JWKS_FETCH')).message, /got no Content-Type/);
  });
});

describe('deadlines', () => {
  test('a timeout above 2^31-1 ms is ERR_CONFIG, not an instant timeout', async () => {
    const big = 2 ** 31;
    await rejectsWith(() => createRemoteKeySource({ jwksUri: 'https://idp.example/jwks', timeout: big }), 'ERR_CONFIG');
    await rejectsWith(() => createVerifier({ issuer: 'https://idp.example', audience: 'a', timeout: big }), 'ERR_CONFIG');
    let calls = 0;
    const counting: FetchLike = async () => {
      calls++;
      return new Response('{}');
    };
    await rejectsWith(fetchJson('https://idp.example/jwks', { code: 'ERR_JWKS_FETCH', timeout: big, fetch: counting }), 'ERR_CONFIG');
    assert.equal(calls, 0);
    // The largest allowed value works.
    const p = `${fresh()}/jwks`;
    srv.route(p, json(jwks(k1)));
    const s = source({ jwksUri: srv.origin + p, timeout: 2 ** 31 - 1, monotonicClock: clock().now }).source;
    assert.equal(await verifyWith(s, await k1.sign()), 'k1');
  });

  test(
    'a custom fetch whose body cancel() never settles cannot outlive the deadline or wedge the single flight',
    { timeout: 20_000 },
    async () => {
      const stuckBody = (text?: string) =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            if (text !== undefined) controller.enqueue(new TextEncoder().encode(text));
          },
          cancel: () => new Promise<void>(() => undefined),
        });
      const answers: Array<() => Response> = [
        () => new Response(stuckBody(), { status: 302, headers: { location: 'https://idp.example/elsewhere' } }),
        () => new Response(stuckBody('<html>'), { status: 200, headers: { 'content-type': 'text/html' } }),
        () => new Response(stuckBody(), { status: 200, headers: { 'content-type': 'application/json', 'content-length': '99999999' } }),
      ];
      for (const [i, bad] of answers.entries()) {
        let calls = 0;
        let good = false;
        const fetch: FetchLike = async (url) => {
          calls++;
          if (good) return new Response(JSON.stringify(jwks(k1)), { headers: { 'content-type': 'application/json' } });
          if (url.endsWith('/elsewhere')) return new Promise<Response>(() => undefined);
          return bad();
        };
        const c = clock();
        const s = source({ jwksUri: `https://idp.example/stuck${i}/${randomUUID()}`, fetch, timeout: 300, monotonicClock: c.now }).source;
        const token = await k1.sign();
        await rejectsWith(verifyWith(s, token), 'ERR_JWKS_FETCH');
        // A later verification after the backoff starts a new fetch (the flight is not wedged).
        good = true;
        c.advance(1000);
        assert.equal(await verifyWith(s, token), 'k1', `case ${i}`);
        assert.equal(calls, i === 0 ? 3 : 2, `case ${i}`);
      }
    },
  );
});
