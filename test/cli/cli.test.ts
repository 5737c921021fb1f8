/**
 * The built `oidc-verifier` binary, spawned as a user would run it: the Asgardeo sample token (real
 * token + JWKS from the Asgardeo guide), garbage, usage errors, stdin and env input, colour rules,
 * and a local issuer on 127.0.0.1 for discovery, remote JWKS, `jwks` and `discover`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { assertBuilt, cli, errorLines } from './run-cli.js';
import { startLocalIssuer, type LocalIssuer } from './test-issuer.js';

interface Seed {
  issuer: string;
  audience: string;
  iat: number;
  token: string;
  jwks: { keys: Record<string, unknown>[] };
}

const seed = JSON.parse(readFileSync(new URL('../fixtures/asgardeo-sample.json', import.meta.url), 'utf8')) as Seed;
const AT = '1629968400'; // 2021-08-26T09:00:00Z: 56 s after the sample's iat, 59 min before its exp.
const ESC = '\u001b';

let dir: string;
let jwksFile: string;
let seedArgs: string[];

before(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'oidc-cli-'));
  jwksFile = join(dir, 'seed003-jwks.json');
  writeFileSync(jwksFile, JSON.stringify(seed.jwks));
  seedArgs = ['--issuer', seed.issuer, '--audience', seed.audience, '--jwks', jwksFile];
});

after(() => rmSync(dir, { recursive: true, force: true }));

interface JsonCheck {
  id: string;
  status: string;
  reason: string;
  code?: string;
}

interface VerifyJson {
  ok: boolean;
  verdict: string;
  error?: { code: string; message: string; claim?: string };
  checks: JsonCheck[];
}

describe('verify: the Asgardeo sample token', () => {
  it("is valid with the clock at 1629968400 (exit 0) and lists the checks in the seeds' order", async () => {
    const r = await cli(['verify', '-', ...seedArgs, '--at', AT], { input: seed.token });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✔ VALID/);
    const order = [
      'alg allowed',
      'key found by kid',
      'signature valid',
      'iss (issuer)',
      'aud (audience)',
      'iat (issued at)',
      'exp (expiry)',
    ];
    const positions = order.map((label) => r.stdout.indexOf(label));
    for (const [i, pos] of positions.entries()) assert.ok(pos > 0, `${order[i]} missing`);
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
      "rows follow the seeds' order",
    );
    assert.match(r.stdout, /exp \(expiry\)\s+1629971944 \(2021-08-26T09:59:04Z, expires in 59 min\)/);
    assert.equal(r.stderr, '', 'nothing on stderr for stdin input');
  });

  it('is invalid without --at (exit 1, ERR_EXPIRED in --json, every other row still shown)', async () => {
    const r = await cli(['verify', '-', ...seedArgs, '--json'], { input: seed.token });
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.ok, false);
    assert.equal(j.verdict, 'invalid');
    assert.equal(j.error?.code, 'ERR_EXPIRED');
    assert.equal(j.error?.claim, 'exp');
    const byId = new Map(j.checks.map((c) => [c.id, c]));
    assert.equal(byId.get('exp')?.status, 'fail');
    assert.equal(byId.get('exp')?.code, 'ERR_EXPIRED');
    for (const id of ['alg', 'key', 'signature', 'iss', 'aud', 'iat']) assert.equal(byId.get(id)?.status, 'pass', id);
  });

  it('human output without --at ends with the verdict line', async () => {
    const r = await cli(['verify', ...seedArgs], { input: seed.token });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✘ FAIL\s+exp \(expiry\)\s+1629971944 \(2021-08-26T09:59:04Z, expired [\d.]+ y ago\)/);
    assert.match(r.stdout.trimEnd().split('\n').at(-1)!, /^✘ INVALID {2}ERR_EXPIRED: token expired/);
  });

  it('names the failing claim for a wrong audience and an ISO --at', async () => {
    const r = await cli(
      ['verify', '--issuer', seed.issuer, '--audience', 'someone-else', '--jwks', jwksFile, '--at', '2021-08-26T09:00:00Z', '--json'],
      {
        input: seed.token,
      },
    );
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.error?.code, 'ERR_AUDIENCE');
    assert.equal(j.checks.find((c) => c.id === 'aud')?.status, 'fail');
    assert.equal(j.checks.find((c) => c.id === 'signature')?.status, 'pass');
  });

  it('checks the signature offline even when the issuer is wrong', async () => {
    const r = await cli(
      ['verify', '--issuer', 'https://other.example', '--audience', seed.audience, '--jwks', jwksFile, '--at', AT, '--json'],
      {
        input: seed.token,
      },
    );
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.error?.code, 'ERR_ISSUER');
    assert.equal(j.checks.find((c) => c.id === 'signature')?.status, 'pass');
    assert.equal(j.checks.find((c) => c.id === 'iss')?.status, 'fail');
  });

  it('fails the signature row for a tampered token', async () => {
    const [h, p, s] = seed.token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url')}.${s}`;
    const r = await cli(['verify', ...seedArgs, '--at', AT, '--json'], { input: forged });
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.error?.code, 'ERR_SIGNATURE_INVALID');
    assert.equal(j.checks.find((c) => c.id === 'signature')?.status, 'fail');
  });

  it('reads the token from $OIDC_TOKEN, from "-", and from a pipe without "-"', async () => {
    const viaEnv = await cli(['verify', ...seedArgs, '--at', AT], { env: { OIDC_TOKEN: seed.token } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const viaPipe = await cli(['verify', ...seedArgs, '--at', AT], { input: `  Bearer ${seed.token}\n` });
    assert.equal(viaPipe.code, 0, viaPipe.stderr);
    assert.equal(viaPipe.stderr, '');
  });

  it('warns on stderr when the token is passed as an argument', async () => {
    const r = await cli(['verify', seed.token, ...seedArgs, '--at', AT]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning: a token passed as an argument is kept in shell history/);
    const quiet = await cli(['verify', seed.token, ...seedArgs, '--at', AT, '--quiet']);
    assert.equal(quiet.stderr, '');
  });
});

describe('decode', () => {
  it('shows header, payload, ISO and relative times, and that nothing was verified', async () => {
    const r = await cli(['decode', '--at', AT], { input: seed.token });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NOT VERIFIED/);
    assert.match(r.stdout, /"alg": "RS256"/);
    assert.match(r.stdout, /"exp": 1629971944,\s+\/\/ Expiration time: 2021-08-26T09:59:04Z, expires in 59 min/);
    assert.match(r.stdout, /"iat": 1629968344,\s+\/\/ Issued at: 2021-08-26T08:59:04Z, issued 56 s ago/);
    const now = await cli(['decode'], { input: seed.token });
    assert.match(now.stdout, /expired [\d.]+ y ago/);
  });

  it('--json is machine-readable and says verified: false', async () => {
    const r = await cli(['decode', '--json', '--at', AT], { input: seed.token });
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout) as {
      verified: boolean;
      payload: { sub: string };
      times: Record<string, { iso: string; relative: string }>;
    };
    assert.equal(j.verified, false);
    assert.equal(j.payload.sub, 'Alica@bifrost.com');
    assert.deepEqual(j.times.exp, { value: 1629971944, iso: '2021-08-26T09:59:04Z', relative: 'expires in 59 min' });
  });

  it('never writes control characters from the token to the terminal', async () => {
    const claims = { sub: `evil${ESC}]0;pwned\u0007${ESC}[31m\u009b31m\u202ereversed`, [`k${ESC}[2J`]: 1 };
    const token = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
    const r = await cli(['decode'], { input: token });
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    assert.match(r.stdout, /\\u001b\]0;pwned/);
  });
});

describe('garbage input and usage errors', () => {
  const oneLineNoStack = (stderr: string): void => {
    const lines = errorLines(stderr);
    assert.equal(lines.length, 1, `one error line, got: ${stderr}`);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  };

  it('a non-JWT is invalid (exit 1) with one clear line', async () => {
    const r = await cli(['decode'], { input: 'this is not a token' });
    assert.equal(r.code, 1);
    oneLineNoStack(r.stderr);
    assert.match(r.stderr, /ERR_MALFORMED: token must have 3 dot-separated segments, got 1/);
  });

  it('random bytes, an encrypted token and JSON junk never crash', async () => {
    const inputs = [
      Buffer.from([0xff, 0xfe, 0x00, 0x2e, 0x80, 0x2e, 0x41]),
      'a.b.c.d.e',
      'eyJhbGciOiJub25lIn0.bnVsbA.',
      '..',
      `${'x'.repeat(70000)}.y.z`,
    ];
    for (const input of inputs) {
      for (const cmd of [['decode'], ['verify', ...seedArgs]]) {
        const r = await cli(cmd, { input });
        assert.ok(r.code === 1 || r.code === 2, `${cmd[0]} exit ${r.code}`);
        assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
        if (cmd[0] === 'decode') oneLineNoStack(r.stderr);
      }
    }
  });

  it('verify of garbage prints the failed format row and exits 1', async () => {
    const r = await cli(['verify', ...seedArgs, '--json'], { input: 'garbage' });
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.error?.code, 'ERR_MALFORMED');
    assert.deepEqual(
      j.checks.map((c) => [c.id, c.status]),
      [['format', 'fail']],
    );
  });

  const usage: [string, string[], RegExp][] = [
    ['no command', [], /Usage: oidc-verifier <command>/],
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['unknown option', ['decode', '--frob'], /unknown option --frob/],
    ['missing value', ['verify', '--issuer'], /option --issuer needs a value/],
    ['missing --issuer', ['verify', '--audience', 'a'], /--issuer is required/],
    ['missing --audience', ['verify', '--issuer', 'https://a.example'], /--audience is required/],
    [
      'bad --at',
      ['verify', '--issuer', 'https://a.example', '--audience', 'a', '--at', 'yesterday'],
      /--at must be Unix seconds or an ISO 8601 date/,
    ],
    ['bad --type', ['verify', '--issuer', 'https://a.example', '--audience', 'a', '--type', 'saml'], /--type must be id, access or logout/],
    [
      'id-only option for access',
      ['verify', '--issuer', 'https://a.example', '--audience', 'a', '--type', 'access', '--nonce', 'n'],
      /--nonce is for ID tokens/,
    ],
    [
      'missing --jwks file',
      ['verify', '--issuer', 'https://a.example', '--audience', 'a', '--jwks', '/nonexistent/jwks.json'],
      /cannot read --jwks \/nonexistent\/jwks.json: no such file/,
    ],
    ['bad --max-age', ['verify', '--issuer', 'https://a.example', '--audience', 'a', '--max-age=-5'], /--max-age must be a whole number/],
    [
      'option value that looks like an option',
      ['verify', '--issuer', 'https://a.example', '--audience', 'a', '--nonce', '-x'],
      /option --nonce needs a value \(for a value starting with "-", write --nonce=-VALUE\)/,
    ],
    ['extra argument', ['decode', 'a', 'b'], /unexpected argument "b"/],
    ['jwks without target', ['jwks'], /ISSUER, JWKS URL or file is required/],
    ['discover without issuer', ['discover'], /ISSUER is required/],
    ['inspect with a bad port', ['inspect', '--port', '99999'], /--port must be a whole number from 0 to 65535/],
  ];
  for (const [name, args, message] of usage) {
    it(`usage error: ${name} (exit 2)`, async () => {
      const r = await cli(args, { input: seed.token });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr + r.stdout, message);
      if (args.length > 0) oneLineNoStack(r.stderr);
    });
  }

  it('no token at all is a usage error', async () => {
    const r = await cli(['decode']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the token from stdin is empty/);
  });

  it('--json usage errors are JSON with ERR_USAGE', async () => {
    const r = await cli(['verify', '--json', '--audience', 'a'], { input: seed.token });
    assert.equal(r.code, 2);
    const j = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(j.ok, false);
    assert.equal(j.error.code, 'ERR_USAGE');
    assert.match(j.error.message, /--issuer is required/);
  });

  it('a bad algorithm list is a configuration error (exit 2), not an invalid token', async () => {
    const r = await cli(['verify', ...seedArgs, '--alg', 'none', '--json'], { input: seed.token });
    assert.equal(r.code, 2);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.error?.code, 'ERR_CONFIG');
  });

  for (const cmd of ['decode', 'verify', 'jwks', 'discover', 'introspect', 'inspect']) {
    it(`${cmd} --help`, async () => {
      const r = await cli([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: oidc-verifier ${cmd}`));
      assert.match(r.stdout, /--json/);
    });
  }

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    assert.equal(r.stdout.trim(), pkg.version);
  });
});

describe('colour', () => {
  it('is off when stdout is not a TTY', async () => {
    const r = await cli(['verify', ...seedArgs, '--at', AT], { input: seed.token });
    assert.ok(!r.stdout.includes(ESC));
  });

  it('FORCE_COLOR turns it on, NO_COLOR wins over it, --no-color too', async () => {
    const forced = await cli(['verify', ...seedArgs, '--at', AT], { input: seed.token, env: { FORCE_COLOR: '1' } });
    assert.ok(forced.stdout.includes(`${ESC}[32m`), 'green pass marks');
    const noColor = await cli(['verify', ...seedArgs, '--at', AT], { input: seed.token, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.ok(!noColor.stdout.includes(ESC));
    const flag = await cli(['decode', '--no-color'], { input: seed.token, env: { FORCE_COLOR: '1' } });
    assert.ok(!flag.stdout.includes(ESC));
  });

  it('--json output never has colour', async () => {
    const r = await cli(['verify', ...seedArgs, '--at', AT, '--json'], { input: seed.token, env: { FORCE_COLOR: '1' } });
    assert.ok(!r.stdout.includes(ESC));
    JSON.parse(r.stdout);
  });
});

describe('against a local issuer on 127.0.0.1', () => {
  let op: LocalIssuer;
  const x5c = JSON.parse(readFileSync(new URL('../fixtures/attacker-x5c.json', import.meta.url), 'utf8')) as {
    privateKeyPem: string;
    x5c: string[];
  };
  const certJwk = {
    ...(createPublicKey(x5c.privateKeyPem).export({ format: 'jwk' }) as Record<string, unknown>),
    kid: 'with-cert',
    use: 'sig',
    alg: 'ES256',
    x5c: x5c.x5c,
  };
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    op = await startLocalIssuer([certJwk, { kty: 'RSA', kid: 'tiny', n: 'AQAB', e: 'AQAB' }]);
  });
  after(() => op.close());

  const idToken = (extra: Record<string, unknown> = {}) =>
    op.signer.sign({ iss: op.issuer, aud: 'local-client', sub: 'user-1', iat: now() - 5, exp: now() + 600, nonce: 'n-1', ...extra });

  it('verify without --jwks finds the keys by discovery (exit 0)', async () => {
    const token = await idToken();
    const r = await cli(['verify', '--issuer', op.issuer, '--audience', 'local-client', '--nonce', 'n-1', '--json'], { input: token });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout) as VerifyJson & { keySource: string };
    assert.equal(j.verdict, 'valid');
    assert.equal(j.keySource, `discovery of ${op.issuer}`);
    assert.equal(j.checks.find((c) => c.id === 'nonce')?.status, 'pass');
    assert.ok(op.requests.includes('/.well-known/openid-configuration') && op.requests.includes('/jwks'));
  });

  it('verify with --jwks URL and a wrong nonce fails on the nonce row (exit 1)', async () => {
    const token = await idToken();
    const r = await cli(
      ['verify', '--issuer', op.issuer, '--audience', 'local-client', '--jwks', op.jwksUri, '--nonce', 'other', '--json'],
      { input: token },
    );
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.error?.code, 'ERR_NONCE');
    assert.equal(j.checks.find((c) => c.id === 'nonce')?.status, 'fail');
  });

  it('an unknown kid is a failed key row', async () => {
    const token = await op.signer.sign(
      { iss: op.issuer, aud: 'local-client', sub: 'u', iat: now(), exp: now() + 60 },
      { kid: 'rotated-away' },
    );
    const r = await cli(['verify', '--issuer', op.issuer, '--audience', 'local-client', '--json'], { input: token });
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(j.error?.code, 'ERR_KEY_NOT_FOUND');
    assert.equal(j.checks.find((c) => c.id === 'key')?.status, 'fail');
  });

  it('access and logout tokens verify with --type', async () => {
    const at = await op.signer.sign(
      { iss: op.issuer, aud: 'https://api.example', sub: 'u', client_id: 'c', jti: 'j1', scope: 'read write', iat: now(), exp: now() + 60 },
      { typ: 'at+jwt' },
    );
    const ok = await cli(
      ['verify', '--type', 'access', '--issuer', op.issuer, '--audience', 'https://api.example', '--scope', 'read', '--json'],
      { input: at },
    );
    assert.equal(ok.code, 0, ok.stdout);
    const missing = await cli(
      ['verify', '--type', 'access', '--issuer', op.issuer, '--audience', 'https://api.example', '--scope', 'admin', '--json'],
      { input: at },
    );
    assert.equal(missing.code, 1);
    assert.equal((JSON.parse(missing.stdout) as VerifyJson).error?.code, 'ERR_SCOPE');
    const asId = await cli(['verify', '--type', 'id', '--issuer', op.issuer, '--audience', 'https://api.example', '--json'], { input: at });
    assert.equal(asId.code, 1, 'an access token is not an ID token');
    const lt = await op.signer.sign(
      {
        iss: op.issuer,
        aud: 'local-client',
        sid: 's-1',
        jti: 'j2',
        iat: now(),
        exp: now() + 60,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      },
      { typ: 'logout+jwt' },
    );
    const logout = await cli(['verify', '--type', 'logout', '--issuer', op.issuer, '--audience', 'local-client'], { input: lt });
    assert.equal(logout.code, 0, logout.stdout);
    assert.match(logout.stdout, /Verifying a logout token/);
  });

  it('jwks ISSUER lists kid, kty, alg, use, size, RFC 7638 thumbprint and x5c', async () => {
    const r = await cli(['jwks', op.issuer, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      jwksUri: string;
      keys: {
        kid?: string;
        kty?: string;
        alg?: string;
        use?: string;
        size?: string;
        thumbprint?: string;
        usable: boolean;
        reason?: string;
        x5c?: { subject: string; validTo: string; matchesKey: boolean; expired: boolean };
      }[];
    };
    assert.equal(j.jwksUri, op.jwksUri);
    const [rsa, ec, tiny] = j.keys;
    assert.equal(rsa?.kid, op.signer.kid);
    assert.equal(rsa?.kty, 'RSA');
    assert.equal(rsa?.alg, 'RS256');
    assert.equal(rsa?.use, 'sig');
    assert.equal(rsa?.size, '2048 bits');
    assert.equal(rsa?.thumbprint, await calculateJwkThumbprint(op.signer.jwk!, 'sha256'));
    assert.equal(ec?.size, 'P-256');
    assert.equal(ec?.thumbprint, await calculateJwkThumbprint(certJwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256'));
    assert.equal(ec?.x5c?.subject, 'CN=attacker.example');
    assert.equal(ec?.x5c?.matchesKey, true);
    assert.equal(ec?.x5c?.expired, false);
    assert.equal(tiny?.usable, false);
    assert.match(tiny?.reason ?? '', /bits is below the 2048-bit minimum/);
    const human = await cli(['jwks', op.issuer]);
    assert.match(human.stdout, /3 keys, 2 usable/);
    assert.match(human.stdout, /x5c subject CN=attacker\.example/);
    assert.match(human.stdout, /thumbprint [A-Za-z0-9_-]{43} \(RFC 7638, SHA-256\)/);
  });

  it('jwks of a JWKS URL (not an issuer) and of a local file', async () => {
    const byUrl = await cli(['jwks', op.jwksUri, '--json']);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.equal((JSON.parse(byUrl.stdout) as { keys: unknown[] }).keys.length, 3);
    const byMetadata = await cli(['jwks', `${op.issuer}/.well-known/openid-configuration`, '--json']);
    assert.equal(byMetadata.code, 0, byMetadata.stderr);
    assert.equal((JSON.parse(byMetadata.stdout) as { jwksUri: string }).jwksUri, op.jwksUri);
    const byFile = await cli(['jwks', jwksFile, '--json']);
    assert.equal(byFile.code, 0);
    const seedKey = (JSON.parse(byFile.stdout) as { keys: { thumbprint: string; size: string }[] }).keys[0]!;
    assert.equal(
      seedKey.thumbprint,
      await calculateJwkThumbprint(seed.jwks.keys[0] as Parameters<typeof calculateJwkThumbprint>[0], 'sha256'),
    );
    assert.equal(seedKey.size, '2048 bits');
  });

  it('discover ISSUER summarises the metadata and warns about "none"', async () => {
    const r = await cli(['discover', op.issuer]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`jwks_uri\\s+${op.jwksUri.replace(/[.]/g, '\\.')}`));
    assert.match(r.stdout, /ID token algs\s+RS256, none/);
    assert.match(r.stdout, /lists "none"/);
    const j = JSON.parse((await cli(['discover', op.issuer, '--json'])).stdout) as { metadata: { issuer: string }; warnings: string[] };
    assert.equal(j.metadata.issuer, op.issuer);
  });

  it('an unreachable issuer is exit 2 with one line naming the URL', async () => {
    const dead = 'http://127.0.0.1:9'; // discard port: nothing listens
    const token = await op.signer.sign({ iss: dead, aud: 'x', sub: 'u', iat: now(), exp: now() + 60 });
    for (const args of [
      ['discover', dead],
      ['jwks', dead],
      ['verify', '--issuer', dead, '--audience', 'x'],
    ]) {
      const r = await cli(args, { input: token });
      assert.equal(r.code, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      if (args[0] !== 'verify') assert.equal(errorLines(r.stderr).length, 1, r.stderr);
      assert.match(r.stdout + r.stderr, /127\.0\.0\.1:9/);
    }
  });
});
