// The edge entries, bundled the way a user's bundler does it for a browser (esbuild, platform
// `browser`, the `browser` condition, nothing external): the bundle must build and hold no `node:`
// import and no `require(`, so it runs where node:crypto does not exist (browsers, workerd
// without nodejs_compat). The depcruise rule `edge-no-node` keeps the same in the source graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';

const ROOT = new URL('../../', import.meta.url).pathname;

for (const entry of ['src/edge.ts', 'src/adapters/hono-edge.ts']) {
  test(`${entry} bundles for the browser with no node: import and no require(`, async () => {
    const r = await build({
      entryPoints: [ROOT + entry],
      bundle: true,
      platform: 'browser',
      conditions: ['browser'],
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    assert.deepEqual(
      imports.filter((p) => p.startsWith('node:') || /^(crypto|buffer|worker_threads|perf_hooks|timers|http|fs)$/.test(p)),
      [],
    );
    const text = r.outputFiles[0]!.text;
    assert.doesNotMatch(text, /\brequire\(/);
    assert.doesNotMatch(text, /["']node:/);
    // The edge entry reaches the key import, the WebCrypto backend and the WebCrypto hashes; no
    // hand-rolled hash is left (sha2.ts is gone, and no SHA-256 round constant is in the bundle).
    const inputs = Object.keys(r.metafile.inputs);
    if (entry === 'src/edge.ts') {
      for (const f of ['src/keys/jwk.ts', 'src/jose/webcrypto.ts', 'src/jose/digest.ts'])
        assert.ok(inputs.includes(f), `${f} is in the bundle`);
      assert.ok(!inputs.includes('src/jose/sha2.ts'));
      assert.doesNotMatch(text, /0x428a2f98|1116352408/i, 'no SHA-256 round constant (a hand-rolled hash) in the bundle');
    }
    for (const f of ['src/jose/dispatch.ts', 'src/jose/worker-lane.ts', 'src/jose/signature.ts', 'src/concurrency/node-platform.ts']) {
      assert.ok(!inputs.includes(f), `${f} is Node-only`);
    }
  });
}
