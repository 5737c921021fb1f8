// The file-size rule of `npm run lint`: no module of the library over 350 lines (ESLint
// `max-lines` on src/). The rule must be configured for src/ and hold for every file there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';

const root = new URL('../../', import.meta.url).pathname;
const MAX = 350;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test(`ESLint enforces max-lines ${MAX} on src/ (blank lines and comments count)`, async () => {
  const eslint = new ESLint({ cwd: root });
  const config = (await eslint.calculateConfigForFile(join(root, 'src/verifier.ts'))) as { rules?: Record<string, unknown> };
  const rule = config.rules?.['max-lines'];
  assert.ok(Array.isArray(rule), `max-lines is not configured for src/: ${JSON.stringify(rule)}`);
  assert.ok(rule[0] === 2 || rule[0] === 'error', `max-lines must be an error, got ${JSON.stringify(rule[0])}`);
  assert.deepEqual(rule[1], { max: MAX, skipBlankLines: false, skipComments: false });
});

test(`every file in src/ has at most ${MAX} lines`, () => {
  const over = sources(join(root, 'src'))
    .map((f) => ({ f: relative(root, f), n: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter(({ n }) => n > MAX);
  assert.deepEqual(over, []);
});
