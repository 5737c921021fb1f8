// The published package, as a user gets it: `npm pack`, install the tarball into a fresh project
// (offline, from the tarball alone), then use it there the ways users do. Catches a file missing
// from `files`, a broken `exports` map and types that do not resolve.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

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

/** A ```ts block of README.md or a docs page, with the marker the line before it carries. */
interface DocExample {
  /** `docs/api.md:60`: the page and the line of the opening fence. */
  readonly where: string;
  /** The file name it is type-checked under (`docs-api-md-60.mts`). */
  readonly name: string;
  /** `run`: runs offline to completion; `typecheck`: needs a real issuer or serves forever. */
  readonly mode: 'run' | 'typecheck' | undefined;
  /** A platform whose globals the block uses (`workers`), from `env=...` in the marker. */
  readonly env: string | undefined;
  readonly code: string;
}

const MARKER = /^<!-- example: (run|typecheck)(?: env=(\w+))? -->$/;

/** Every ```ts block of README.md and docs/*.md, in page order. */
function docExamples(): DocExample[] {
  const pages = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const out: DocExample[] = [];
  for (const page of pages) {
    const lines = readFileSync(join(root, page), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      // A block may be indented (inside a list item): its lines lose that indentation.
      const fence = /^( *)```(\S*)/.exec(lines[i]!);
      if (!fence) continue;
      const indent = fence[1]!.length;
      const end = lines.findIndex((l, j) => j > i && l.trimStart().startsWith('```'));
      assert.ok(end > i, `${page}:${i + 1}: unclosed code block`);
      const lang = fence[2]!;
      if (page.startsWith('docs/')) {
        assert.ok(
          !['js', 'javascript', 'mjs', 'cjs', 'tsx', 'typescript'].includes(lang),
          `${page}:${i + 1}: write code examples as \`\`\`ts so the packaging test checks them`,
        );
      }
      if (lang === 'ts') {
        let m = i - 1;
        while (m >= 0 && lines[m]!.trim() === '') m--;
        const marker = MARKER.exec(m >= 0 ? lines[m]!.trim() : '');
        out.push({
          where: `${page}:${i + 1}`,
          name: `${page.replace(/[^a-z0-9]+/gi, '-')}-${i + 1}.mts`.toLowerCase(),
          mode: marker ? (marker[1] as 'run' | 'typecheck') : undefined,
          env: marker?.[2],
          code: lines
            .slice(i + 1, end)
            .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
            .join('\n'),
        });
      }
      i = end;
    }
  }
  return out;
}

/**
 * Declarations for the globals of a platform other than Node that a block names (module-scoped,
 * so they reach that block only): what `@cloudflare/workers-types` declares, cut to what is used.
 */
const platforms: Record<string, string> = {
  workers: [
    'interface ExecutionContext { waitUntil(promise: Promise<unknown>): void; passThroughOnException(): void; props: unknown }',
    'declare const caches: { readonly default: { match(key: string): Promise<Response | undefined>; put(key: string, response: Response): Promise<void> } };',
  ].join('\n'),
};

/**
 * What the README's blocks take from the text around them (README.md has no markers yet: its
 * blocks are type-checked with these declarations, only where a block does not define the name).
 */
const readmeContext: Record<string, string> = {
  verifier: "declare const verifier: import('oidc-verifier').Verifier;",
  idToken: 'declare const idToken: string;',
  session: 'declare const session: { nonce: string };',
};

/**
 * A block that lists an interface the package exports (`interface ReplayStore { ... }`) must
 * list it as it is: the listing and the exported type must be assignable both ways. `exports`
 * is the text of the installed package's index.d.ts; a block's own interfaces are left alone.
 */
function sameAsExported(code: string, exports: string): string {
  const names = [...code.matchAll(/^(?:export )?interface (\w+)/gm)]
    .map((m) => m[1]!)
    .filter((n) => new RegExp(`\\b${n}\\b`).test(exports));
  if (names.length === 0) return '';
  return [
    "import type * as exported from 'oidc-verifier';",
    'type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;',
    ...names.map((n) => `export const same${n}: Same<${n}, exported.${n}> = true;`),
  ].join('\n');
}

/**
 * Loaded with --import before a runnable example: a connection to anything but loopback is
 * refused before any packet leaves (also when the library would turn the failure into a
 * VerifyError), and the process then exits with 1 and says where it tried to go.
 */
const NETWORK_GUARD = `import net from 'node:net';
const allowed = (host) => host === 'localhost' || host === '::1' || /^127\\./.test(String(host));
const refused = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const [first, second] = Array.isArray(args[0]) ? args[0] : args;
  const host = typeof first === 'object' && first !== null ? (first.path ? 'localhost' : (first.host ?? 'localhost')) : typeof second === 'string' ? second : 'localhost';
  if (!allowed(host)) {
    refused.push(host);
    throw new Error('example network guard: only loopback may be reached, not ' + host);
  }
  return connect.apply(this, args);
};
process.on('exit', () => {
  if (refused.length > 0) {
    process.stderr.write('example network guard: tried to reach ' + refused.join(', ') + '\\n');
    process.exitCode = 1;
  }
});
`;

/** Environment a runnable example reads (secrets it names, never real ones). */
const exampleEnv = { INTROSPECTION_SECRET: 'example-introspection-secret' };

test('every ```ts example of README.md and docs/*.md carries a marker and type-checks (strict) against the installed package', () => {
  const examples = docExamples();
  const docs = examples.filter((e) => e.where.startsWith('docs/'));
  assert.ok(docs.length >= 17, `docs/ has ${docs.length} ts blocks`);
  assert.ok(examples.length - docs.length >= 4, `README has ${examples.length - docs.length} ts blocks`);
  const unmarked = docs.filter((e) => e.mode === undefined).map((e) => e.where);
  assert.deepEqual(unmarked, [], 'every ```ts block in docs/ needs <!-- example: run --> or <!-- example: typecheck --> before it');
  for (const e of examples) assert.ok(e.env === undefined || e.env in platforms, `${e.where}: unknown env=${e.env}`);
  mkdirSync(join(app, 'examples'), { recursive: true });
  const exports = readFileSync(join(app, 'node_modules', pkg.name, 'dist/index.d.ts'), 'utf8');
  for (const e of examples) {
    const readme = e.where.startsWith('README.md')
      ? Object.entries(readmeContext)
          .filter(([name]) => new RegExp(`\\b${name}\\b`).test(e.code) && !new RegExp(`const ${name}\\b`).test(e.code))
          .map(([, d]) => d)
      : [];
    const prelude = [`// ${e.where}`, ...readme, e.env === undefined ? '' : platforms[e.env]!].join('\n');
    writeFileSync(join(app, 'examples', e.name), `${prelude}\n${e.code}\n${sameAsExported(e.code, exports)}\nexport {};\n`);
  }
  writeFileSync(
    join(app, 'tsconfig.examples.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmitOnError: true,
        rootDir: 'examples',
        outDir: 'examples-out',
        target: 'ES2022',
        lib: ['ES2022'], // no DOM: a Node example may use only what Node has
        module: 'node16',
        moduleResolution: 'node16',
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
        skipLibCheck: true,
      },
      files: examples.map((e) => `examples/${e.name}`),
    }),
  );
  run(process.execPath, [tsc, '-p', 'tsconfig.examples.json'], app);
});

test('every example marked "run" runs offline as printed and prints what its "// prints:" comments say', async (t) => {
  const runnable = docExamples().filter((e) => e.mode === 'run');
  assert.ok(runnable.length >= 6, `${runnable.length} runnable examples`);
  const guard = join(app, 'network-guard.mjs');
  writeFileSync(guard, NETWORK_GUARD);
  for (const e of runnable) {
    await t.test(e.where, () => {
      const file = join(app, 'examples-out', e.name.replace(/\.mts$/, '.mjs'));
      assert.ok(existsSync(file), `${e.where} was not compiled (see the type-check test)`);
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(guard).href, file], {
        cwd: app,
        encoding: 'utf8',
        timeout: 30_000,
        killSignal: 'SIGKILL',
        env: { PATH: process.env.PATH, ...exampleEnv },
      });
      assert.equal(r.signal, null, `${e.where} did not finish within 30 s`);
      assert.equal(r.status, 0, `${e.where} failed:\n${r.stdout}\n${r.stderr}`);
      assert.equal(r.stderr, '', `${e.where} wrote to stderr`);
      const expected = [...e.code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]!.trim());
      const printed = r.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.trim());
      assert.deepEqual(printed, expected, `${e.where}: its output differs from its "// prints:" comments`);
    });
  }
});

test('the network guard of the examples refuses a non-loopback connection before it is made', () => {
  // The real connect is replaced by a recorder first, so nothing can leave even if the guard failed.
  const probe = join(app, 'guard-probe.mjs');
  writeFileSync(
    probe,
    `import net from 'node:net';
const reached = [];
net.Socket.prototype.connect = function (...args) { reached.push(args); return this; };
await import(${JSON.stringify(pathToFileURL(join(app, 'network-guard.mjs')).href)});
let threw = false;
try { net.connect({ host: 'login.example.com', port: 443 }); } catch { threw = true; }
net.connect({ host: '127.0.0.1', port: 9 }).on('error', () => {});
console.log(threw, reached.length);
`,
  );
  writeFileSync(join(app, 'network-guard.mjs'), NETWORK_GUARD);
  const r = spawnSync(process.execPath, [probe], { cwd: app, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.stdout.trim(), 'true 1');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /tried to reach login\.example\.com/);
});

test('the oidc-verifier bin runs from the installed package', () => {
  const r = run(join(app, 'node_modules/.bin/oidc-verifier'), ['--help'], app);
  assert.match(r.stdout, /decode/);
  assert.match(r.stdout, /verify/);
});
