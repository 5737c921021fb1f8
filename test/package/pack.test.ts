// The published package, as a user gets it: `npm pack`, install the tarball into a fresh project
// (offline, from the tarball alone), then use it there the ways users do. Catches a file missing
// from `files`, a broken `exports` map and types that do not resolve.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  peerDependencies?: Record<string, string>;
};
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let dir: string;
let app: string;

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Every subpath the package exports, as a specifier (`oidc-verifier`, `oidc-verifier/express`, ...). */
const specifiers = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));

before(() => {
  assert.ok(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: run "npm run build" first (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'oidc-verifier-pack-'));
  // --ignore-scripts: dist/ is already built by `npm test`; prepack would rebuild it.
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], root);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote no tarball');
  app = join(dir, 'app');
  run('mkdir', ['-p', app], dir);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  run('npm', ['install', '--offline', '--no-package-lock', join(dir, tarball)], app);
  // The adapters' optional peers, as a user of an adapter has them installed (linked from this
  // repository's devDependencies: nothing is fetched).
  for (const peer of Object.keys(pkg.peerDependencies ?? {})) {
    const target = join(root, 'node_modules', peer);
    assert.ok(existsSync(target), `devDependency ${peer} (a peer of an adapter) is not installed`);
    mkdirSync(dirname(join(app, 'node_modules', peer)), { recursive: true });
    symlinkSync(target, join(app, 'node_modules', peer), 'dir');
  }
});
after(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds the built package and nothing of the demo, the tests or source maps', () => {
  const installed = join(app, 'node_modules', pkg.name);
  assert.ok(existsSync(join(installed, 'dist/index.js')));
  assert.ok(existsSync(join(installed, 'dist/index.d.ts')));
  assert.ok(existsSync(join(installed, 'README.md')));
  assert.ok(existsSync(join(installed, 'LICENSE')));
  assert.equal(existsSync(join(installed, 'dist/demo')), false);
  assert.equal(existsSync(join(installed, 'src')), false);
  assert.equal(existsSync(join(installed, 'test')), false);
});

test('ESM import of every subpath export', () => {
  const lines = specifiers.map(
    (s) =>
      `const m${specifiers.indexOf(s)} = await import(${JSON.stringify(s)}); if (Object.keys(m${specifiers.indexOf(s)}).length === 0) throw new Error('no exports: ${s}');`,
  );
  writeFileSync(
    join(app, 'esm.mjs'),
    `${lines.join('\n')}\nconst { createVerifier } = await import('${pkg.name}');\nconsole.log(typeof createVerifier);\n`,
  );
  assert.equal(run(process.execPath, ['esm.mjs'], app).stdout.trim(), 'function');
});

test('CommonJS require of the package (Node 20.19+ loads ES modules through require)', () => {
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const { createVerifier, VerifyError } = require('${pkg.name}');\nconsole.log(typeof createVerifier, typeof VerifyError);\n`,
  );
  assert.equal(run(process.execPath, ['cjs.cjs'], app).stdout.trim(), 'function function');
});

for (const moduleResolution of ['node16', 'bundler'] as const) {
  test(`TypeScript resolves the types with moduleResolution ${moduleResolution}`, () => {
    const src = `import { createVerifier, VerifyError, type VerifiedIdToken } from '${pkg.name}';\n${specifiers
      .slice(1)
      .map((s, i) => `import * as sub${i} from '${s}';\nvoid sub${i};`)
      .join(
        '\n',
      )}\nconst v = createVerifier({ issuer: 'https://issuer.example', audience: 'client' });\nexport async function check(t: string): Promise<string> {\n  try {\n    const r: VerifiedIdToken = await v.verifyIdToken(t);\n    return r.payload.sub;\n  } catch (e) {\n    return e instanceof VerifyError ? e.code : 'other';\n  }\n}\n`;
    writeFileSync(join(app, `check-${moduleResolution}.mts`), src);
    writeFileSync(
      join(app, `tsconfig.${moduleResolution}.json`),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: moduleResolution === 'node16' ? 'node16' : 'esnext',
          moduleResolution,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: [`check-${moduleResolution}.mts`],
      }),
    );
    run(process.execPath, [tsc, '-p', `tsconfig.${moduleResolution}.json`], app);
  });
}

test('every TypeScript example of the README type-checks against the installed package', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 4, `README has ${blocks.length} ts blocks`);
  // What the examples take from around them, declared only where a block does not define it.
  const context: Record<string, string> = {
    verifier: "declare const verifier: import('oidc-verifier').Verifier;",
    idToken: 'declare const idToken: string;',
    session: 'declare const session: { nonce: string };',
  };
  const files = blocks.map((code, i) => {
    const declared = Object.entries(context)
      .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code) && !new RegExp(`const ${name}\\b`).test(code))
      .map(([, d]) => d);
    const file = `readme-${i}.mts`;
    writeFileSync(join(app, file), `${declared.join('\n')}\n${code}\nexport {};\n`);
    return file;
  });
  writeFileSync(
    join(app, 'tsconfig.readme.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
        skipLibCheck: true,
      },
      files,
    }),
  );
  run(process.execPath, [tsc, '-p', 'tsconfig.readme.json'], app);
});

test('the oidc-verifier bin runs from the installed package', () => {
  const r = run(join(app, 'node_modules/.bin/oidc-verifier'), ['--help'], app);
  assert.match(r.stdout, /decode/);
  assert.match(r.stdout, /verify/);
});
