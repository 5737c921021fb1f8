import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createIntrospector, VerifyError, type IntrospectionCacheEntry, type IntrospectionCacheStore } from '../../src/index.js';
import { startServer, type TestServer } from '../support/jwks-server.js';

const T0 = 1_800_000_000_000;
let server: TestServer;
/** The token's `exp`, seconds: set per test. */
let exp = Math.floor(T0 / 1000) + 600;

before(async () => {
  server = await startServer();
  server.route('/introspect', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? '';
      const answer = (): void => {
        if (token.startsWith('failing')) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(token.includes('active') && !token.includes('inactive') ? { active: true, sub: 'bob', exp } : { active: false }),
        );
      };
      // "slow-" tokens take 50 ms, so concurrent callers overlap with the request.
      if (token.startsWith('slow-')) setTimeout(answer, 50);
      else answer();
    });
  });
});
after(() => server.close());

function mapStore(): IntrospectionCacheStore & { map: Map<string, IntrospectionCacheEntry>; sets: number } {
  const map = new Map<string, IntrospectionCacheEntry>();
  const s = {
    map,
    sets: 0,
    get: (k: string) => Promise.resolve(map.get(k)),
    set: (k: string, e: IntrospectionCacheEntry) => {
      s.sets++;
      map.set(k, JSON.parse(JSON.stringify(e)) as IntrospectionCacheEntry);
      return Promise.resolve();
    },
  };
  return s;
}

/** mapStore with claims: SET NX with an expiry (real time) and DEL, as the Redis store does them. */
function claimingStore(): ReturnType<typeof mapStore> & { claims: Map<string, number>; claimCalls: number; releases: number } {
  const base = mapStore();
  const claims = new Map<string, number>();
  const s = Object.assign(base, {
    claims,
    claimCalls: 0,
    releases: 0,
    claim(k: string, ms: number): Promise<boolean> {
      s.claimCalls++;
      const held = claims.get(k);
      if (held !== undefined && held > performance.now()) return Promise.resolve(false);
      claims.set(k, performance.now() + ms);
      return Promise.resolve(true);
    },
    release(k: string): Promise<void> {
      s.releases++;
      claims.delete(k);
      return Promise.resolve();
    },
  });
  return s;
}

function introspector(store: IntrospectionCacheStore, clock: { t: number }, ttl = 30_000) {
  return createIntrospector({
    endpoint: `${server.origin}/introspect`,
    clientId: 'c',
    clientSecret: 's',
    now: () => clock.t,
    cache: { ttl, store },
  });
}

describe('introspection cache store (shared second level)', () => {
  it('a result one introspector fetched serves another without a request; the entry never outlives ttl or exp', async () => {
    const clock = { t: T0 };
    exp = Math.floor(T0 / 1000) + 600;
    const store = mapStore();
    const a = introspector(store, clock);
    const b = introspector(store, clock);
    const before = server.count('/introspect');
    assert.equal((await a.introspect('active-1')).sub, 'bob');
    assert.equal(server.count('/introspect'), before + 1);
    assert.equal(store.map.size, 1);
    const [key, entry] = [...store.map][0]!;
    assert.match(key, /^[A-Za-z0-9_-]{43}$/); // base64url SHA-256, not the token
    assert.equal(entry.expiresAt, T0 + 30_000); // ttl before exp
    assert.equal((await b.introspect('active-1')).sub, 'bob');
    assert.equal(server.count('/introspect'), before + 1);
    assert.deepEqual(b.stats(), { requests: 0, cacheHits: 1, cached: 1 });
    assert.equal(store.sets, 1); // a shared hit is not written back
    // Past the entry's expiry: both ask again.
    clock.t = T0 + 30_001;
    await b.introspect('active-1');
    assert.equal(server.count('/introspect'), before + 2);
  });

  it('exp before the ttl bounds the shared entry', async () => {
    const clock = { t: T0 };
    exp = Math.floor(T0 / 1000) + 10;
    const store = mapStore();
    await introspector(store, clock).introspect('active-2');
    assert.equal([...store.map.values()][0]!.expiresAt, exp * 1000);
    // A memory hit taken from the shared entry keeps the shared expiry.
    const b = introspector(store, clock, 3_600_000);
    await b.introspect('active-2');
    clock.t = exp * 1000 + 1;
    await assert.rejects(b.introspect('active-2'), (e: unknown) => e instanceof VerifyError);
  });

  it('inactive results are never stored; a failing or odd store is only a miss', async () => {
    const clock = { t: T0 };
    exp = Math.floor(T0 / 1000) + 600;
    const store = mapStore();
    await assert.rejects(introspector(store, clock).introspect('revoked'), (e: unknown) => (e as VerifyError).code === 'ERR_INACTIVE');
    assert.equal(store.map.size, 0);
    const broken: IntrospectionCacheStore = {
      get: () => {
        throw new Error('down');
      },
      set: () => Promise.reject(new Error('down')),
    };
    const before = server.count('/introspect');
    assert.equal((await introspector(broken, clock).introspect('active-3')).sub, 'bob');
    const stale = mapStore();
    const c = introspector(stale, clock);
    await c.introspect('active-4');
    const [k, e] = [...stale.map][0]!;
    stale.map.set(k, { ...e, expiresAt: T0 - 1 });
    await introspector(stale, clock).introspect('active-4'); // expired shared entry: a request
    assert.equal(server.count('/introspect'), before + 3);
  });

  it('single flight across introspectors: of several meeting a new token at once, one asks; the others take its stored answer', async () => {
    const clock = { t: T0 };
    exp = Math.floor(T0 / 1000) + 600;
    const store = claimingStore();
    const replicas = [introspector(store, clock), introspector(store, clock), introspector(store, clock)];
    const before = server.count('/introspect');
    const results = await Promise.all(replicas.map((r) => r.introspect('slow-active-sf')));
    assert.deepEqual(
      results.map((r) => r.sub),
      ['bob', 'bob', 'bob'],
    );
    assert.equal(server.count('/introspect'), before + 1, 'one request for three introspectors');
    assert.equal(store.sets, 1);
    assert.equal(store.claims.size, 0, 'the claim was released');
    assert.equal(store.releases, 1);
    assert.deepEqual(
      replicas.map((r) => r.stats().requests),
      [1, 0, 0],
    );
    // Without claims (a store with get and set only) each asks: the same three make three requests.
    const plain = mapStore();
    const before2 = server.count('/introspect');
    await Promise.all(
      [introspector(plain, clock), introspector(plain, clock), introspector(plain, clock)].map((r) => r.introspect('slow-active-nc')),
    );
    assert.equal(server.count('/introspect'), before2 + 3);
  });

  it('single flight: an inactive token (nothing stored) or a failed request lets each waiter ask itself once the claim ends', async () => {
    const clock = { t: T0 };
    exp = Math.floor(T0 / 1000) + 600;
    const store = claimingStore();
    const before = server.count('/introspect');
    // A 20 s timeout makes the claim last 21 s: finishing in far less shows the waiter did not wait it out.
    const mk = (): ReturnType<typeof createIntrospector> =>
      createIntrospector({
        endpoint: `${server.origin}/introspect`,
        clientId: 'c',
        clientSecret: 's',
        now: () => clock.t,
        timeout: 20_000,
        cache: { ttl: 30_000, store },
      });
    const started = performance.now();
    const outcomes = await Promise.allSettled([mk().introspect('slow-inactive-sf'), mk().introspect('slow-inactive-sf')]);
    for (const o of outcomes) assert.equal(o.status === 'rejected' && (o.reason as VerifyError).code, 'ERR_INACTIVE');
    assert.ok(performance.now() - started < 10_000, 'the waiter took the released claim, not the claim expiry');
    assert.equal(server.count('/introspect'), before + 2, 'inactive answers are never shared: the waiter asked too');
    assert.equal(store.map.size, 0);
    assert.equal(store.claims.size, 0);
    const failed = await Promise.allSettled([mk().introspect('failing-sf'), mk().introspect('failing-sf')]);
    for (const o of failed) assert.equal(o.status, 'rejected');
    assert.equal(store.claims.size, 0, 'a failed request releases its claim');
  });

  it('single flight: a store whose claim fails costs only the sharing: each asks, no error', async () => {
    const clock = { t: T0 };
    exp = Math.floor(T0 / 1000) + 600;
    const store = Object.assign(mapStore(), {
      claim: () => Promise.reject(new Error('down')),
      release: () => Promise.reject(new Error('down')),
    });
    const before = server.count('/introspect');
    const both = await Promise.all([
      introspector(store, clock).introspect('slow-active-cf'),
      introspector(store, clock).introspect('slow-active-cf'),
    ]);
    assert.deepEqual(
      both.map((r) => r.sub),
      ['bob', 'bob'],
    );
    assert.equal(server.count('/introspect'), before + 2);
  });

  it('cache.store must have get and set, and claim/release only as methods', () => {
    for (const store of [{}, { ...mapStore(), claim: 1 }, { ...mapStore(), release: 'x' }]) {
      assert.throws(
        () =>
          createIntrospector({
            endpoint: `${server.origin}/introspect`,
            clientId: 'c',
            clientSecret: 's',
            cache: { ttl: 1, store: store as never },
          }),
        /cache\.store must have get\(key\) and set\(key, entry\) methods/,
      );
    }
  });
});
