/**
 * The whole gateway deployment on 127.0.0.1, every part real: a JWKS server, a redis-server,
 * N `oidc-verifier serve` replicas (child processes of the BUILT CLI, dist/cli/main.js), the API
 * upstream and nginx running the config of docs/gateway-nginx.md. Used by test/gateway-nginx and
 * bench/gateway.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, makeKey, startServer, type TestKey, type TestServer } from './jwks-server.js';
import { newestSource } from './newest-source.js';
import { signAccessToken } from './access-token.js';
import { siteConfig, startNginx, startUpstream, type TestNginx, type TestUpstream } from './nginx.js';
import { startRedis, type TestRedis } from './redis.js';

const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'dist/cli/main.js');
export const ISSUER = 'https://as.gateway.test';
export const AUDIENCE = 'https://api.gateway.test';

/** Throws a clear message when the built CLI is missing or older than src/. */
export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
  if (newestSource(join(ROOT, 'src')) > statSync(BIN).mtimeMs + 1000)
    throw new Error('dist/ is older than src/: run "npm run build" first');
}

/** One `oidc-verifier serve` child process. */
export interface Replica {
  readonly name: string;
  readonly url: string;
  /** host:port */
  readonly address: string;
  readonly pid: number;
  /** stdout lines so far (JSON logs). */
  readonly logs: string[];
  /** SIGKILL, no drain (a crash). */
  kill(): Promise<void>;
  /** SIGTERM (drain); resolves with the exit code. */
  stop(): Promise<number | null>;
  readonly exited: boolean;
}

export async function startReplica(configPath: string, name: string): Promise<Replica> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--config', configPath, '--port', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' },
  });
  const logs: string[] = [];
  let stderr = '';
  let partial = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const reap = (): void => void child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica ${name} did not log "listening" within 15 s; stderr: ${stderr}; stdout: ${logs.join('\n')}`));
    }, 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      partial += d.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (logs.length < 100_000) logs.push(line);
        try {
          const o = JSON.parse(line) as { msg?: unknown; url?: unknown };
          if (o.msg === 'listening' && typeof o.url === 'string') {
            clearTimeout(timer);
            resolve(o.url);
          }
        } catch {
          // not JSON: kept in logs, the tests check every line is JSON
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${name} exited with ${code} before listening; stderr: ${stderr}; stdout: ${logs.join('\n')}`));
    });
  });
  return {
    name,
    url,
    address: new URL(url).host,
    pid: child.pid ?? -1,
    logs,
    get exited() {
      return exitCode !== undefined;
    },
    async kill() {
      if (exitCode === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface StackOptions {
  readonly replicas?: number;
  /** Replaces parts of the gateway config. */
  readonly config?: Record<string, unknown>;
  /** Called for each request the API upstream receives (then the upstream keeps no records). */
  readonly onUpstream?: (req: IncomingMessage) => void;
  readonly nginxWorkers?: number;
}

export interface Stack {
  readonly nginx: TestNginx;
  readonly replicas: Replica[];
  readonly api: TestUpstream;
  readonly redis: TestRedis;
  readonly jwksServer: TestServer;
  readonly key: TestKey;
  /** Same kid as `key`, another key pair: its signatures are forgeries. */
  readonly forger: TestKey;
  readonly config: Record<string, unknown>;
  /** An RFC 9068 access token for the gateway's issuer and audience; `undefined` claims are removed. */
  token(claims?: Record<string, unknown>, header?: Record<string, unknown>, signer?: TestKey): Promise<string>;
  close(): Promise<void>;
}

export function gatewayConfig(jwksUri: string, redisUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trustedProxies: ['127.0.0.1'],
    tokenType: 'access',
    issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], jwksUri }],
    dpop: 'allowed',
    redis: { url: redisUrl, prefix: `gw-test-${randomUUID().slice(0, 8)}:` },
    routes: [
      { path: '/public/', allow: true },
      { methods: ['POST'], path: '/admin/', scopes: ['admin'] },
      { pattern: '^/orders/[0-9]+$', scopes: ['read'] },
    ],
    defaultRoute: 'authenticate',
    identityHeaders: {
      subject: 'X-Auth-Subject',
      clientId: 'X-Auth-Client-Id',
      scope: 'X-Auth-Scope',
      issuer: 'X-Auth-Issuer',
      claims: 'X-Auth-Claims',
    },
    failClosedStatus: 503,
    ...extra,
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'oidc-verifier-gateway-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const key = await makeKey('gw-1', 'ES256');
    const forger = await makeKey('gw-1', 'ES256');
    const jwksServer = await startServer();
    cleanups.push(() => jwksServer.close());
    jwksServer.route('/jwks', json({ keys: [key.jwk] }, { 'cache-control': 'max-age=600' }));
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const config = gatewayConfig(`${jwksServer.origin}/jwks`, redis.url, options.config);
    const configPath = join(dir, 'gateway.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const replicas: Replica[] = [];
    cleanups.push(async () => {
      await Promise.all(replicas.map((r) => r.stop()));
    });
    for (let i = 0; i < (options.replicas ?? 2); i++) replicas.push(await startReplica(configPath, `replica-${i}`));
    const api = await startUpstream(options.onUpstream);
    cleanups.push(() => api.close());
    const nginx = await startNginx(siteConfig({ validators: replicas.map((r) => r.address), api: api.address }), {
      workers: options.nginxWorkers ?? 1,
    });
    cleanups.push(() => nginx.close());
    const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer: TestKey = key): Promise<string> => {
      const now = Math.floor(Date.now() / 1000);
      return signAccessToken(signer, ISSUER, AUDIENCE, { iat: now, exp: now + 600, scope: 'read', ...claims }, header);
    };
    return { nginx, replicas, api, redis, jwksServer, key, forger, config, token, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Reads one replica's /metrics (directly, not through nginx). */
export async function metrics(replica: Replica): Promise<Map<string, number>> {
  const res = await fetch(`${replica.url}/metrics`);
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** utime + stime of a process, in seconds (from /proc/<pid>/stat; 0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}
