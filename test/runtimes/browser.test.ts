// A real browser: Chromium (test/support/chromium.ts finds it; a missing one is a failure with an
// install hint) through playwright-core. The library is bundled for the `browser` condition with
// esbuild, no externals, as a user's bundler would; a page, the bundle and a JWKS (on a second
// 127.0.0.1 origin, with CORS headers) come from local servers. In the page: every Wycheproof
// vector through WebCrypto, the verification path (RS256, PS256, ES256/384/512, EdDSA; alg none,
// a wrong key, a tampered payload, an expired token...) against Node's outcomes, and remote keys.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createVerifier } from '../../src/index.js';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.js';
import { startServer, type Handler, type TestServer } from '../support/jwks-server.js';
import { runSuite, type SuiteInput, type SuiteOutput } from './suite.js';
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
  verifyFixture,
  type VerifyFixture,
} from './harness.js';

const RUNTIME = 'this browser';

let site: TestServer;
let keys: TestServer;
let fixture: VerifyFixture;
let node: SuiteOutput;
let browser: Browser;
let page: Page;
const requests: string[] = [];

/** The JWKS on another origin: CORS (Fetch standard §3.2) lets the page's origin read it. */
function corsJson(body: unknown, origin: () => string): Handler {
  return (req, res) => {
    res.setHeader('access-control-allow-origin', origin());
    res.setHeader('access-control-allow-methods', 'GET');
    res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '');
    res.setHeader('access-control-expose-headers', 'cache-control, expires, date, age');
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'max-age=300');
    res.end(JSON.stringify(body));
  };
}

before(async () => {
  site = await startServer();
  keys = await startServer();
  fixture = await verifyFixture(`${keys.origin}/jwks`);
  keys.route(
    '/jwks',
    corsJson(fixture.input.jwks, () => site.origin),
  );
  node = await runSuite({ ...fixture.input, jwksUrl: undefined }, createVerifier);
  assertNodeReference(node.verify!);
  const script = readFileSync(await bundle('main-browser', ['browser']), 'utf8');
  site.route('/', (_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      '<!doctype html><meta charset="utf-8"><title>oidc-verifier in a browser</title><script type="module" src="/bundle.mjs"></script>',
    );
  });
  site.route('/bundle.mjs', (_req, res) => {
    res.setHeader('content-type', 'text/javascript; charset=utf-8');
    res.end(script);
  });
  browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  context.on('request', (r) => requests.push(r.url()));
  page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => (globalThis as unknown as { suiteReady?: boolean }).suiteReady === true, undefined, { timeout: 30_000 });
  assert.deepEqual(errors, [], 'the bundle loads without errors');
});

after(async () => {
  await browser?.close();
  await site?.close();
  await keys?.close();
});

function inPage(input: SuiteInput): Promise<SuiteOutput> {
  return page.evaluate((i) => (globalThis as unknown as { runSuite: (input: SuiteInput) => Promise<SuiteOutput> }).runSuite(i), input);
}

test('browser: every Wycheproof vector through WebCrypto', async (t) => {
  const out = await inPage({ part: 'wycheproof', files: loadVectors(), modes: ['webcrypto'] });
  assert.equal(out.runtime, RUNTIME);
  assert.deepEqual(out.backend, { name: 'webcrypto', synchronous: false, unavailable: ['ES256K', 'Ed448'], asyncViaWebCrypto: [] });
  assertVectors(out.vectors!, ['webcrypto'], RUNTIME);
  t.diagnostic(`${out.ms} ms in Chromium\n${describeVectors(out.vectors!)}`);
});

test('browser: RS256, PS256, ES256/384/512 and EdDSA verify; none, a wrong key, a tampered payload, an expiry fail as on Node; remote keys from another 127.0.0.1 origin', async () => {
  const before = keys.count('/jwks');
  const out = await inPage(fixture.input);
  assertSameAsNode(node.verify!, out.verify!, RUNTIME, ['ES256K', 'Ed448']);
  for (const name of ['valid-RS256', 'valid-PS256', 'valid-ES256', 'valid-ES384', 'valid-ES512', 'valid-EdDSA/Ed25519']) {
    assert.deepEqual(out.verify![name], { ok: true, sub: 'alice' }, name);
  }
  assert.equal(out.verify!['alg-none']!.code, 'ERR_ALG_NOT_ALLOWED');
  assert.equal(out.verify!['other-key-same-kid']!.code, 'ERR_SIGNATURE_INVALID');
  assert.equal(out.verify!['tampered-payload']!.code, 'ERR_SIGNATURE_INVALID');
  assert.equal(out.verify!['expired']!.code, 'ERR_EXPIRED');
  assert.equal(out.sync?.code, 'ERR_CONFIG');
  assert.match(out.sync?.message ?? '', /synchronous verification is not available on this browser/);
  assert.deepEqual(Object.fromEntries(Object.entries(out.remote!).map(([k, v]) => [k, v.ok ? 'ok' : v.code])), {
    'valid-RS256': 'ok',
    'valid-ES256': 'ok',
    'valid-EdDSA/Ed25519': 'ok',
    'other-key-same-kid': 'ERR_SIGNATURE_INVALID',
  });
  assert.equal(keys.count('/jwks') - before, 1, 'one JWKS fetch from the page served every remote token');
  // The page talked to nobody but the two local servers.
  for (const url of requests) assert.ok(url.startsWith(site.origin) || url.startsWith(keys.origin), url);
});

test('browser: at_hash/c_hash/s_hash, a DPoP-bound token (ath, cnf.jkt, replay), nonce HMAC and hash helpers via WebCrypto; sync helpers ERR_CONFIG', async () => {
  const input = await hashFixture(fixture.issuers, ISSUER, AUDIENCE);
  const out = await inPage({ part: 'hashes', hashes: input });
  assert.equal(out.backend.name, 'webcrypto');
  assertHashes(input, out.hashes!, RUNTIME, true);
});
