// The layer rule of `npm run lint` (.dependency-cruiser.cjs) must catch what it promises: an upward
// import and a cycle fail, the same tree without them passes. Run on a small planted tree.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cruise(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'layer-rule-'));
  dirs.push(dir);
  copyFileSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'planted', type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs'],
    {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: r.status, out: r.stdout + r.stderr };
}

const base = {
  'src/errors.ts': 'export const E = 1;\n',
  'src/jose/compact.ts': "import { E } from '../errors.js';\nexport const C = E;\n",
  'src/verifier.ts': "import { C } from './jose/compact.js';\nexport const V = C;\n",
};

test('a tree that imports only downward passes', () => {
  const r = cruise(base);
  assert.equal(r.status, 0, r.out);
});

test('a planted upward import (jose → verifier) fails and names the rule', () => {
  const r = cruise({ ...base, 'src/jose/planted.ts': "import { V } from '../verifier.js';\nexport const P = V;\n" });
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /layer-jose/);
  assert.match(r.out, /src\/jose\/planted\.ts → src\/verifier\.ts/);
});

test('a cycle inside one layer fails', () => {
  const r = cruise({
    ...base,
    'src/keys/a.ts': "import { B } from './b.js';\nexport const A = 1;\nexport const AB = B;\n",
    'src/keys/b.ts': "import { A } from './a.js';\nexport const B = A;\n",
  });
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /no-cycles/);
});

test('the inspector importing the CLI fails', () => {
  const r = cruise({
    ...base,
    'src/cli/time.ts': 'export const T = 1;\n',
    'src/inspector/page.ts': "import { T } from '../cli/time.js';\nexport const P = T;\n",
  });
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /inspector-not-cli/);
});
