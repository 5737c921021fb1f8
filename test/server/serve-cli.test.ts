import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { assertBuilt, BIN, ROOT } from '../cli/run-cli.js';
import { newestSource } from '../support/newest-source.js';
import { ISSUER, RESOURCE, parseMetrics, send, startIssuer, type IssuerFixture } from './helpers.js';

let dir = '';
let issuer: IssuerFixture;
/** JWKS requests waiting for the test to release them. */
const held: (() => void)[] = [];

before(async () => {
  assertBuilt();
  if (newestSource(join(ROOT, 'src/server')) > statSync(BIN).mtimeMs + 1000)
    throw new Error('dist/ is older than src/server: run "npm run build" first');
  dir = mkdtempSync(join(tmpdir(), 'oidc-verifier-serve-'));
  issuer = await startIssuer();
  issuer.server.route('/slow-jwks', (_req, res) => {
    held.push(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [issuer.key.jwk] }));
    });
  });
});

after(async () => {
  for (const release of held.splice(0)) release();
  await issuer?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  readonly exit: Promise<number | null>;
  /** Resolves once a line with this `msg` was printed. */
  waitFor(msg: string): Promise<void>;
}

async function serve(config: unknown, name: string): Promise<Served> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: () => void }[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => x.msg === line.msg)) w.resolve();
    }
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (msg: string): Promise<void> =>
    lines.some((l) => l.msg === msg) ? Promise.resolve() : new Promise((resolve) => waiters.push({ msg, resolve }));
  await Promise.race([
    waitFor('listening'),
    exit.then((code) => {
      throw new Error(`serve exited with ${code}: ${stderr}`);
    }),
  ]);
  const url = lines.find((l) => l.msg === 'listening')!.url as string;
  return { child, url, lines, exit, waitFor };
}

/** A check request that reports its status, or the error that ended it. */
function check(url: string, token: string): Promise<number | string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: '/check',
        headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/x' },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

/** Resolves once the gateway counts `n` checks in flight besides the /metrics request asking. */
async function inFlightAtLeast(url: string, n: number): Promise<void> {
  for (;;) {
    const m = parseMetrics((await send(url, '/metrics')).body);
    if ((m.value('oidc_verifier_in_flight_checks') ?? 0) - 1 >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function config(extra: Record<string, unknown>): Record<string, unknown> {
  return { issuers: [{ issuer: ISSUER, audience: RESOURCE, jwksUri: `${issuer.server.origin}/slow-jwks` }], ...extra };
}

describe('oidc-verifier serve (child process): SIGTERM drains', () => {
  it('prints the listening line, finishes the in-flight check after SIGTERM, refuses new connections, exits 0', async () => {
    const s = await serve(config({ drainTimeout: 10000 }), 'drain');
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(s.lines.filter((l) => l.msg === 'listening').length, 1);
    assert.deepEqual(Object.keys(s.lines.find((l) => l.msg === 'listening')!).sort(), ['level', 'msg', 'url']);
    // The JWKS server holds its answer: the check waits on it.
    const token = await issuer.token();
    const inFlight = check(s.url, token);
    await inFlightAtLeast(s.url, 1);
    s.child.kill('SIGTERM');
    await s.waitFor('draining');
    // Not accepting any more: refused, or reset when the kernel had completed the handshake into
    // the listen backlog just before the listening socket closed (either way, never answered).
    assert.ok(['ECONNREFUSED', 'ECONNRESET'].includes(String(await check(s.url, token))));
    for (const release of held.splice(0)) release();
    assert.equal(await inFlight, 200);
    assert.equal(await s.exit, 0);
    assert.deepEqual(s.lines.at(-1), { level: 'info', msg: 'stopped', drained: true });
    assert.ok(!JSON.stringify(s.lines).includes(token));
  });

  it('checks still running after drainTimeout: their connections are cut and the exit code is 1', async () => {
    const s = await serve(config({ drainTimeout: 200, timeout: 30000 }), 'stuck');
    const inFlight = check(s.url, await issuer.token());
    await inFlightAtLeast(s.url, 1);
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 1);
    assert.equal(typeof (await inFlight), 'string'); // a connection error, no answer
    assert.deepEqual(s.lines.at(-1), { level: 'info', msg: 'stopped', drained: false });
    for (const release of held.splice(0)) release();
  });

  it('a bad config exits 2 with ERR_CONFIG naming the field, before listening', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ issuers: [{ issuer: ISSUER, audience: 5 }] }));
    const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /ERR_CONFIG: issuers\[0\]\.audience: must be a string or an array of strings/);
    assert.equal(stdout, '');
  });

  it('redis configured but the optional "redis" package cannot be loaded: ERR_CONFIG, exit 2', async () => {
    const file = join(dir, 'redis.json');
    writeFileSync(file, JSON.stringify(config({ redis: { url: 'redis://127.0.0.1:9' } })));
    // A module hook that makes "redis" unresolvable, as when the peer is not installed.
    const hook = `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, next) { if (s === "redis") { const e = new Error("Cannot find package \'redis\'"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }',
    )}`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)});`)}`;
    const child = spawn(process.execPath, ['--import', register, BIN, 'serve', '--config', file, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /ERR_CONFIG: redis is configured but the optional "redis" package is not installed \(npm install redis\)/);
    assert.ok(!stdout.includes('listening'));
  });

  it('/healthz answers while up', async () => {
    const s = await serve(config({}), 'health');
    try {
      assert.equal((await send(s.url, '/healthz')).status, 200);
    } finally {
      s.child.kill('SIGINT');
      for (const release of held.splice(0)) release();
      assert.equal(await s.exit, 0);
    }
  });
});
