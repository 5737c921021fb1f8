/**
 * Second security audit of the CLI, against the BUILT binary: C1 and bidi controls from tokens and
 * server documents never reach the terminal raw (human and --json output), every file argument is
 * read by one bounded, type-checked reader, deeply nested JSON is a clear ERR_MALFORMED, and
 * secrets on the command line are warned about.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifyError } from '../../src/errors.js';
import { decodeToken } from '../../src/report/decode-token.js';
import { parseJwksText } from '../../src/report/input-text.js';
import { MAX_JSON_DEPTH, deeperThanLimit, nestedTooDeep } from '../../src/report/json-depth.js';
import { assertBuilt, BIN, ROOT, cli, errorLines } from './run-cli.js';
import { startLocalIssuer, type LocalIssuer } from './test-issuer.js';

/** DEL, C1 (U+009B is an 8-bit CSI), bidi embeddings, overrides, isolates and marks. */
const DANGEROUS = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = 'user-\u202e1337-nimda \u009b2J \u2066x\u2069 \u200f\u061c\u007f';
const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const unsigned = (header: unknown, payload: unknown): string => `${b64(header)}.${b64(payload)}.c2ln`;
const now = (): number => Math.floor(Date.now() / 1000);

function nested(depth: number): string {
  // depth counts the outer object: {"a":[[...]]}
  return `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

let dir: string;
before(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'oidc-sec-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('terminal output: C1 and bidi controls are escaped', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // The document's issuer differs from the configured one by a CSI "clear screen" and an override.
      res.end(JSON.stringify({ issuer: `${base}\u009b2J\u202e`, jwks_uri: `${base}/jwks` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );

  it('a discovery document whose issuer holds U+009B and U+202E: the error line and --json', async () => {
    for (const args of [
      ['discover', base],
      ['jwks', base],
      ['verify', '--issuer', base, '--audience', 'a'],
    ]) {
      const r = await cli(args, { input: unsigned({ alg: 'RS256' }, { iss: base, aud: 'a', sub: 'u', exp: now() + 60 }) });
      assert.equal(r.code, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout + r.stderr, DANGEROUS, `${args[0]} wrote a raw control`);
      const line = errorLines(r.stderr).join('\n') + r.stdout;
      assert.match(line, /ERR_DISCOVERY|ERR_JWKS_FETCH/);
      assert.ok(line.includes('\\u009b2J\\u202e'), `${args[0]}: the escape is visible: ${line}`);

      const j = await cli([...args, '--json'], { input: unsigned({ alg: 'RS256' }, { iss: base, aud: 'a', sub: 'u', exp: now() + 60 }) });
      assert.equal(j.code, 2);
      assert.doesNotMatch(j.stdout + j.stderr, DANGEROUS, `${args[0]} --json wrote a raw control`);
      const parsed = JSON.parse(j.stdout) as { error: { code: string; message: string } };
      assert.match(parsed.error.code, /^(ERR_DISCOVERY|ERR_JWKS_FETCH)$/);
      assert.ok(parsed.error.message.includes('\u009b2J\u202e'), 'JSON escapes, parsed, give the same characters back');
    }
  });

  it('tokens holding them: decode, human and --json, names and values', async () => {
    const token = unsigned({ alg: 'RS256', kid: 'k\u009b' }, { sub: HOSTILE, ['\u202eclaim']: 'x', email: 'a@evil\u202emoc.example' });
    const human = await cli(['decode', '-'], { input: token });
    assert.equal(human.code, 0, human.stderr);
    assert.doesNotMatch(human.stdout + human.stderr, DANGEROUS);
    assert.ok(human.stdout.includes('user-\\u202e1337-nimda \\u009b2J \\u2066x\\u2069 \\u200f\\u061c\\u007f'), human.stdout);
    assert.ok(human.stdout.includes('"\\u202eclaim"'));
    const json = await cli(['decode', '-', '--json'], { input: token });
    assert.doesNotMatch(json.stdout, DANGEROUS);
    const j = JSON.parse(json.stdout) as { header: { kid: string }; payload: Record<string, string> };
    assert.equal(j.payload.sub, HOSTILE);
    assert.equal(j.payload['\u202eclaim'], 'x');
    assert.equal(j.header.kid, 'k\u009b');
  });

  it('an option value echoed in an error (--alg) is escaped: verify writes its own error line', async () => {
    const token = unsigned({ alg: 'RS256' }, { sub: 'u' });
    const v = await cli(['verify', '-', '--issuer', 'https://a.example', '--audience', 'a', '--alg', 'RS256\u009b2J'], { input: token });
    assert.equal(v.code, 2, v.stdout + v.stderr);
    assert.doesNotMatch(v.stdout + v.stderr, DANGEROUS);
    assert.ok(v.stderr.includes('RS256\\u009b2J'), v.stderr);
    const vj = await cli(['verify', '-', '--issuer', 'https://a.example', '--audience', 'a', '--alg', 'RS256\u009b2J', '--json'], {
      input: token,
    });
    assert.doesNotMatch(vj.stdout + vj.stderr, DANGEROUS);
    assert.ok((JSON.parse(vj.stdout) as { error: { message: string } }).error.message.includes('RS256\u009b2J'));
  });
});

describe('file arguments: one bounded, type-checked reader', () => {
  let fifo: string;
  let big: string;
  let passwdLink: string;
  let jwksFile: string;
  before(() => {
    fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    big = join(dir, 'big.json');
    writeFileSync(big, `{"keys":[],"pad":"${'x'.repeat(1024 * 1024)}"}`);
    const notJwks = join(dir, 'passwd');
    writeFileSync(notJwks, 'root:x:0:0:root:/root:/bin/bash\nsecret-line\n');
    passwdLink = join(dir, 'jwks-link.json');
    symlinkSync(notJwks, passwdLink);
    mkdirSync(join(dir, 'a-dir'));
    jwksFile = join(dir, 'ok.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [] }));
  });

  const cases = (): [string, string, RegExp][] => [
    ['/dev/zero', '/dev/zero', /\/dev\/zero is not a regular file/],
    ['a FIFO', fifo, /fifo is not a regular file/],
    ['a directory', join(dir, 'a-dir'), /a-dir is a directory, not a file/],
    ['an oversized file', big, /big\.json is 10\d{5} bytes, above the 1048576-byte limit/],
    ['a missing file', join(dir, 'nope'), /cannot read --[a-z-]+ \S+nope: no such file/],
  ];

  it(
    'verify --jwks, inspect --jwks and introspect --client-secret-file refuse them with exit 2, without hanging',
    { timeout: 60_000 },
    async () => {
      for (const [what, path, message] of cases()) {
        const runs: [string, string[], Record<string, string>][] = [
          ['verify --jwks', ['verify', '-', '--issuer', 'https://a.example', '--audience', 'a', '--jwks', path], {}],
          ['inspect --jwks', ['inspect', '--port', '0', '--jwks', path], {}],
          [
            'introspect --client-secret-file',
            ['introspect', '-', '--endpoint', 'http://127.0.0.1:9/introspect', '--client-id', 'c', '--client-secret-file', path],
            {},
          ],
        ];
        for (const [name, args, env] of runs) {
          const r = await cli(args, { input: 'a.b.c', env });
          assert.equal(r.code, 2, `${name} ${what}: ${r.stdout}${r.stderr}`);
          const lines = errorLines(r.stderr);
          assert.equal(lines.length, 1, `${name} ${what}: ${r.stderr}`);
          assert.match(lines[0]!, message, `${name} ${what}`);
          assert.match(lines[0]!, new RegExp(`--${name.split(' --')[1]}`), 'names the option');
        }
      }
    },
  );

  it('a symlink to a file that is not a JWKS: refused by verify and inspect, the content never shown', async () => {
    for (const args of [
      ['verify', '-', '--issuer', 'https://a.example', '--audience', 'a', '--jwks', passwdLink],
      ['inspect', '--port', '0', '--jwks', passwdLink],
    ]) {
      const r = await cli(args, { input: 'a.b.c' });
      assert.equal(r.code, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /--jwks \S+jwks-link\.json: not a JSON object/);
      assert.doesNotMatch(r.stdout + r.stderr, /root:|secret-line/);
    }
  });

  it('the client secret file is read through the same reader (a regular file still works)', async () => {
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, 's3cret\n');
    // Nothing listens on the discard port: the secret was read, the request failed (exit 2, ERR_INTROSPECTION).
    const r = await cli(
      ['introspect', '-', '--endpoint', 'http://127.0.0.1:9/introspect', '--client-id', 'c', '--client-secret-file', secretFile],
      { input: 'opaque-token' },
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ERR_INTROSPECTION/);
    assert.doesNotMatch(r.stderr, /s3cret/);
  });
});

describe('deeply nested JSON', () => {
  it(`what the CLI shows may nest ${MAX_JSON_DEPTH} levels, no more; checked without recursion`, () => {
    const parse = (t: string): unknown => JSON.parse(t);
    assert.equal(deeperThanLimit(parse(nested(MAX_JSON_DEPTH))), false);
    assert.equal(deeperThanLimit(parse(nested(MAX_JSON_DEPTH + 1))), true);
    assert.equal(deeperThanLimit(parse(nested(120_000))), true);
    assert.equal(nestedTooDeep(nested(MAX_JSON_DEPTH)), false);
    assert.equal(nestedTooDeep(nested(MAX_JSON_DEPTH + 1)), true);
    assert.equal(nestedTooDeep(`{"a":"${'['.repeat(500)}"}`), false, 'brackets in strings do not count');
    const wide = { groups: Array.from({ length: 300 }, (_, i) => ({ id: i, tags: [[i]] })) };
    assert.equal(deeperThanLimit(wide), false, 'many brackets, shallow');

    const deepToken = (payload: string): string => `${b64({ alg: 'RS256' })}.${b64(payload)}.c2ln`;
    assert.equal(decodeToken(deepToken(nested(MAX_JSON_DEPTH))).payload.a !== undefined, true);
    // Plain parse, and the reviver path taken for escapes (which recurses, so it throws RangeError inside).
    for (const payload of [nested(120_000), `{"b":"\\u0041","a":${'['.repeat(120_000)}${']'.repeat(120_000)}}`]) {
      assert.throws(
        () => decodeToken(deepToken(payload)),
        (e: unknown) =>
          e instanceof VerifyError &&
          e.code === 'ERR_MALFORMED' &&
          e.message === `token payload is nested deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
    assert.equal(parseJwksText(`{"keys":[],"x":${'['.repeat(100)}${']'.repeat(100)}}`), 'nested deeper than 64 levels');
  });

  it('decode and verify of a token nested 120k deep: a clear ERR_MALFORMED, not "internal error"', async () => {
    const token = `${b64({ alg: 'RS256' })}.${b64(nested(120_000))}.c2ln`;
    const d = await cli(['decode', '-'], { input: token });
    assert.equal(d.code, 1, d.stderr);
    assert.deepEqual(errorLines(d.stderr), [
      `oidc-verifier decode: ERR_MALFORMED: token payload is nested deeper than ${MAX_JSON_DEPTH} levels`,
    ]);
    const dj = await cli(['decode', '-', '--json'], { input: token });
    assert.equal((JSON.parse(dj.stdout) as { error: { code: string } }).error.code, 'ERR_MALFORMED');
    // verify caps tokens at 64 KiB: 20,000 levels fit, and overflowed the stack before.
    const v = await cli(['verify', '-', '--issuer', 'https://a.example', '--audience', 'a', '--json'], {
      input: `${b64({ alg: 'RS256' })}.${b64(nested(20_000))}.c2ln`,
    });
    assert.equal(v.code, 1, v.stdout + v.stderr);
    const vj = JSON.parse(v.stdout) as { error: { code: string; message: string } };
    assert.equal(vj.error.code, 'ERR_MALFORMED');
    assert.match(vj.error.message, /nested deeper than 64 levels/);
    const jwksFile = join(dir, 'deep-jwks.json');
    writeFileSync(jwksFile, `{"keys":${'['.repeat(120_000)}${']'.repeat(120_000)}}`);
    const k = await cli(['verify', '-', '--issuer', 'https://a.example', '--audience', 'a', '--jwks', jwksFile], { input: 'a.b.c' });
    assert.equal(k.code, 2);
    assert.match(k.stderr, /--jwks \S+deep-jwks\.json: nested deeper than 64 levels/);
  });
});

describe('secrets on the command line are warned about', () => {
  let op: LocalIssuer;
  before(async () => {
    op = await startLocalIssuer();
  });
  after(() => op.close());

  it('verify --code, --state and --nonce: one warning each naming ps', async () => {
    const token = await op.signer.sign({ iss: op.issuer, aud: 'c', sub: 'u', nonce: 'n', iat: now(), exp: now() + 60 });
    const r = await cli(['verify', '-', '--issuer', op.issuer, '--audience', 'c', '--nonce', 'n', '--code', 'the-code', '--state', 'st'], {
      input: token,
    });
    for (const o of ['code', 'state', 'nonce'])
      assert.match(r.stderr, new RegExp(`warning: --${o} on the command line is kept in shell history and visible in ps`), r.stderr);
    assert.doesNotMatch(r.stderr, /the-code/);
    const quiet = await cli(['verify', '-', '--issuer', op.issuer, '--audience', 'c', '--nonce', 'n', '--quiet'], { input: token });
    assert.doesNotMatch(quiet.stderr, /warning/);
  });

  it('inspect TOKEN: the warning says the token stays in the process list while the server runs', { timeout: 30_000 }, async () => {
    const token = await op.signer.sign({ iss: op.issuer, aud: 'c', sub: 'u', iat: now(), exp: now() + 60 });
    const proc = spawn(process.execPath, [BIN, 'inspect', token, '--port', '0', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`inspect exited with ${code}: ${err}`)));
    });
    proc.kill('SIGTERM');
    await exited;
    assert.match(
      err,
      /warning: a token passed as an argument is kept in shell history and stays visible in the process list \(ps\) for as long as the inspector runs/,
    );
    assert.ok(!err.includes(token));
  });
});
