/**
 * A real nginx (Debian `nginx-light`, built with `auth_request`) for tests: one master process from
 * a config written under a temp dir (`daemon off`, every path inside the temp dir, 127.0.0.1 only),
 * on a free port (retried on EADDRINUSE), stopped by its PID (SIGQUIT, then SIGKILL after a bound),
 * temp dir removed. A missing binary fails the run with the package to install (never a skip).
 *
 * The site config (the `upstream` and `server` blocks) is the tested block of docs/gateway-nginx.md,
 * with its example addresses replaced by the test's: the doc's config is the one under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pollUntilUp, reapWithParent } from './child-process.js';

export { freePort };

const ROOT = new URL('../../', import.meta.url).pathname;
export const NGINX_DOC = join(ROOT, 'docs/gateway-nginx.md');
/** The line in the doc right before the fenced block that the tests run. */
export const TESTED_MARKER = '<!-- tested: test/gateway-nginx (test/support/nginx.ts reads this block) -->';

/** The example addresses in the doc's config, replaced by the test's real ones. */
export const DOC_ADDRESSES = {
  listen: '127.0.0.1:8080',
  validators: ['127.0.0.1:8081', '127.0.0.1:8082'],
  api: '127.0.0.1:3000',
} as const;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => done(true));
  });
}

/** The fenced ```nginx block after TESTED_MARKER in docs/gateway-nginx.md. */
export function docSiteConfig(): string {
  const text = readFileSync(NGINX_DOC, 'utf8');
  const at = text.indexOf(TESTED_MARKER);
  if (at < 0) throw new Error(`${NGINX_DOC} has no "${TESTED_MARKER}" line`);
  const m = /```nginx\n([\s\S]*?)```/.exec(text.slice(at));
  if (m === null || m[1] === undefined) throw new Error(`${NGINX_DOC}: no \`\`\`nginx block after the tested marker`);
  return m[1];
}

export interface SiteAddresses {
  /** host:port of each validator replica, in order (the doc has two; more or fewer lines are made). */
  readonly validators: readonly string[];
  /** host:port of the API upstream. */
  readonly api: string;
}

/**
 * The doc's site config with the test's addresses (`listen` is left as the placeholder LISTEN).
 * Throws when an example address is missing from the doc: a doc edit cannot silently detach the test.
 */
export function siteConfig(addrs: SiteAddresses): string {
  let conf = docSiteConfig();
  const [first, second] = DOC_ADDRESSES.validators;
  for (const needle of [DOC_ADDRESSES.listen, first, second, DOC_ADDRESSES.api]) {
    if (!conf.includes(needle)) throw new Error(`the tested nginx block in ${NGINX_DOC} no longer contains ${needle}`);
  }
  // The validator server lines: the first one is the template for each replica.
  const lines = conf.split('\n');
  const firstLine = lines.find((l) => l.includes(first));
  if (firstLine === undefined) throw new Error('no validator server line');
  const replicaLines = addrs.validators.map((v) => firstLine.replace(first, v));
  const out: string[] = [];
  for (const l of lines) {
    if (l.includes(first)) out.push(...replicaLines);
    else if (l.includes(second)) continue;
    else out.push(l);
  }
  conf = out.join('\n');
  return conf.replaceAll(DOC_ADDRESSES.api, addrs.api).replaceAll(DOC_ADDRESSES.listen, 'LISTEN');
}

/** A whole nginx.conf: the main context for a test run around a site config (LISTEN replaced). */
export function mainConfig(dir: string, site: string, port: number, workers = 1): string {
  const user = process.getuid?.() === 0 ? 'user root root;\n' : ''; // as root, workers would switch to nobody
  return `${user}daemon off;
master_process on;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${site.replaceAll('LISTEN', `127.0.0.1:${port}`)}
}
`;
}

export interface TestNginx {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly pid: number;
  /** The master and its workers, for CPU accounting. */
  pids(): number[];
  /** nginx's error log so far (for failure messages). */
  errorLog(): string;
  /** SIGQUIT (graceful), SIGKILL to the master and workers after `graceMs`; removes the temp dir. */
  close(graceMs?: number): Promise<void>;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Starts nginx with `site` (a site config containing the placeholder LISTEN) on a free port.
 * `nginx` must be on PATH or at /usr/sbin/nginx.
 */
export async function startNginx(site: string, options: { workers?: number } = {}): Promise<TestNginx> {
  const bin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const dir = mkdtempSync(join(tmpdir(), 'oidc-verifier-nginx-'));
  mkdirSync(join(dir, 'tmp'));
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), mainConfig(dir, site, port, options.workers ?? 1));
    writeFileSync(join(dir, 'error.log'), '');
    const child: ChildProcess = spawn(bin, ['-c', join(dir, 'nginx.conf'), '-p', `${dir}/`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let spawnError: Error | undefined;
    child.on('error', (e) => (spawnError = e));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    reapWithParent(child, () => {
      for (const p of childrenOf(child.pid ?? -1)) process.kill(p, 'SIGKILL');
      child.kill('SIGKILL');
    });
    const up = await pollUntilUp(
      () => accepts(port),
      () => spawnError !== undefined || child.exitCode !== null,
    );
    if (spawnError !== undefined) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx could not start (${spawnError.message}): install it with "apt-get install nginx-light"`);
    }
    if (!up) {
      const log = readFileSync(join(dir, 'error.log'), 'utf8');
      lastError = `${stderr}${log}`.slice(0, 2000);
      child.kill('SIGKILL');
      await exited;
      if (/Address already in use/.test(lastError)) continue; // lost a race for the port
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${lastError}`);
    }
    const masterPid = child.pid ?? -1;
    return {
      port,
      origin: `http://127.0.0.1:${port}`,
      pid: masterPid,
      pids: () => [masterPid, ...childrenOf(masterPid)],
      errorLog: () => {
        try {
          return readFileSync(join(dir, 'error.log'), 'utf8');
        } catch {
          return '';
        }
      },
      async close(graceMs = 3000) {
        if (child.exitCode === null && child.signalCode === null) {
          const workers = childrenOf(masterPid);
          child.kill('SIGQUIT');
          const timer = new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref());
          const graceful = await Promise.race([exited.then(() => true), timer]);
          if (!graceful) {
            for (const p of workers) {
              try {
                process.kill(p, 'SIGKILL');
              } catch {
                // already gone
              }
            }
            child.kill('SIGKILL');
            await exited;
          }
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`nginx could not get a free port: ${lastError}`);
}

/** What the API upstream received, one entry per request. */
export interface UpstreamRecord {
  readonly method: string;
  readonly path: string;
  /** Lower-cased request headers. */
  readonly headers: Record<string, string>;
}

export interface TestUpstream {
  /** host:port */
  readonly address: string;
  /** Every request received so far. */
  readonly received: UpstreamRecord[];
  close(): Promise<void>;
}

/**
 * The protected API behind nginx: a node:http server on 127.0.0.1 that answers 200 with JSON
 * `{ method, path, headers }` (the identity headers it was given) and records each request.
 * `record: false` keeps only a count (for load runs), see `onRequest`.
 */
export async function startUpstream(onRequest?: (req: IncomingMessage) => void): Promise<TestUpstream> {
  const received: UpstreamRecord[] = [];
  const server: Server = createHttpServer((req, res) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const rec = { method: req.method ?? '', path: req.url ?? '', headers };
    if (onRequest !== undefined) onRequest(req);
    else received.push(rec);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(rec));
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
