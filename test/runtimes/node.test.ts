// The WebCrypto backend on Node itself: every Wycheproof vector through it, the verification path
// with the backend switched the way the edge entry switches it, and the sync methods refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier } from '../../src/index.js';
import { signatureBackend, useNodeCrypto, useWebCrypto } from '../../src/jose/backend.js';
import { ALGORITHMS } from '../../src/jose/algorithms.js';
import { cryptoKeyFor, verifySignatureWebCrypto } from '../../src/jose/webcrypto.js';
import { issuerFor } from '../support/sign.js';
import { runSuite } from './suite.js';
import { nodeHooks } from './suite-node.js';
import { assertNodeReference, assertSameAsNode, assertVectors, describeVectors, loadVectors, verifyFixture } from './harness.js';

after(() => useNodeCrypto());

test('every Wycheproof vector through the WebCrypto backend on Node', async (t) => {
  const out = await runSuite({ part: 'wycheproof', files: loadVectors(), modes: ['webcrypto'] }, createVerifier, nodeHooks);
  assertVectors(out.vectors!, ['webcrypto'], 'Node.js');
  // Narrowed everywhere WebCrypto is the backend: secp256k1 (no WebCrypto curve) and Ed448.
  assert.deepEqual(
    out
      .vectors!.filter((r) => r.gap !== undefined)
      .map((r) => r.file)
      .sort(),
    ['ecdsa_secp256k1_sha256_p1363_test.json', 'ed448_test.json'],
  );
  assert.equal(signatureBackend().name, 'node:crypto', 'the suite restores the backend');
  assert.deepEqual([...signatureBackend().asyncViaWebCrypto], [], 'on Node every check stays on node:crypto');
  assert.deepEqual([...signatureBackend().unavailable.keys()], [], 'nothing is narrowed on Node');
  t.diagnostic(describeVectors(out.vectors!));
});

test('the verification path under the WebCrypto backend matches node:crypto; sync methods are ERR_CONFIG', async () => {
  const { input } = await verifyFixture();
  const node = await runSuite(input, createVerifier);
  assertNodeReference(node.verify!);
  assert.deepEqual(node.sync, { ok: true });
  useWebCrypto();
  try {
    const web = await runSuite(input, createVerifier);
    assert.equal(web.backend.name, 'webcrypto');
    assertSameAsNode(node.verify!, web.verify!, 'Node.js', web.backend.unavailable);
    assert.equal(web.sync?.code, 'ERR_CONFIG');
    assert.match(
      web.sync?.message ?? '',
      /synchronous verification is not available on Node\.js: its webcrypto verifies asynchronously only/,
    );
  } finally {
    useNodeCrypto();
  }
});

test('a key is imported into WebCrypto once per algorithm and reused', async () => {
  const iss = await issuerFor({ alg: 'ES256' });
  const token = await iss.sign({ sub: 'x' });
  const [h, p, s] = token.split('.') as [string, string, string];
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  // A key holder as the WebCrypto backend takes it: the public JWK members (and, on Node, the KeyObject).
  const key = { keyObject: iss.publicKey!, jwk: iss.publicKey!.export({ format: 'jwk' }) as Record<string, unknown> };
  assert.equal(await verifySignatureWebCrypto(ALGORITHMS.ES256, key, data, sig), true);
  const first = await cryptoKeyFor(ALGORITHMS.ES256, key);
  assert.ok(first !== undefined);
  assert.equal(await verifySignatureWebCrypto(ALGORITHMS.ES256, key, data, sig), true);
  assert.equal(await cryptoKeyFor(ALGORITHMS.ES256, key), first, 'the same CryptoKey object');
  // Wrong-shaped signatures never reach WebCrypto; a flipped bit is false, not a throw.
  assert.equal(await verifySignatureWebCrypto(ALGORITHMS.ES256, key, data, sig.subarray(1)), false);
  const flipped = Buffer.from(sig);
  flipped[5]! ^= 1;
  assert.equal(await verifySignatureWebCrypto(ALGORITHMS.ES256, key, data, flipped), false);
  // A key WebCrypto cannot take for the alg (an EC key under RS256) is false too.
  assert.equal(await verifySignatureWebCrypto(ALGORITHMS.RS256, key, data, Buffer.alloc(256)), false);
});

test('HS256 ID tokens with the client secret verify through WebCrypto too; a wrong secret fails', async () => {
  const iss = await issuerFor({ alg: 'HS256' });
  const now = Math.floor(Date.now() / 1000);
  const token = await iss.sign({ iss: 'https://hs.example', sub: 'alice', aud: 'client', iat: now, exp: now + 60 });
  useWebCrypto();
  try {
    const ok = createVerifier({
      issuer: 'https://hs.example',
      audience: 'client',
      clientSecret: iss.secret!,
      algorithms: ['HS256'],
      jwks: { keys: [] },
    });
    assert.equal((await ok.verifyIdToken(token)).payload.sub, 'alice');
    const wrong = createVerifier({
      issuer: 'https://hs.example',
      audience: 'client',
      clientSecret: `${iss.secret!}x`,
      algorithms: ['HS256'],
      jwks: { keys: [] },
    });
    await assert.rejects(wrong.verifyIdToken(token), { code: 'ERR_SIGNATURE_INVALID' });
    assert.throws(() => ok.verifyIdTokenSync(token), { code: 'ERR_CONFIG' });
  } finally {
    useNodeCrypto();
  }
});
