// The jwksStore persistence hook: a second "cold isolate" (a new cache over the same stored data)
// verifies without a JWKS request while the persisted response is fresh by its own headers; an
// expired one is revalidated, and served under stale-if-error when the endpoint fails; a broken
// store is ignored.
// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteKeySource } from '../../src/remote/remote-key-source.js';
import type { JwksStore, PersistedJwks } from '../../src/remote/jwks-store.js';
import type { RemoteKeyEvent } from '../../src/remote/events.js';
import { hang, json, jwks, makeKey, rejectsWith, startServer, verifyWith } from '../support/jwks-server.js';

/** A store over a shared Map: each call makes a new store object, so a new (cold) cache. */
function storeOver(data: Map<string, PersistedJwks>, log: string[] = []): JwksStore {
  return {
    get: async (uri) => {
      log.push(`get ${uri}`);
      return data.get(uri);
    },
    set: async (uri, v) => {
      log.push(`set ${uri}`);
      data.set(uri, structuredClone(v));
    },
  };
}

test('jwksStore: a cold cache takes a fresh persisted JWKS with zero requests', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const key = await makeKey('k1');
  server.route('/jwks', json(jwks(key), { 'cache-control': 'max-age=600, stale-if-error=3600' }));
  const data = new Map<string, PersistedJwks>();
  const log: string[] = [];
  const uri = `${server.origin}/jwks`;

  const first = createRemoteKeySource({ jwksUri: uri, jwksStore: storeOver(data, log) });
  t.after(() => first.close());
  assert.equal(await verifyWith(first, await key.sign()), 'k1');
  assert.equal(server.count('/jwks'), 1);
  await new Promise((r) => setImmediate(r));
  const saved = data.get(uri)!;
  assert.ok(saved, 'persisted after the fetch');
  assert.deepEqual(saved.jwks, jwks(key));
  assert.equal(saved.headers['cache-control'], 'max-age=600, stale-if-error=3600');
  assert.ok(Math.abs(saved.fetchedAt - Date.now()) < 60_000);

  const events: RemoteKeyEvent[] = [];
  const cold = createRemoteKeySource({ jwksUri: uri, jwksStore: storeOver(data, log), onEvent: (e) => events.push(e) });
  t.after(() => cold.close());
  assert.equal(await verifyWith(cold, await key.sign({ sub: 'bob' })), 'k1');
  assert.equal(server.count('/jwks'), 1, 'no JWKS request from the cold cache');
  assert.equal(cold.stats().fetches, 0, 'stats count requests only');
  assert.equal(first.stats().fetches, 1);
  assert.equal(
    events.find((e) => e.type === 'refresh')?.type === 'refresh' && (events.find((e) => e.type === 'refresh') as { reason: string }).reason,
    'persisted',
  );
  assert.deepEqual(log, [`get ${uri}`, `set ${uri}`, `get ${uri}`]);
});

test('jwksStore: an expired persisted JWKS is revalidated, and served stale-if-error when the endpoint fails', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const key = await makeKey('k1');
  const uri = `${server.origin}/jwks`;
  const data = new Map<string, PersistedJwks>();
  // Received an hour ago, fresh for 60 s, stale-if-error for a day.
  data.set(uri, { jwks: jwks(key), fetchedAt: Date.now() - 3_600_000, headers: { 'cache-control': 'max-age=60, stale-if-error=86400' } });

  server.route('/jwks', json(jwks(key), { 'cache-control': 'max-age=600' }));
  const revalidating = createRemoteKeySource({ jwksUri: uri, jwksStore: storeOver(data) });
  t.after(() => revalidating.close());
  assert.equal(await verifyWith(revalidating, await key.sign()), 'k1');
  assert.equal(server.count('/jwks'), 1, 'expired: fetched again');

  data.set(uri, { jwks: jwks(key), fetchedAt: Date.now() - 3_600_000, headers: { 'cache-control': 'max-age=60, stale-if-error=86400' } });
  server.route('/jwks', json({ error: 'down' }, {}, 503));
  const events: RemoteKeyEvent[] = [];
  const stale = createRemoteKeySource({ jwksUri: uri, jwksStore: storeOver(data), onEvent: (e) => events.push(e) });
  t.after(() => stale.close());
  assert.equal(await verifyWith(stale, await key.sign()), 'k1');
  assert.equal(server.count('/jwks'), 2);
  assert.ok(
    events.some((e) => e.type === 'stale-served'),
    'stale-served reported',
  );

  // Past stale-if-error as well: the failure surfaces.
  data.set(uri, { jwks: jwks(key), fetchedAt: Date.now() - 3_600_000, headers: { 'cache-control': 'max-age=60, stale-if-error=60' } });
  const tooOld = createRemoteKeySource({ jwksUri: uri, jwksStore: storeOver(data) });
  t.after(() => tooOld.close());
  await rejectsWith(verifyWith(tooOld, await key.sign()), 'ERR_JWKS_FETCH');
});

test('jwksStore: a store that throws, answers garbage or never answers is ignored', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const key = await makeKey('k1');
  const uri = `${server.origin}/jwks`;
  server.route('/jwks', json(jwks(key), { 'cache-control': 'max-age=600' }));
  server.route('/slow', hang);
  const stores: JwksStore[] = [
    {
      get: () => {
        throw new Error('boom');
      },
      set: () => {
        throw new Error('boom');
      },
    },
    { get: async () => Promise.reject(new Error('boom')), set: async () => Promise.reject(new Error('boom')) },
    { get: () => ({ jwks: 'nope', fetchedAt: 'yesterday', headers: null }) as unknown as PersistedJwks, set: () => undefined },
    { get: () => ({ jwks: { keys: [] }, fetchedAt: Date.now(), headers: { 'cache-control': 'max-age=600' } }), set: () => undefined },
    {
      get: () => ({ jwks: jwks(key), fetchedAt: Date.now() + 86_400_000, headers: { 'cache-control': 'max-age=600' } }),
      set: () => undefined,
    },
    { get: () => new Promise<undefined>(() => undefined), set: () => undefined },
  ];
  for (const [i, jwksStore] of stores.entries()) {
    const src = createRemoteKeySource({ jwksUri: uri, jwksStore, timeout: 300 });
    t.after(() => src.close());
    assert.equal(await verifyWith(src, await key.sign()), 'k1', `store ${i}`);
    assert.equal(server.count('/jwks'), i + 1, `store ${i}: fetched over the network`);
  }
  await rejectsWith(
    () => createRemoteKeySource({ jwksUri: uri, jwksStore: { get: () => undefined } as unknown as JwksStore }),
    'ERR_CONFIG',
  );
});
