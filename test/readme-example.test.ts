// The README's offline example must run as printed: it is extracted from README.md and run with
// node against the built package, the way a reader would after `npm run build`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

test('README example.mjs verifies the Asgardeo sample token token offline', () => {
  assert.ok(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: run "npm run build" first (npm test does)');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /```js\n(\/\/ example\.mjs[^\n]*\n[\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ```js block starting with "// example.mjs"');
  // In the repo root, as the example says, so its './dist/index.js' import resolves.
  const file = join(root, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, block[1]!);
  try {
    const run = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, `example failed:\n${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /_RS256 Alica@bifrost\.com\n$/);
  } finally {
    rmSync(file, { force: true });
  }
});
