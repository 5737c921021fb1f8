// stats() is typed precisely (issue 12 item 5): named, documented, readonly interfaces from the
// public entry. The type assertions below are checked by `npm run typecheck`; the run checks the values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createVerifier,
  importVerificationKey,
  type KeySource,
  type KeySourceStats,
  type RemoteKeyStats,
  type SignatureCacheStats,
  type VerifierStats,
} from '../../src/index.js';
import { AUDIENCE, idTokenClaims, makeIssuer, ISSUER, NOW_S } from '../support/sign.js';

test('a custom key source reports the counters it keeps; the verifier shows them by issuer, and its cache', async () => {
  const es = await makeIssuer('ES256');
  const key = importVerificationKey(es.jwks.keys[0]);
  let lookups = 0;
  const keySource: KeySource = {
    synchronous: true,
    getKeys: () => {
      lookups++;
      return [key];
    },
    stats: (): KeySourceStats => ({ cacheHits: lookups, keys: 1 }),
  };
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keySource, now: () => NOW_S * 1000 });
  await verifier.verifyIdToken(await es.sign(idTokenClaims()));

  const stats: VerifierStats = verifier.stats();
  const cache: SignatureCacheStats | undefined = stats.cache;
  assert.ok(cache !== undefined);
  assert.deepEqual(Object.keys(cache).sort(), ['bytes', 'entries', 'evictions', 'hits', 'misses']);
  assert.equal(cache.misses, 1);
  const issuer = stats[ISSUER] as KeySourceStats;
  const mutate = (s: KeySourceStats): void => {
    // @ts-expect-error counters are readonly
    s.keys = 2;
  };
  assert.equal(typeof mutate, 'function');
  assert.deepEqual(issuer, { cacheHits: 1, keys: 1 });
  verifier.close();
});

test('the remote key counters are the key-source counters, every one present', () => {
  const remote: RemoteKeyStats = {
    fetches: 0,
    discoveryFetches: 0,
    cacheHits: 0,
    errors: 0,
    lastRefresh: undefined,
    keys: 0,
    staleServed: 0,
    cooldownRejections: 0,
  };
  const asSource: KeySourceStats = remote;
  assert.equal(asSource.fetches, 0);
  // @ts-expect-error a remote key source reports every counter
  const partial: RemoteKeyStats = { fetches: 0 };
  assert.ok(partial);
});
