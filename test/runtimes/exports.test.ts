// The package's export conditions, resolved by esbuild as a Workers / browser build and as a Node
// build would resolve them: `workerd`, `worker` and `browser` load the WebCrypto entries, anything
// else (node, deno, bun) the node:crypto ones. Runs against dist/ (npm test builds first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT, scratch } from './harness.js';

async function resolved(conditions: string[], platform: 'browser' | 'node'): Promise<string[]> {
  const modules = join(scratch(), 'exports-node_modules');
  if (!existsSync(join(modules, 'oidc-verifier'))) {
    mkdirSync(modules, { recursive: true });
    symlinkSync(ROOT, join(modules, 'oidc-verifier'), 'dir');
  }
  const r = await build({
    stdin: {
      contents: "export { createVerifier } from 'oidc-verifier';\nexport { requireToken } from 'oidc-verifier/hono';\n",
      resolveDir: scratch(),
      loader: 'js',
    },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform,
    conditions,
    nodePaths: [modules],
    external: ['node:*', 'hono'],
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs).map((p) => p.replace(/^.*?dist\//, 'dist/'));
}

test('export conditions: workerd, worker and browser load the WebCrypto entries; node, deno and bun do not', async () => {
  assert.ok(existsSync(join(ROOT, 'dist/edge.js')), 'dist/ is missing: run "npm run build" first (npm test does)');
  for (const c of ['workerd', 'worker', 'browser']) {
    const inputs = await resolved([c], 'browser');
    assert.ok(inputs.includes('dist/edge.js'), `${c}: ${inputs.join(', ')}`);
    assert.ok(inputs.includes('dist/adapters/hono-edge.js'), `${c}: hono-edge`);
  }
  for (const c of ['node', 'deno', 'bun']) {
    const inputs = await resolved([c], 'node');
    assert.ok(inputs.includes('dist/index.js') && !inputs.includes('dist/edge.js'), `${c}: ${inputs.join(', ')}`);
    assert.ok(!inputs.includes('dist/adapters/hono-edge.js'), `${c}: hono`);
  }
});
