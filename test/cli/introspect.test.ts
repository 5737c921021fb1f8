/**
 * `oidc-verifier introspect`, the built binary, against the embedded oidc-provider (src/demo): an
 * opaque access token from a real authorization code flow is introspected as the demo client
 * (active, then inactive once revoked at /token/revocation; a JWT access token is refused by the
 * provider), and against a small node:http introspection endpoint that records what the CLI sends
 * (client_secret_post, token_type_hint, aud array, expired answers). Every run asserts that neither
 * the client secret nor the token appears on stdout or stderr.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAuthorizationFlow } from '../../src/demo/flow.js';
import { startDemoProvider, type DemoProvider } from '../../src/demo/provider.js';
import { assertBuilt, cli, errorLines, type CliOptions, type CliResult } from './run-cli.js';

interface IntrospectJson {
  ok: boolean;
  active: boolean | null;
  endpoint?: string;
  response?: Record<string, unknown>;
  error?: { code: string; message: string; claim?: string };
}

let op: DemoProvider;
let dir: string;
/** Secrets and tokens that must never be printed. */
const secrets: string[] = [];

async function opaqueToken(): Promise<string> {
  const flow = await runAuthorizationFlow(op.client);
  const token = flow.tokens.access_token;
  assert.equal(token.split('.').length, 1, 'without a resource indicator the access token is opaque');
  secrets.push(token);
  return token;
}

/** Runs `introspect` with the demo client's secret in the environment and checks nothing leaks. */
async function introspect(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const r = await cli(['introspect', ...args], { ...options, env: { OIDC_CLIENT_SECRET: op.clientSecret, ...options.env } });
  for (const s of [...secrets, op.clientSecret]) {
    assert.ok(!r.stdout.includes(s), 'a secret or token leaked to stdout');
    assert.ok(!r.stderr.includes(s), 'a secret or token leaked to stderr');
  }
  return r;
}

const demo = (): string[] => ['--issuer', op.issuer, '--client-id', op.clientId];

before(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'oidc-introspect-'));
  op = await startDemoProvider({ quiet: true });
  secrets.push(op.clientSecret);
});

after(async () => {
  await op.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('introspect against the demo oidc-provider', () => {
  let token: string;
  before(async () => {
    token = await opaqueToken();
  });

  it('an active token: exit 0, ACTIVE banner, the response members with human times, endpoint discovered', async () => {
    const r = await introspect(['-', ...demo()], { input: token });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^✔ ACTIVE /m);
    assert.match(r.stdout, new RegExp(`endpoint\\s+${op.issuer}/token/introspection`));
    assert.match(r.stdout, /^\s+sub\s+alice$/m);
    assert.match(r.stdout, new RegExp(`^\\s+client_id\\s+${op.clientId}$`, 'm'));
    assert.match(r.stdout, /^\s+scope\s+openid profile email$/m);
    assert.match(r.stdout, /^\s+token_type\s+Bearer$/m);
    assert.match(r.stdout, new RegExp(`^\\s+iss\\s+${op.issuer}$`, 'm'));
    assert.match(r.stdout, /^\s+exp\s+\d+ \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, expires in \d+ min\)$/m);
    assert.match(r.stdout, /^\s+iat\s+\d+ \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, issued (now|\d+ s ago)\)$/m);
    assert.match(r.stdout, /✔ iss equals/);
    assert.equal(r.stderr, '', 'nothing on stderr for stdin input');
  });

  it('--json: { ok, active, endpoint, response } with the scope check passed', async () => {
    const r = await introspect(['-', ...demo(), '--scope', 'profile', '--scope', 'openid email', '--json'], { input: token });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as IntrospectJson;
    assert.equal(j.ok, true);
    assert.equal(j.active, true);
    assert.equal(j.endpoint, `${op.issuer}/token/introspection`);
    assert.equal(j.response?.active, true);
    assert.equal(j.response?.sub, 'alice');
    assert.equal(j.response?.client_id, op.clientId);
    assert.equal(j.error, undefined);
  });

  it('token input like verify: argument (warned about), $OIDC_TOKEN, piped stdin without "-"', async () => {
    // After `--`, as a user would: an opaque token is random base64url and may begin with '-'
    // (1 run in 64 failed with "unknown option -u" when it stood first).
    const arg = await introspect([...demo(), '--', token]);
    assert.equal(arg.code, 0, arg.stderr);
    assert.match(arg.stderr, /warning: a token passed as an argument is kept in shell history/);
    assert.deepEqual(errorLines(arg.stderr), []);
    const env = await introspect(demo(), { env: { OIDC_TOKEN: token } });
    assert.equal(env.code, 0, env.stderr);
    assert.equal(env.stderr, '');
    const piped = await introspect(demo(), { input: `Authorization: Bearer ${token}\n` });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /✔ ACTIVE/);
  });

  it('--client-secret-file and --endpoint (no discovery) work without $OIDC_CLIENT_SECRET', async () => {
    const file = join(dir, 'secret');
    writeFileSync(file, `${op.clientSecret}\n`);
    const r = await introspect(
      [
        '-',
        '--endpoint',
        `${op.issuer}/token/introspection`,
        '--client-id',
        op.clientId,
        '--client-secret-file',
        file,
        '--token-type-hint',
        'access_token',
        '--json',
      ],
      {
        input: token,
        env: { OIDC_CLIENT_SECRET: '' },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as IntrospectJson).response?.sub, 'alice');
  });

  it('a scope the token lacks: exit 1, ERR_SCOPE, the response still shown', async () => {
    const r = await introspect(['-', ...demo(), '--scope', 'api:read', '--json'], { input: token });
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as IntrospectJson;
    assert.equal(j.ok, false);
    assert.equal(j.active, true);
    assert.equal(j.error?.code, 'ERR_SCOPE');
    assert.equal(j.error?.claim, 'scope');
    assert.equal(j.response?.sub, 'alice');
    const human = await introspect(['-', ...demo(), '--scope', 'api:read'], { input: token });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /✘ ACTIVE, BUT REFUSED/);
    assert.match(human.stdout, /^\s+sub\s+alice$/m);
    assert.match(human.stdout, /✘ ERR_SCOPE: introspection response: "scope" lacks \["api:read"\]/);
  });

  it('--audience when the response has no aud: exit 1, ERR_CLAIM_MISSING', async () => {
    const r = await introspect(['-', ...demo(), '--audience', 'https://api.example/', '--json'], { input: token });
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as IntrospectJson).error?.code, 'ERR_CLAIM_MISSING');
  });

  it('a wrong client secret: exit 2, ERR_INTROSPECTION naming the 401, neither secret printed', async () => {
    const wrong = 'wrong-secret-0123456789';
    secrets.push(wrong);
    const j = await introspect(['-', ...demo(), '--json'], { input: token, env: { OIDC_CLIENT_SECRET: wrong } });
    assert.equal(j.code, 2);
    const body = JSON.parse(j.stdout) as IntrospectJson;
    assert.equal(body.ok, false);
    assert.equal(body.active, null, 'the server was not asked about the token');
    assert.equal(body.error?.code, 'ERR_INTROSPECTION');
    assert.match(body.error?.message ?? '', /HTTP 401/);
    const human = await introspect(['-', ...demo()], { input: token, env: { OIDC_CLIENT_SECRET: wrong } });
    assert.equal(human.code, 2);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /^oidc-verifier introspect: ERR_INTROSPECTION: .*HTTP 401.*refused the client credentials of "demo-client"/);
    assert.equal(human.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  });

  it('a JWT access token (resource indicator) is refused by the provider: exit 2, ERR_INTROSPECTION (HTTP 400)', async () => {
    const flow = await runAuthorizationFlow({ ...op.client, resource: op.resource, scope: `openid ${op.resourceScope}` });
    const jwt = flow.tokens.access_token;
    assert.equal(jwt.split('.').length, 3);
    secrets.push(jwt);
    const r = await introspect(['-', ...demo(), '--json'], { input: jwt });
    assert.equal(r.code, 2);
    const j = JSON.parse(r.stdout) as IntrospectJson;
    assert.equal(j.error?.code, 'ERR_INTROSPECTION');
    assert.match(j.error?.message ?? '', /HTTP 400/);
  });

  it('a revoked token: exit 1, ERR_INACTIVE, INACTIVE banner', async () => {
    const revoked = await opaqueToken();
    assert.equal((await introspect(['-', ...demo()], { input: revoked })).code, 0, 'active before revocation');
    const basic = Buffer.from(`${encodeURIComponent(op.clientId)}:${encodeURIComponent(op.clientSecret)}`).toString('base64');
    const res = await fetch(`${op.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({ token: revoked, token_type_hint: 'access_token' }),
    });
    assert.equal(res.status, 200);
    const j = await introspect(['-', ...demo(), '--json'], { input: revoked });
    assert.equal(j.code, 1, j.stderr);
    const body = JSON.parse(j.stdout) as IntrospectJson;
    assert.equal(body.ok, false);
    assert.equal(body.active, false);
    assert.equal(body.response, undefined);
    assert.equal(body.error?.code, 'ERR_INACTIVE');
    const human = await introspect(['-', ...demo()], { input: revoked });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /^✘ INACTIVE /m);
    assert.doesNotMatch(human.stdout, /sub\s+alice/);
  });
});

describe('introspect: usage errors (exit 2, nothing sent)', () => {
  const usage = async (args: string[], env: Record<string, string> = {}, pattern: RegExp): Promise<void> => {
    const r = await introspect(['-', ...args, '--json'], { input: 'opaque-token-value', env });
    assert.equal(r.code, 2, r.stdout);
    const j = JSON.parse(r.stdout) as IntrospectJson;
    assert.equal(j.error?.code, 'ERR_USAGE');
    assert.match(j.error?.message ?? '', pattern);
    assert.equal(errorLines(r.stderr).length, 1, 'one line on stderr');
  };

  it('missing --client-id', () => usage(['--issuer', op.issuer], {}, /--client-id is required/));
  it('neither --issuer nor --endpoint', () => usage(['--client-id', 'x'], {}, /--issuer .* or --endpoint is required/));
  it('no client secret at all', () =>
    usage(demo(), { OIDC_CLIENT_SECRET: '' }, /no client secret: set \$OIDC_CLIENT_SECRET or pass --client-secret-file/));
  it('--auth other than basic|post', () => usage([...demo(), '--auth', 'jwt'], {}, /--auth must be basic or post/));
  it('--token-type-hint other than access_token|refresh_token', () =>
    usage([...demo(), '--token-type-hint', 'id_token'], {}, /--token-type-hint must be/));

  it('--client-secret VALUE is refused without repeating the value', async () => {
    const value = 'argv-secret-do-not-print';
    secrets.push(value);
    await usage([...demo(), '--client-secret', value], {}, /--client-secret takes no value on the command line/);
    await usage([...demo(), `--client-secret=${value}`], {}, /--client-secret takes no value on the command line/);
  });

  it('--help lists the options and the exit codes', async () => {
    const r = await cli(['introspect', '--help']);
    assert.equal(r.code, 0);
    for (const o of [
      '--issuer URL',
      '--endpoint URL',
      '--client-id ID',
      '--client-secret-file FILE',
      '--auth basic|post',
      '--token-type-hint',
      '--audience ID',
      '--scope SCOPE',
      '--allow-http',
      '--timeout MS',
      '--json',
    ]) {
      assert.ok(r.stdout.includes(o), `${o} missing from help`);
    }
    assert.match(r.stdout, /Exit codes: 0 active/);
  });
});

describe('introspect against a recording node:http endpoint', () => {
  let server: Server;
  let endpoint: string;
  let answer: Record<string, unknown> = {};
  const seen: { authorization: string | undefined; form: URLSearchParams }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ authorization: req.headers.authorization, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it('--auth post sends the credentials in the form, with token_type_hint; an aud array matches --audience', async () => {
    const now = Math.floor(Date.now() / 1000);
    answer = {
      active: true,
      client_id: 'app',
      aud: ['https://a.example/', 'https://b.example/'],
      exp: now + 8000,
      cnf: { 'x5t#S256': 'abc' },
    };
    const r = await introspect(
      [
        '-',
        '--endpoint',
        endpoint,
        '--client-id',
        'rs',
        '--auth',
        'post',
        '--token-type-hint',
        'refresh_token',
        '--audience',
        'https://b.example/',
      ],
      {
        input: 'opaque-1',
        env: { OIDC_CLIENT_SECRET: 's3cr3t-post' },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const req = seen.at(-1)!;
    assert.equal(req.authorization, undefined);
    assert.equal(req.form.get('client_id'), 'rs');
    assert.equal(req.form.get('client_secret'), 's3cr3t-post');
    assert.equal(req.form.get('token'), 'opaque-1');
    assert.equal(req.form.get('token_type_hint'), 'refresh_token');
    assert.doesNotMatch(r.stdout + r.stderr, /s3cr3t-post/);
    assert.match(r.stdout, /^\s+aud\s+https:\/\/a\.example\/, https:\/\/b\.example\/$/m);
    assert.match(r.stdout, /^\s+exp\s+\d+ \(.*expires in 2 h\)$/m);
    assert.match(r.stdout, /^\s+cnf\s+\{"x5t#S256":"abc"\}$/m, 'other members are shown as JSON');
    assert.match(r.stdout, /✔ aud contains https:\/\/b\.example\//);
  });

  it('basic by default, with the form-encoded credentials', async () => {
    answer = { active: true };
    const r = await introspect(['-', '--endpoint', endpoint, '--client-id', 'rs'], {
      input: 'opaque-2',
      env: { OIDC_CLIENT_SECRET: 'p:ss w+rd' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(seen.at(-1)!.authorization, `Basic ${Buffer.from('rs:p%3Ass+w%2Brd').toString('base64')}`);
    assert.equal(seen.at(-1)!.form.get('client_secret'), null);
    assert.match(r.stdout, /\(no members besides "active"\)/);
  });

  it('an active answer whose exp has passed: exit 1, ERR_EXPIRED', async () => {
    answer = { active: true, exp: Math.floor(Date.now() / 1000) - 3600 };
    const r = await introspect(['-', '--endpoint', endpoint, '--client-id', 'rs', '--json'], { input: 'opaque-3' });
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as IntrospectJson;
    assert.equal(j.active, true);
    assert.equal(j.error?.code, 'ERR_EXPIRED');
  });

  it('a broken answer (active: "true"): exit 2, ERR_INTROSPECTION', async () => {
    answer = { active: 'true' };
    const r = await introspect(['-', '--endpoint', endpoint, '--client-id', 'rs', '--json'], { input: 'opaque-4' });
    assert.equal(r.code, 2);
    assert.equal((JSON.parse(r.stdout) as IntrospectJson).error?.code, 'ERR_INTROSPECTION');
  });

  it('an endpoint nobody listens on: exit 2, ERR_INTROSPECTION', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await introspect(['-', '--endpoint', `http://127.0.0.1:${port}/introspect`, '--client-id', 'rs'], { input: 'opaque-5' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^oidc-verifier introspect: ERR_INTROSPECTION: /);
  });
});
