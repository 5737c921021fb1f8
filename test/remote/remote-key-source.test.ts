// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FetchError, KeyNotFoundError } from '../../src/errors.js';
import { parseCompactJws } from '../../src/jose/compact.js';
import type { RemoteKeyEvent } from '../../src/remote/events.js';
import { createRemoteKeySource, type RemoteKeySource, type RemoteKeySourceOptions } from '../../src/remote/remote-key-source.js';
import {
  MINUTE,
  clock,
  fakeToken,
  json,
  hang,
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
let k3: TestKey;
const sources: RemoteKeySource[] = [];

before(async () => {
  srv = await startServer();
  [k1, k2, k3] = await Promise.all([makeKey('k1'), makeKey('k2'), makeKey('k3', 'RS256')]);
});
after(async () => {
  for (const s of sources) s.close();
  await srv.close();
});

let n = 0;
/** A fresh path, clock, event log and source per test, so no cache is shared by accident. */
function setup(opts: Partial<RemoteKeySourceOptions> = {}, body: unknown = jwks(k1), headers: Record<string, string> = {}) {
  const path = `/t${++n}`;
  const jwksPath = `${path}/jwks`;
  srv.route(jwksPath, json(body, headers));
  const c = clock();
  const events: RemoteKeyEvent[] = [];
  const source = createRemoteKeySource({
    jwksUri: srv.origin + jwksPath,
    monotonicClock: c.now,
    onEvent: (e) => events.push(e),
    ...opts,
  });
  sources.push(source);
  const of = <T extends RemoteKeyEvent['type']>(type: T) =>
    events.filter((e): e is Extract<RemoteKeyEvent, { type: T }> => e.type === type);
  return { path, jwksPath, clock: c, events, of, source, requests: () => srv.count(jwksPath) };
}

/** Waits for background work (a refresh started without a caller waiting on it). */
async function settle(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'background work did not settle');
}

function randomKidTokens(count: number): string[] {
  return Array.from({ length: count }, () => fakeToken({ alg: 'ES256', kid: randomUUID() }));
}

function header(token: string) {
  return parseCompactJws(token).header;
}

describe('cold start', () => {
  test('200 concurrent lookups on a cold cache: exactly 1 discovery and 1 JWKS request', async () => {
    const issuer = `${srv.origin}/sf`;
    srv.route(`/sf${WK}`, json({ issuer, jwks_uri: `${srv.origin}/sf/jwks`, id_token_signing_alg_values_supported: ['ES256', 'RS256'] }));
    srv.route('/sf/jwks', json(jwks(k1, k2)));
    const c = clock();
    const events: RemoteKeyEvent[] = [];
    const source = createRemoteKeySource({ issuer, monotonicClock: c.now, onEvent: (e) => events.push(e) });
    sources.push(source);
    assert.equal(source.advertisedAlgorithms(), undefined);
    assert.equal(source.synchronous, false);
    const [t1, t2] = await Promise.all([k1.sign(), k2.sign()]);
    const kids = await Promise.all(Array.from({ length: 200 }, (_, i) => verifyWith(source, i % 2 ? t1 : t2)));
    assert.equal(kids.filter((k) => k === 'k1').length, 100);
    assert.equal(kids.filter((k) => k === 'k2').length, 100);
    assert.equal(srv.count(`/sf${WK}`), 1);
    assert.equal(srv.count('/sf/jwks'), 1);
    assert.deepEqual(source.advertisedAlgorithms(), ['ES256', 'RS256']);
    assert.equal(source.jwksUri(), `${srv.origin}/sf/jwks`);
    assert.deepEqual(
      events.map((e) => e.type),
      ['discovery', 'refresh'],
    );
    const s = source.stats();
    assert.equal(s.fetches, 1);
    assert.equal(s.discoveryFetches, 1);
    assert.equal(s.keys, 2);
    assert.ok(s.lastRefresh !== undefined && Math.abs(s.lastRefresh - Date.now()) < 60_000, 'lastRefresh is wall-clock time');
  });

  test('a warm cache answers synchronously (no promise) and counts hits', async () => {
    const t = setup();
    const token = await k1.sign();
    await t.source.warmUp();
    const keys = t.source.getKeys(header(token), 'ES256');
    assert.ok(Array.isArray(keys), 'an array, not a promise');
    assert.equal((keys as readonly { kid?: string }[])[0]?.kid, 'k1');
    assert.equal(await verifyWith(t.source, token), 'k1');
    assert.equal(t.requests(), 1);
    assert.equal(t.source.stats().cacheHits, 2);
  });

  test('warmUp rejects with the fetch error; stats count it', async () => {
    const t = setup();
    srv.route(t.jwksPath, json('down', {}, 500));
    const err = await rejectsWith(t.source.warmUp(), 'ERR_JWKS_FETCH');
    assert.ok(err instanceof FetchError);
    assert.equal(err.status, 500);
    assert.equal(t.source.stats().errors, 1);
  });

  test('two sources on the same JWKS URL share one cache and one request', async () => {
    const c = clock();
    srv.route('/shared/jwks', json(jwks(k1)));
    const a = createRemoteKeySource({ jwksUri: `${srv.origin}/shared/jwks`, monotonicClock: c.now });
    const b = createRemoteKeySource({ jwksUri: `${srv.origin}/shared/jwks`, monotonicClock: c.now });
    sources.push(a, b);
    const token = await k1.sign();
    await Promise.all([verifyWith(a, token), verifyWith(b, token)]);
    assert.equal(srv.count('/shared/jwks'), 1);
    assert.equal(b.stats().fetches, 1);
  });
});

describe('JWKS failures', () => {
  test('500 on a cold cache: ERR_JWKS_FETCH, then backoff without requests, then a retry', async () => {
    const t = setup();
    srv.route(t.jwksPath, json({ error: 'boom' }, {}, 500));
    const token = await k1.sign();
    const err = await rejectsWith(verifyWith(t.source, token), 'ERR_JWKS_FETCH');
    assert.match(err.message, /HTTP 500/);
    assert.equal((err as FetchError).status, 500);
    await Promise.all(Array.from({ length: 50 }, () => rejectsWith(verifyWith(t.source, token), 'ERR_JWKS_FETCH')));
    assert.equal(t.requests(), 1, 'a failing endpoint is not hammered');
    assert.equal(t.of('fetch-error').length, 1);
    assert.equal(t.of('fetch-error')[0]?.retryInMs, 1000);
    t.clock.advance(1000);
    srv.route(t.jwksPath, json(jwks(k1)));
    assert.equal(await verifyWith(t.source, token), 'k1');
    assert.equal(t.requests(), 2);
  });

  test('timeout, non-JSON, not a JWKS, oversized body', async () => {
    const token = await k1.sign();
    const slow = setup({ timeout: 150 });
    srv.route(slow.jwksPath, hang);
    assert.match((await rejectsWith(verifyWith(slow.source, token), 'ERR_JWKS_FETCH')).message, /timed out after 150 ms/);

    const html = setup({}, '<html>maintenance</html>');
    assert.match((await rejectsWith(verifyWith(html.source, token), 'ERR_JWKS_FETCH')).message, /not JSON/);

    const notJwks = setup({}, { keys: 'nope' });
    assert.match((await rejectsWith(verifyWith(notJwks.source, token), 'ERR_JWKS_FETCH')).message, /"keys" array/);

    const big = setup({ maxResponseSize: 2048 }, { keys: [k1.jwk], padding: 'x'.repeat(4096) });
    assert.match((await rejectsWith(verifyWith(big.source, token), 'ERR_JWKS_FETCH')).message, /too large/);
  });

  test('stale-if-error during a 503 outage, then expiry after maxStale, then recovery', async () => {
    const t = setup({ maxStale: 60 * MINUTE });
    const token = await k1.sign();
    assert.equal(await verifyWith(t.source, token), 'k1');
    srv.route(t.jwksPath, json('unavailable', {}, 503));

    // Past freshness (10 min default): the refresh fails, the last good keys keep serving.
    t.clock.advance(11 * MINUTE);
    assert.equal(await verifyWith(t.source, token), 'k1');
    assert.equal(t.requests(), 2);
    const fe = t.of('fetch-error');
    assert.equal(fe.length, 1);
    assert.equal(fe[0]?.servingStale, true);
    assert.equal(fe[0]?.code, 'ERR_JWKS_FETCH');
    const stale = t.of('stale-served');
    assert.equal(stale.length, 1);
    assert.equal(stale[0]?.ageMs, 11 * MINUTE);
    assert.equal(stale[0]?.remainingMs, 59 * MINUTE);

    // While failing, tokens are answered at once from the stale set (no waiting on the IdP).
    for (let i = 0; i < 100; i++) assert.ok(Array.isArray(t.source.getKeys(header(token), 'ES256')));
    for (let m = 0; m < 50; m++) {
      t.clock.advance(MINUTE);
      assert.equal(await verifyWith(t.source, token), 'k1');
    }
    assert.ok(t.requests() <= 2 + 50, 'at most one attempt per backoff period');
    assert.ok(t.source.stats().staleServed >= 150);

    // 10 min fresh + 60 min maxStale have passed: the keys stop serving.
    t.clock.advance(10 * MINUTE);
    const err = await rejectsWith(verifyWith(t.source, token), 'ERR_JWKS_FETCH');
    assert.match(err.message, /HTTP 503.*past their stale-if-error limit/);

    // The IdP is back: the next attempt after the backoff succeeds.
    srv.route(t.jwksPath, json(jwks(k1)));
    t.clock.advance(30_000);
    assert.equal(await verifyWith(t.source, token), 'k1');
    assert.equal(t.source.stats().keys, 1);
  });

  test('stale-if-error sent by the server narrows maxStale', async () => {
    const t = setup({}, jwks(k1), { 'cache-control': 'max-age=600, stale-if-error=300' });
    const token = await k1.sign();
    await t.source.warmUp();
    srv.route(t.jwksPath, json('unavailable', {}, 503));
    t.clock.advance(10 * MINUTE + 4 * MINUTE);
    assert.equal(await verifyWith(t.source, token), 'k1');
    t.clock.advance(2 * MINUTE);
    await rejectsWith(verifyWith(t.source, token), 'ERR_JWKS_FETCH');
  });
});

describe('rotation, withdrawal and unknown kids', () => {
  test('the IdP switches keys: the first token with the new kid validates, without a restart', async () => {
    const t = setup();
    assert.equal(await verifyWith(t.source, await k1.sign()), 'k1');
    srv.route(t.jwksPath, json(jwks(k2)));
    // Same instant as the first fetch: a rotation "just before signing" must not wait for a cooldown.
    assert.equal(await verifyWith(t.source, await k2.sign()), 'k2');
    assert.equal(t.requests(), 2);
    assert.deepEqual(
      t.of('rotation').map((e) => [e.added, e.removed]),
      [[['k2'], ['k1']]],
    );
    assert.deepEqual(
      t.of('refresh').map((e) => e.reason),
      ['cold', 'unknown-kid'],
    );
    // The withdrawn key no longer validates (and asking for it costs no request inside the cooldown).
    const err = await rejectsWith(verifyWith(t.source, await k1.sign()), 'ERR_KEY_NOT_FOUND');
    assert.ok(err instanceof KeyNotFoundError);
    assert.deepEqual(err.considered, [{ index: 0, kid: 'k2', reason: 'kid differs' }]);
    assert.match(err.message, /no key in the JWKS from http:\/\/127\.0\.0\.1:\d+\/t\d+\/jwks .*kid "k1".*#0 \(kid "k2"\): kid differs/);
    assert.equal(t.requests(), 2);
  });

  test('a withdrawn key stops validating once the set is refreshed', async () => {
    const t = setup({}, jwks(k1, k2));
    const [a, b] = await Promise.all([k1.sign(), k2.sign()]);
    assert.equal(await verifyWith(t.source, a), 'k1');
    srv.route(t.jwksPath, json(jwks(k2)));
    assert.equal(await verifyWith(t.source, a), 'k1', 'cached until refreshed');
    t.clock.advance(11 * MINUTE);
    assert.equal(await verifyWith(t.source, b), 'k2');
    assert.equal(t.requests(), 2);
    assert.deepEqual(t.of('rotation')[0]?.removed, ['k1']);
    const err = await rejectsWith(verifyWith(t.source, a), 'ERR_KEY_NOT_FOUND');
    assert.deepEqual(
      (err as KeyNotFoundError).considered.map((r) => r.kid),
      ['k2'],
    );
  });

  test('cooldown: a storm of random kids costs at most one request per window', async () => {
    const t = setup();
    await t.source.warmUp();
    assert.equal(t.requests(), 1);

    // t0: 1000 random kids, concurrently: one refetch.
    const batch1 = randomKidTokens(1000);
    await Promise.all(batch1.map((tok) => rejectsWith(verifyWith(t.source, tok), 'ERR_KEY_NOT_FOUND')));
    assert.equal(t.requests(), 2);

    // t0 + 10 s: inside the cooldown, every unknown kid fails fast, synchronously, with no request.
    t.clock.advance(10_000);
    for (const tok of randomKidTokens(1000)) {
      assert.throws(
        () => t.source.getKeys(header(tok), 'ES256'),
        (e: unknown) => e instanceof KeyNotFoundError && /cooldown/.test(e.message),
      );
    }
    assert.equal(t.requests(), 2);

    // t0 + 20 s: a kid absent from the last fetch is remembered: no request for it.
    t.clock.advance(10_000);
    const remembered = await rejectsWith(verifyWith(t.source, batch1[0] as string), 'ERR_KEY_NOT_FOUND');
    assert.match(remembered.message, /absent from the last fetch; asked for again in 10 s/);
    assert.equal(t.requests(), 2);

    // t0 + 31 s: remembered for at most the cooldown (OIDC Core §10.1.1), so it may ask again; a
    // storm of random kids together with it still costs exactly one request.
    t.clock.advance(11_000);
    await Promise.all(
      [batch1[0] as string, ...randomKidTokens(1000)].map((tok) => rejectsWith(verifyWith(t.source, tok), 'ERR_KEY_NOT_FOUND')),
    );
    assert.equal(t.requests(), 3);
    // t0 + 40 s: inside the new window, more random kids cost nothing.
    t.clock.advance(9_000);
    await Promise.all(randomKidTokens(1000).map((tok) => rejectsWith(verifyWith(t.source, tok), 'ERR_KEY_NOT_FOUND')));
    assert.equal(t.requests(), 3);

    assert.equal(t.of('unknown-kid-cooldown').length, 2, 'one warning per window');
    assert.ok(t.source.stats().cooldownRejections >= 2000);
    // Valid tokens are unaffected by the storm.
    assert.equal(await verifyWith(t.source, await k1.sign()), 'k1');
  });

  test('a known kid with an unfit alg fails without a request', async () => {
    const t = setup();
    await t.source.warmUp();
    const err = await rejectsWith(verifyWith(t.source, fakeToken({ alg: 'RS256', kid: 'k1' })), 'ERR_KEY_NOT_FOUND');
    assert.match(err.message, /kty EC crv P-256 cannot verify RS256|key is for alg ES256/);
    assert.equal(t.requests(), 1);
  });

  test('unusable keys are skipped with reasons; the cap on keys holds', async () => {
    const doc = {
      keys: [
        { ...k2.jwk, kid: 'enc1', use: 'enc' },
        { kty: 'oct', kid: 'sym', k: 'c2VjcmV0' },
        { kty: 'XYZ', kid: 'odd' },
        { kty: 'RSA', kid: 'broken', e: 'AQAB' },
        k1.jwk,
        k3.jwk,
      ],
    };
    const t = setup({}, doc);
    assert.equal(await verifyWith(t.source, await k1.sign()), 'k1');
    assert.equal(await verifyWith(t.source, await k3.sign()), 'k3');
    const refresh = t.of('refresh')[0];
    assert.equal(refresh?.keys, 2);
    assert.deepEqual(refresh?.kids, ['k1', 'k3']);
    assert.deepEqual(
      refresh?.skipped.map((s) => s.kid),
      ['enc1', 'sym', 'odd', 'broken'],
    );
    assert.match(refresh?.skipped[0]?.reason ?? '', /use is "enc"/);
    const err = await rejectsWith(verifyWith(t.source, fakeToken({ alg: 'ES256', kid: 'enc1' })), 'ERR_KEY_NOT_FOUND');
    assert.match(err.message, /skipped at import: use is "enc"/);

    const capped = setup({ maxKeys: 1 }, doc);
    await capped.source.warmUp();
    assert.equal(capped.source.stats().keys, 0);
    assert.match(capped.of('refresh')[0]?.skipped.at(-1)?.reason ?? '', /beyond the cap of 1 keys/);
  });
});

describe('freshness', () => {
  test('Cache-Control max-age is honoured: served without requests, refreshed ahead in the background', async () => {
    const t = setup({}, jwks(k1), { 'cache-control': 'public, max-age=120' });
    const token = await k1.sign();
    await t.source.warmUp();
    assert.equal(t.of('refresh')[0]?.freshFor, 120_000);
    assert.equal(t.of('refresh')[0]?.freshnessSource, 'max-age');
    t.clock.advance(80_000);
    assert.ok(Array.isArray(t.source.getKeys(header(token), 'ES256')));
    assert.equal(t.requests(), 1);
    // Inside the last quarter of the lifetime: still answered at once, while a refresh runs.
    t.clock.advance(12_000);
    assert.ok(Array.isArray(t.source.getKeys(header(token), 'ES256')), 'a warm verifier never waits');
    await settle(() => t.of('refresh').length === 2);
    assert.equal(t.requests(), 2);
    assert.equal(t.of('refresh')[1]?.reason, 'refresh-ahead');
    // Past expiry without traffic: revalidated before answering.
    t.clock.advance(200_000);
    assert.equal(await verifyWith(t.source, token), 'k1');
    assert.equal(t.requests(), 3);
    assert.equal(t.of('refresh')[2]?.reason, 'expired');
  });

  test('a tiny max-age is clamped to one minute, a huge one to 24 h', async () => {
    const tiny = setup({}, jwks(k1), { 'cache-control': 'max-age=5' });
    const token = await k1.sign();
    await tiny.source.warmUp();
    assert.equal(tiny.of('refresh')[0]?.freshFor, MINUTE);
    tiny.clock.advance(30_000);
    assert.equal(await verifyWith(tiny.source, token), 'k1');
    assert.equal(tiny.requests(), 1);

    const huge = setup({}, jwks(k1), { 'cache-control': 'max-age=2592000' });
    await huge.source.warmUp();
    assert.equal(huge.of('refresh')[0]?.freshFor, 86_400_000);
    huge.clock.advance(86_400_000 + 1);
    assert.equal(await verifyWith(huge.source, token), 'k1');
    assert.equal(huge.requests(), 2);
  });

  test('stale-while-revalidate: served stale at once while refreshing', async () => {
    const t = setup({}, jwks(k1), { 'cache-control': 'max-age=60, stale-while-revalidate=600' });
    const token = await k1.sign();
    await t.source.warmUp();
    t.clock.advance(5 * MINUTE);
    assert.ok(Array.isArray(t.source.getKeys(header(token), 'ES256')));
    await settle(() => t.of('refresh').length === 2);
    assert.equal(t.of('refresh')[1]?.reason, 'expired');
  });
});

describe('discovery and configuration', () => {
  test('a failed discovery is retried only after a backoff', async () => {
    const issuer = `${srv.origin}/disc-down`;
    srv.route(`/disc-down${WK}`, json('nope', {}, 500));
    const c = clock();
    const events: RemoteKeyEvent[] = [];
    const source = createRemoteKeySource({ issuer, monotonicClock: c.now, onEvent: (e) => events.push(e) });
    sources.push(source);
    const token = await k1.sign();
    await Promise.all(Array.from({ length: 20 }, () => rejectsWith(verifyWith(source, token), 'ERR_DISCOVERY')));
    await rejectsWith(verifyWith(source, token), 'ERR_DISCOVERY');
    assert.equal(srv.count(`/disc-down${WK}`), 1);
    assert.equal(events[0]?.type, 'fetch-error');
    assert.equal(source.stats().errors, 1);
    c.advance(1000);
    srv.route(`/disc-down${WK}`, json({ issuer, jwks_uri: `${srv.origin}/disc-down/jwks` }));
    srv.route('/disc-down/jwks', json(jwks(k1)));
    assert.equal(await verifyWith(source, token), 'k1');
    assert.equal(srv.count(`/disc-down${WK}`), 2);
    assert.equal(source.advertisedAlgorithms(), undefined);
  });

  test('a discovered http jwks_uri for a non-loopback host is ERR_DISCOVERY', async () => {
    const issuer = `${srv.origin}/disc-http`;
    srv.route(`/disc-http${WK}`, json({ issuer, jwks_uri: 'http://idp.example.com/jwks' }));
    const source = createRemoteKeySource({ issuer, monotonicClock: clock().now });
    sources.push(source);
    await rejectsWith(source.warmUp(), 'ERR_DISCOVERY');
  });

  test('invalid options are ERR_CONFIG', async () => {
    await rejectsWith(() => createRemoteKeySource({}), 'ERR_CONFIG');
    await rejectsWith(() => createRemoteKeySource({ jwksUri: 'http://idp.example.com/jwks' }), 'ERR_CONFIG');
    await rejectsWith(() => createRemoteKeySource({ issuer: 'http://idp.example.com' }), 'ERR_CONFIG');
    await rejectsWith(() => createRemoteKeySource({ jwksUri: 'https://idp.example.com/jwks', cooldown: -1 }), 'ERR_CONFIG');
    await rejectsWith(() => createRemoteKeySource({ jwksUri: 'https://idp.example.com/jwks', maxKeys: 0 }), 'ERR_CONFIG');
    await rejectsWith(() => createRemoteKeySource({ jwksUri: 'https://idp.example.com/jwks', timeout: Number.NaN }), 'ERR_CONFIG');
    const ok = createRemoteKeySource({ jwksUri: 'http://idp.example.com/jwks', allowHttp: true });
    ok.close();
  });

  test('a throwing event listener does not break verification', async () => {
    const t = setup({
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal(await verifyWith(t.source, await k1.sign()), 'k1');
  });
});
