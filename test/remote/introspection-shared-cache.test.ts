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
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(token.startsWith('active') ? { active: true, sub: 'bob', exp } : { active: false }));
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

  it('cache.store must have get and set', () => {
    assert.throws(
      () =>
        createIntrospector({
          endpoint: `${server.origin}/introspect`,
          clientId: 'c',
          clientSecret: 's',
          cache: { ttl: 1, store: {} as never },
        }),
      /cache\.store must have get\(key\) and set\(key, entry\) methods/,
    );
  });
});
