// Deno and Bun, the real binaries of the `deno` and `bun` devDependencies: the package's default
// entry (node:crypto with each runtime's measured gaps), every Wycheproof vector on each path, the
// verification path against Node's outcomes, and remote keys from a 127.0.0.1 JWKS server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier } from '../../src/index.js';
import { json, startServer, type TestServer } from '../support/jwks-server.js';
import { runSuite, type Mode, type SuiteOutput } from './suite.js';
import {
  assertNodeReference,
  assertSameAsNode,
  assertVectors,
  bundle,
  describeVectors,
  loadVectors,
  runCli,
  verifyFixture,
  type VerifyFixture,
} from './harness.js';

let server: TestServer;
let fixture: VerifyFixture;
let node: SuiteOutput;
let script: string;

before(async () => {
  server = await startServer();
  fixture = await verifyFixture(`${server.origin}/jwks`);
  server.route('/jwks', json(fixture.input.jwks, { 'cache-control': 'max-age=300' }));
  node = await runSuite({ ...fixture.input, jwksUrl: undefined }, createVerifier);
  assertNodeReference(node.verify!);
  script = await bundle('main-cli', []);
});

after(() => server.close());

/** What each runtime narrows, measured (see docs/_drafts/runtimes.md). */
const GAPS: Record<'deno' | 'bun', { runtime: string; unavailable: string[]; viaWebCrypto: string[]; modes: Mode[] }> = {
  // node-async is the threadpool path; Deno's is slow on RSA, and its verdicts equal the sync ones.
  deno: {
    runtime: 'Deno',
    unavailable: ['ES256K', 'Ed448'],
    viaWebCrypto: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256'],
    modes: ['node', 'webcrypto'],
  },
  bun: {
    runtime: 'Bun',
    unavailable: ['ES256K', 'Ed448'],
    viaWebCrypto: ['ES256', 'ES384', 'ES512'],
    modes: ['node', 'node-async', 'webcrypto'],
  },
};

for (const bin of ['deno', 'bun'] as const) {
  describe(bin, () => {
    const { runtime, unavailable, viaWebCrypto, modes } = GAPS[bin];

    test(`${bin}: every Wycheproof vector through node:crypto${modes.includes('node-async') ? ', its threadpool' : ''} and WebCrypto`, async (t) => {
      const out = await runCli(bin, script, { part: 'wycheproof', files: loadVectors(), modes });
      assert.equal(out.runtime, runtime);
      assert.deepEqual(out.backend, { name: 'node:crypto', synchronous: true, unavailable, asyncViaWebCrypto: viaWebCrypto });
      // Every algorithm routed to WebCrypto passed all its vectors there (asserted above for the webcrypto mode too).
      for (const alg of viaWebCrypto) assert.ok(modes.includes('webcrypto'), alg);
      assertVectors(out.vectors!, modes, runtime);
      t.diagnostic(`${out.ms} ms in ${runtime}\n${describeVectors(out.vectors!)}`);
    });

    test(`${bin}: claims, key selection and attacks as on Node; remote keys from 127.0.0.1`, async () => {
      const before = server.count('/jwks');
      const out = await runCli(bin, script, fixture.input);
      assertSameAsNode(node.verify!, out.verify!, runtime, unavailable);
      assert.deepEqual(out.sync, { ok: true }, 'synchronous verification works on the node:crypto backend');
      assert.deepEqual(out.remote, {
        'valid-RS256': { ok: true, sub: 'alice' },
        'valid-ES256': { ok: true, sub: 'alice' },
        'valid-EdDSA/Ed25519': { ok: true, sub: 'alice' },
        'other-key-same-kid': out.remote!['other-key-same-kid'],
      });
      assert.equal(out.remote?.['other-key-same-kid']?.code, 'ERR_SIGNATURE_INVALID');
      assert.equal(server.count('/jwks') - before, 1, 'one JWKS fetch served every remote token');
    });
  });
}
