// Cloudflare workerd through miniflare: the test entry bundled by esbuild with the `workerd` and
// `worker` conditions, loading the edge entry (WebCrypto backend). Every Wycheproof vector through
// WebCrypto in the isolate, the verification path against Node's outcomes, remote keys and the
// Hono adapter serving real requests with the JWKS from a 127.0.0.1 server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createVerifier } from '../../src/index.js';
import { json, startServer, type TestServer } from '../support/jwks-server.js';
import { ISSUER as AS_ISSUER, RESOURCE, startFixture, type Fixture } from '../http/helpers.js';
import { runSuite, type SuiteOutput } from './suite.js';
import { assertHashes, hashFixture } from './hash-fixture.js';
import {
  AUDIENCE,
  ISSUER,
  assertNodeReference,
  assertSameAsNode,
  assertVectors,
  bundle,
  describeVectors,
  loadVectors,
  scratch,
  startWorkerd,
  verifyFixture,
  type VerifyFixture,
} from './harness.js';

let server: TestServer;
let fixture: VerifyFixture;
let node: SuiteOutput;
let http: Fixture;
let worker: Awaited<ReturnType<typeof startWorkerd>>;

before(async () => {
  server = await startServer();
  fixture = await verifyFixture(`${server.origin}/jwks`);
  server.route('/jwks', json(fixture.input.jwks, { 'cache-control': 'max-age=300' }));
  node = await runSuite({ ...fixture.input, jwksUrl: undefined }, createVerifier);
  assertNodeReference(node.verify!);
  http = await startFixture();
  const script = await bundle('main-worker', ['workerd', 'worker', 'browser']);
  worker = await startWorkerd(script, { JWKS_URL: http.jwksUrl, ISSUER: AS_ISSUER, AUDIENCE: RESOURCE });
});

after(async () => {
  await worker?.dispose();
  await http?.close();
  await server?.close();
});

async function suite(body: object): Promise<SuiteOutput> {
  const res = await worker.fetch('/suite', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as SuiteOutput;
}

test('workerd: every Wycheproof vector through WebCrypto', async (t) => {
  // workerd's own node:crypto is never the backend there (the edge entry switches to WebCrypto);
  // measured once with modes ['node'] for the docs (127 of 1,198 valid vectors verify), not run here.
  const out = await suite({ part: 'wycheproof', files: loadVectors(), modes: ['webcrypto'] });
  assert.equal(out.runtime, 'workerd');
  assert.deepEqual(out.backend, { name: 'webcrypto', synchronous: false, unavailable: ['ES256K', 'Ed448'], asyncViaWebCrypto: [] });
  assertVectors(out.vectors!, ['webcrypto'], 'workerd');
  t.diagnostic(`${out.ms} ms in workerd\n${describeVectors(out.vectors!)}`);
});

test('workerd: claims, key selection and attacks as on Node; sync is ERR_CONFIG; remote keys from 127.0.0.1', async () => {
  const before = server.count('/jwks');
  const out = await suite(fixture.input);
  assertSameAsNode(node.verify!, out.verify!, 'workerd', ['ES256K', 'Ed448']);
  assert.equal(out.sync?.code, 'ERR_CONFIG');
  assert.match(out.sync?.message ?? '', /synchronous verification is not available on workerd/);
  assert.deepEqual(Object.fromEntries(Object.entries(out.remote!).map(([k, v]) => [k, v.ok ? 'ok' : v.code])), {
    'valid-RS256': 'ok',
    'valid-ES256': 'ok',
    'valid-EdDSA/Ed25519': 'ok',
    'other-key-same-kid': 'ERR_SIGNATURE_INVALID',
  });
  assert.equal(server.count('/jwks') - before, 1, 'one JWKS fetch from the isolate served every remote token');
});

test('workerd: at_hash/c_hash/s_hash, a DPoP-bound token (ath, cnf.jkt, replay), nonce HMAC and hash helpers via WebCrypto; sync helpers ERR_CONFIG', async () => {
  const input = await hashFixture(fixture.issuers, ISSUER, AUDIENCE);
  const reference = await runSuite({ part: 'hashes', hashes: input }, createVerifier);
  assertHashes(input, reference.hashes!, 'Node.js', false);
  const out = await suite({ part: 'hashes', hashes: input });
  assert.equal(out.backend.name, 'webcrypto');
  assertHashes(input, out.hashes!, 'workerd', true);
});

test('workerd: the Hono adapter serves real requests with keys fetched from 127.0.0.1', async () => {
  const before = http.jwksRequests();
  const ok = await worker.fetch('/items', { headers: { authorization: `Bearer ${await http.accessToken()}` } });
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.deepEqual(await ok.json(), { sub: 'alice' });
  const again = await worker.fetch('/items', { headers: { authorization: `Bearer ${await http.accessToken({ sub: 'bob' })}` } });
  assert.deepEqual(await again.json(), { sub: 'bob' });
  assert.equal(http.jwksRequests() - before, 1, 'the isolate fetched the JWKS once');
  const none = await worker.fetch('/items');
  assert.equal(none.status, 401);
  // Bearer and DPoP are both accepted (RFC 9449 §7.2); DPoP offers only what workerd can verify.
  const challenge = none.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer realm="api", DPoP realm="api", algs="[^"]*ES256[^"]*"$/);
  assert.doesNotMatch(challenge, /ES256K/);
  const bad = await worker.fetch('/items', { headers: { authorization: `Bearer ${await http.badSignatureToken()}` } });
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
});

test('workerd: a second, cold isolate verifies from the Workers Cache API store with zero JWKS requests', async (t) => {
  const persist = mkdtempSync(join(scratch(), 'cache-'));
  const script = await bundle('main-worker', ['workerd', 'worker', 'browser']);
  const bindings = { JWKS_URL: http.jwksUrl, ISSUER: AS_ISSUER, AUDIENCE: RESOURCE };
  const start = http.jwksRequests();
  const warm = await startWorkerd(script, bindings, persist);
  const a = await warm.fetch('/items', { headers: { authorization: `Bearer ${await http.accessToken()}` } });
  assert.equal(a.status, 200, await a.clone().text());
  // The Cache API write finishes after the response (ctx.waitUntil): wait for it before the
  // isolate goes away, bounded at 200 polls.
  let stored = false;
  for (let i = 0; i < 200 && !stored; i++) {
    stored = ((await (await warm.fetch('/__stored')).json()) as { stored: boolean }).stored;
    if (!stored) await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(stored, 'the first isolate persisted the JWKS');
  await warm.dispose();
  assert.equal(http.jwksRequests() - start, 1, 'the first isolate fetched the JWKS');

  const cold = await startWorkerd(script, bindings, persist);
  t.after(() => cold.dispose());
  const b = await cold.fetch('/items', { headers: { authorization: `Bearer ${await http.accessToken({ sub: 'carol' })}` } });
  assert.equal(b.status, 200, await b.clone().text());
  assert.deepEqual(await b.json(), { sub: 'carol' });
  assert.equal(http.jwksRequests() - start, 1, 'the cold isolate made no JWKS request');
  // The persisted keys are still checked: a token from another key with the same kid fails.
  const bad = await cold.fetch('/items', { headers: { authorization: `Bearer ${await http.badSignatureToken()}` } });
  assert.equal(bad.status, 401);
});
