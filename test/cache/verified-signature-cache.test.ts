// The verified-signature cache (issue 15): a repeated token skips only its signature check, safely.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, type Verifier } from '../../src/index.js';
import { VerifyError } from '../../src/errors.js';
import { importJwk, type VerificationKey } from '../../src/keys/jwk.js';
import type { KeySource } from '../../src/keys/key-source.js';
import { SIGNATURE_CACHE_DEFAULTS, VerifiedSignatureCache, entryBytes, slotOf } from '../../src/cache/verified-signature-cache.js';
import { makeIssuer, type TestIssuer } from '../support/sign.js';
import { clock, json, jwks, makeKey, rejectsWith, startServer, type TestKey, type TestServer } from '../support/jwks-server.js';

const ISS = 'https://issuer.example';
const AUD = 'client-1';
const T0 = 1_800_000_000; // seconds

let es: TestIssuer;
let other: TestIssuer;

before(async () => {
  [es, other] = await Promise.all([makeIssuer('ES256'), makeIssuer('ES256', { name: 'cache-other' })]);
});

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISS, aud: AUD, sub: 'alice', iat: T0, exp: T0 + 600, ...extra };
}

/** A key source over one key whose signature checks are counted (the verifier reads `keyObject` to check a signature). */
function countingSource(issuer: TestIssuer): { source: KeySource; checks: () => number } {
  const imported = importJwk(issuer.jwk, 0);
  assert.ok('key' in imported);
  const key = imported.key;
  let checks = 0;
  const counted: VerificationKey = {
    ...key,
    get keyObject() {
      checks++;
      return key.keyObject;
    },
  };
  return { source: { synchronous: true, getKeys: () => [counted] }, checks: () => checks };
}

function importedKey(): VerificationKey['keyObject'] {
  const imported = importJwk(es.jwk, 0);
  assert.ok('key' in imported);
  return imported.key.keyObject;
}

function cacheStats(v: Verifier): { hits: number; misses: number; evictions: number; entries: number; bytes: number } {
  return v.stats().cache as never;
}

describe('hits skip the signature check, and only that', () => {
  test('a repeated token is verified once; stats count hits, misses, entries and bytes', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000 });
    const token = await es.sign(claims());
    const first = await v.verifyIdToken(token);
    const second = await v.verifyIdToken(token);
    const third = v.verifyIdTokenSync(token);
    assert.equal(checks(), 1);
    assert.deepEqual(second.payload, first.payload);
    assert.equal(third.payload.sub, 'alice');
    assert.deepEqual(third.key, first.key);
    assert.deepEqual(cacheStats(v), { hits: 2, misses: 1, evictions: 0, entries: 1, bytes: entryBytes(token) });
    // Each result owns its payload: changing one changes no later result.
    assert.notEqual(second.payload, first.payload);
    (first.payload as { sub: string }).sub = 'mallory';
    assert.equal(v.verifyIdTokenSync(token).payload.sub, 'alice');
  });

  test('expiry, token age, nonce and validate are judged again on a hit, against the current clock', async () => {
    const { source, checks } = countingSource(es);
    let now = (T0 + 1) * 1000;
    let validated = 0;
    let refuse = false;
    const v = createVerifier({
      issuer: ISS,
      audience: AUD,
      keySource: source,
      now: () => now,
      maxTokenAge: 300,
      validate: () => {
        validated++;
        if (refuse) throw new Error('account locked');
      },
    });
    const token = await es.sign(claims({ nonce: 'n-1' }));
    await v.verifyIdToken(token, { nonce: 'n-1' });
    // Nonce mismatch on a hit.
    await rejectsWith(v.verifyIdToken(token, { nonce: 'n-2' }), 'ERR_NONCE');
    // The validate hook runs on a hit.
    refuse = true;
    const err = await rejectsWith(v.verifyIdToken(token, { nonce: 'n-1' }), 'ERR_CLAIM_INVALID');
    assert.match(err.message, /account locked/);
    refuse = false;
    assert.equal(validated, 2, 'the validate hook ran on the first call and on the hit (a nonce mismatch fails before it)');
    // iat older than maxTokenAge, while exp is still ahead: a hit, and still refused.
    now = (T0 + 301) * 1000;
    await rejectsWith(v.verifyIdToken(token, { nonce: 'n-1' }), 'ERR_IAT');
    assert.equal(checks(), 1, 'all of the above were hits');
    assert.equal(cacheStats(v).hits, 3);
    // Past exp the entry is gone and the token is refused.
    now = (T0 + 600) * 1000;
    await rejectsWith(v.verifyIdToken(token, { nonce: 'n-1' }), 'ERR_EXPIRED');
    assert.equal(cacheStats(v).entries, 0);
  });

  test('an access token hit still checks requiredScopes; the profile is checked again (typ)', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000 });
    const token = await es.sign(claims({ client_id: 'c', jti: 'j1', scope: 'read' }), { typ: 'at+jwt' });
    await v.verifyAccessToken(token, { requiredScopes: ['read'] });
    await rejectsWith(v.verifyAccessToken(token, { requiredScopes: ['write'] }), 'ERR_SCOPE');
    // The same (cached) token as an ID token: typ at+jwt is refused for an ID token, cache or not.
    await assert.rejects(v.verifyIdToken(token), (e: unknown) => e instanceof VerifyError);
    assert.equal(checks(), 1);
  });
});

describe('only successes are cached', () => {
  test('a bad signature is checked every time and never stored', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000 });
    const forged = await other.sign(claims());
    for (let i = 0; i < 3; i++) await rejectsWith(v.verifyIdToken(forged), 'ERR_SIGNATURE_INVALID');
    assert.equal(checks(), 3);
    assert.deepEqual(cacheStats(v), { hits: 0, misses: 3, evictions: 0, entries: 0, bytes: 0 });
  });

  test('a correctly signed token that fails a claim check is not stored', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000 });
    const wrongAud = await es.sign(claims({ aud: 'someone-else' }));
    for (let i = 0; i < 2; i++) await rejectsWith(v.verifyIdToken(wrongAud), 'ERR_AUDIENCE');
    assert.equal(checks(), 2);
    assert.equal(cacheStats(v).entries, 0);
  });

  test('one changed character is another token: checked in full', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000 });
    const token = await es.sign(claims());
    await v.verifyIdToken(token);
    const last = token.at(-1) === 'A' ? 'Q' : 'A';
    await assert.rejects(v.verifyIdToken(token.slice(0, -1) + last), (e: unknown) => e instanceof VerifyError);
    assert.equal(checks(), 2);
  });

  test('a cached token’s signature on another payload (same last characters, the lookup slot) is checked in full and rejected', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000 });
    const token = await es.sign(claims());
    await v.verifyIdToken(token);
    const [h, , sig] = token.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'mallory' }))).toString('base64url')}.${sig}`;
    assert.equal(slotOf(forged), slotOf(token));
    await assert.rejects(v.verifyIdToken(forged), (e: unknown) => e instanceof VerifyError && e.code === 'ERR_SIGNATURE_INVALID');
    assert.throws(
      () => v.verifyIdTokenSync(forged),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_SIGNATURE_INVALID',
    );
    assert.equal(checks(), 3);
    // The original still hits.
    assert.equal((await v.verifyIdToken(token)).payload.sub, 'alice');
    assert.equal(checks(), 3);
  });

  test('two valid tokens in one slot: each verifies as itself; the later one takes the slot', () => {
    const cache = new VerifiedSignatureCache();
    const key = { keyObject: importedKey() };
    const a = `eyJhIjoxfQ.eyJiIjoxfQ.${'S'.repeat(40)}`;
    const b = `eyJhIjoyfQ.eyJiIjoyfQ.${'S'.repeat(40)}`;
    assert.equal(slotOf(a), slotOf(b));
    cache.add(a, key, 2e12, { alg: 'ES256' }, 0);
    assert.equal(cache.peek(b), undefined);
    assert.equal(cache.peek(a)?.payloadStart, 11);
    cache.add(b, key, 2e12, { alg: 'ES256' }, 0);
    assert.equal(cache.peek(a), undefined);
    assert.equal(cache.confirm(b, cache.peek(b)!, [key], 0), 0);
    assert.deepEqual(cache.stats(), { hits: 1, misses: 0, evictions: 0, entries: 1, bytes: entryBytes(b) });
  });
});

describe('bounds', () => {
  test('LRU by entries: the least recently used goes; a hit refreshes an entry', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000, cache: { maxEntries: 2 } });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => es.sign(claims({ sub }))));
    await v.verifyIdToken(a!);
    await v.verifyIdToken(b!);
    await v.verifyIdToken(a!); // hit: a is now the most recent
    await v.verifyIdToken(c!); // evicts b
    assert.equal(checks(), 3);
    await v.verifyIdToken(a!);
    assert.equal(checks(), 3, 'a stayed');
    await v.verifyIdToken(b!);
    assert.equal(checks(), 4, 'b was evicted');
    assert.equal(cacheStats(v).entries, 2);
    assert.equal(cacheStats(v).evictions, 2);
  });

  test('LRU by bytes, and a token larger than maxBytes is never stored', async () => {
    const { source } = countingSource(es);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => es.sign(claims({ sub }))));
    const maxBytes = entryBytes(a!) * 2 + 10;
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000, cache: { maxBytes } });
    for (const t of [a!, b!, c!]) await v.verifyIdToken(t);
    assert.deepEqual(cacheStats(v), { hits: 0, misses: 3, evictions: 1, entries: 2, bytes: entryBytes(b!) + entryBytes(c!) });
    const tiny = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000, cache: { maxBytes: 100 } });
    await tiny.verifyIdToken(a!);
    assert.equal(cacheStats(tiny).entries, 0);
  });

  test('many distinct valid tokens: entries and bytes stay within the bounds', async () => {
    const { source } = countingSource(es);
    const maxBytes = 20_000;
    const v = createVerifier({
      issuer: ISS,
      audience: AUD,
      keySource: source,
      now: () => (T0 + 1) * 1000,
      cache: { maxEntries: 50, maxBytes },
    });
    for (let i = 0; i < 300; i++) {
      await v.verifyIdToken(await es.sign(claims({ sub: `user-${i}` })));
      const s = cacheStats(v);
      assert.ok(s.entries <= 50 && s.bytes <= maxBytes, `after ${i + 1}: ${JSON.stringify(s)}`);
    }
    const s = cacheStats(v);
    assert.equal(s.evictions + s.entries, 300);
  });
});

describe('per verifier, and off', () => {
  test('two verifiers never share an entry', async () => {
    const { source, checks } = countingSource(es);
    const now = () => (T0 + 1) * 1000;
    const v1 = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now });
    const v2 = createVerifier({ issuer: ISS, audience: 'client-2', keySource: source, now });
    const v3 = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now, algorithms: ['ES384'] });
    const token = await es.sign(claims());
    await v1.verifyIdToken(token);
    await v1.verifyIdToken(token);
    assert.equal(checks(), 1);
    await rejectsWith(v2.verifyIdToken(token), 'ERR_AUDIENCE');
    assert.equal(checks(), 2, 'v2 checked the signature itself');
    await rejectsWith(v3.verifyIdToken(token), 'ERR_ALG_NOT_ALLOWED');
    assert.deepEqual(cacheStats(v2), { hits: 0, misses: 1, evictions: 0, entries: 0, bytes: 0 });
    assert.deepEqual(cacheStats(v3), { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 });
  });

  test('cache: false checks every signature and reports no cache', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000, cache: false });
    const token = await es.sign(claims());
    const r = await v.verifyIdToken(token);
    await v.verifyIdToken(token);
    v.verifyIdTokenSync(token);
    assert.equal(checks(), 3);
    assert.equal(v.stats().cache, undefined);
    assert.equal(r.payload.sub, 'alice');
  });

  test('close() drops every entry', async () => {
    const { source, checks } = countingSource(es);
    const v = createVerifier({ issuer: ISS, audience: AUD, keySource: source, now: () => (T0 + 1) * 1000 });
    const token = await es.sign(claims());
    await v.verifyIdToken(token);
    v.close();
    assert.equal(cacheStats(v).entries, 0);
    assert.equal(cacheStats(v).bytes, 0);
    await v.verifyIdToken(token);
    assert.equal(checks(), 2);
  });

  test('bad cache options are ERR_CONFIG', () => {
    const base = { issuer: ISS, audience: AUD, jwks: es.jwks };
    for (const cache of [
      0,
      'yes',
      null,
      [],
      { maxEntries: 0 },
      { maxEntries: 1.5 },
      { maxBytes: -1 },
      { maxBytes: Infinity },
      { maxEntrys: 10 },
    ]) {
      assert.throws(
        () => createVerifier({ ...base, cache } as never),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG' && /cache/.test(e.message),
        JSON.stringify(cache),
      );
    }
    assert.throws(() => createVerifier({ ...base, cahce: true } as never), /cache/);
    for (const cache of [true, false, {}, { maxEntries: 1, maxBytes: 1 }]) createVerifier({ ...base, cache });
    assert.deepEqual(SIGNATURE_CACHE_DEFAULTS, { maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });
  });
});

describe('an entry dies with its key (real JWKS server on 127.0.0.1)', () => {
  let srv: TestServer;
  let k1: TestKey;
  let k2: TestKey;
  const verifiers: Verifier[] = [];
  before(async () => {
    srv = await startServer();
    [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
  });
  after(async () => {
    for (const v of verifiers) v.close();
    await srv.close();
  });

  let n = 0;
  function setup(body: unknown) {
    const path = `/cache${++n}/jwks`;
    srv.route(path, json(body, { 'cache-control': 'max-age=600' }));
    const c = clock();
    const v = createVerifier({ issuer: ISS, audience: AUD, jwksUri: srv.origin + path, monotonicClock: c.now, now: () => (T0 + 1) * 1000 });
    verifiers.push(v);
    return { v, c, path, requests: () => srv.count(path) };
  }
  const sign = (k: TestKey, sub = 'alice') => k.sign(claims({ sub }));

  test('withdrawn at a refresh: entries dropped at once, the next call is rejected', async () => {
    const t = setup(jwks(k1, k2));
    const [a, b] = await Promise.all([sign(k1), sign(k2)]);
    await t.v.verifyIdToken(a);
    await t.v.verifyIdToken(b);
    await t.v.verifyIdToken(a);
    assert.equal(cacheStats(t.v).hits, 1);
    assert.equal(cacheStats(t.v).entries, 2);
    // k1 is withdrawn; once the cached JWKS is due, the next call refreshes it.
    srv.route(t.path, json(jwks(k2), { 'cache-control': 'max-age=600' }));
    t.c.advance(601_000);
    await t.v.verifyIdToken(b);
    assert.equal(t.requests(), 2);
    assert.equal(cacheStats(t.v).entries, 1, "k1's entry went with the refresh, before any k1 token came again");
    await rejectsWith(t.v.verifyIdToken(a), 'ERR_KEY_NOT_FOUND');
  });

  test('an unchanged key re-imported by a refresh keeps its entries (moved to the new key object)', async () => {
    const t = setup(jwks(k1));
    const a = await sign(k1);
    await t.v.verifyIdToken(a);
    t.c.advance(601_000);
    await t.v.warmUp(); // refetches: a new KeySet, a new VerificationKey object for the same k1
    assert.equal(t.requests(), 2);
    assert.equal(cacheStats(t.v).entries, 1);
    const before = cacheStats(t.v);
    await t.v.verifyIdToken(a);
    assert.equal(cacheStats(t.v).hits, before.hits + 1);
    assert.equal(cacheStats(t.v).misses, before.misses);
  });

  test('a key replaced under the same kid: the old entries die, the new key verifies on its own', async () => {
    const t = setup(jwks(k1));
    const a = await sign(k1);
    await t.v.verifyIdToken(a);
    const impostor = await makeKey('k1'); // another key pair published as "k1"
    srv.route(t.path, json(jwks(impostor), { 'cache-control': 'max-age=600' }));
    t.c.advance(601_000);
    await t.v.warmUp();
    assert.equal(cacheStats(t.v).entries, 0);
    await rejectsWith(t.v.verifyIdToken(a), 'ERR_SIGNATURE_INVALID');
    await t.v.verifyIdToken(await sign(impostor));
  });
});
