/**
 * `npm start` as a user runs it: the built `node dist/demo/main.js`, in its own process.
 * The build is brought up to date first when src/ is newer than dist/ (under `npm test` it is not).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { freePort } from '../support/child-process.js';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { newestSource } from '../support/newest-source.js';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/demo/main.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo; once `watch` returns a promise for the output so far, the demo is stopped (SIGTERM) after it settles. */
function runDemo(args: string[], watch?: (stdout: string) => Promise<unknown> | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stopping = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const done = stopping ? undefined : watch?.(stdout);
      if (done !== undefined) {
        stopping = true;
        void done.catch(() => undefined).finally(() => child.kill('SIGTERM'));
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('npm start (node dist/demo/main.js)', () => {
  before(() => {
    if (existsSync(main) && statSync(main).mtimeMs >= newestSource(join(root, 'src'))) return;
    const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, `build failed:\n${build.stdout}${build.stderr}`);
  });

  test('--once: every check passes, exit 0', async () => {
    const r = await runDemo(['--once']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const line of [
      /✓ provider\s+http:\/\/127\.0\.0\.1:\d+, RS256 key/,
      /✓ authorization code flow\s+PKCE S256, nonce, state/,
      /✓ discovery\s+http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration → jwks_uri/,
      /✓ ID token signature\s+RS256/,
      /✓ nonce\s+matches/,
      /✓ JWT access token \(RFC 9068\)\s+typ at\+jwt/,
      /✓ c_hash\s+\S+ matches the code/,
      /✓ at_hash\s+\S+ matches the access token/,
      /✓ tampered ID token\s+rejected with ERR_SIGNATURE_INVALID/,
      /✓ JWKS fetched once/,
      /All \d+ checks passed \(code flow \d+ ms, total [\d.]+ s\)\./,
    ]) {
      assert.match(r.stdout, line);
    }
    assert.doesNotMatch(r.stdout, /✗/);
    // oidc-provider's development notices are summarised, not dumped.
    assert.doesNotMatch(r.stderr, /oidc-provider (WARNING|NOTICE)/);
  });

  test("--port and --alg choose the provider's port and algorithm", async () => {
    const port = await freePort();
    const r = await runDemo(['--once', '--port', String(port), '--alg', 'EdDSA']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`✓ provider\\s+http://127\\.0\\.0\\.1:${port}, EdDSA key`));
    assert.match(r.stdout, /✓ ID token signature\s+EdDSA/);
  });

  test('a bad option exits 2 with the usage', async () => {
    const r = await runDemo(['--port', 'eighty']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port must be a port number/);
    assert.match(r.stderr, /Usage: npm start/);
  });

  test('without --once: the inspector keeps running, pre-filled with the tokens; SIGTERM stops both', async () => {
    let page = '';
    let verdict = '';
    const cli: { command: string; status: number | null; output: string }[] = [];
    const r = await runDemo([], (out) => {
      const url = /Inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url === undefined) return undefined;
      return (async () => {
        page = await (await fetch(url)).text();
        // The inspector checks the demo's ID token against the provider, which is still up.
        const token = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.exec(page)?.[0];
        const issuer = /✓ provider\s+(http:\/\/127\.0\.0\.1:\d+),/.exec(out)?.[1];
        const res = await fetch(new URL('api/verify', url), {
          method: 'POST',
          headers: { origin: new URL(url).origin, 'content-type': 'application/json' },
          body: JSON.stringify({ token, issuer, audience: 'demo-client', type: 'id' }),
        });
        verdict = ((await res.json()) as { verdict?: string }).verdict ?? `HTTP ${res.status}`;
        // The printed CLI commands verify the written tokens against the running provider.
        for (const command of out.match(/^ {2}node dist\/cli\/main\.js verify .*$/gm) ?? []) {
          const r = spawnSync('sh', ['-c', command.trim()], {
            cwd: root,
            encoding: 'utf8',
            env: { ...process.env, NO_COLOR: '1' },
            timeout: 30_000,
          });
          cli.push({ command, status: r.status, output: r.stdout + r.stderr });
        }
      })();
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Inspector: http:\/\/127\.0\.0\.1:\d+\/ .*pre-filled/);
    const issuer = /✓ provider\s+(http:\/\/127\.0\.0\.1:\d+),/.exec(r.stdout)?.[1];
    assert.ok(issuer !== undefined && page.includes(issuer), 'the inspector page carries the demo issuer');
    assert.match(page, /ID token \(hybrid, at_hash \+ c_hash\)/);
    assert.match(page, /JWT access token \(RFC 9068\)/);
    assert.equal(verdict, 'valid');
    assert.equal(cli.length, 2, `two printed CLI commands, got:\n${r.stdout}`);
    for (const c of cli) assert.equal(c.status, 0, `${c.command}\n${c.output}`);
    const dir = /The verified tokens are in (\S+) /.exec(r.stdout)?.[1];
    assert.ok(dir !== undefined && !existsSync(dir), 'the token folder is removed on exit');
  });
});
