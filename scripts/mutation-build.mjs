#!/usr/bin/env node
// Build step of `npm run test:mutation` (Stryker's buildCommand, run once in its sandbox after
// instrumentation): every src/ and test/ TypeScript file is transpiled to a .js file next to it,
// so each mutant's test process runs plain node instead of loading tsx (half of its time).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'fixtures') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

for (const file of [...walk('src'), ...walk('test')]) {
  const { code } = transformSync(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file });
  writeFileSync(file.replace(/\.ts$/, '.js'), code);
}
