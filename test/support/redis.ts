/**
 * A real redis-server (the Debian package) for tests: started on 127.0.0.1 on a free port, no
 * persistence, working directory in a temp dir, killed by its PID. A missing binary fails the
 * test run (never a skip). `stop()` and `start()` again on the same port simulate an outage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pollUntilUp, reapWithParent } from './child-process.js';

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGTERM, waits for exit). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Stops it and removes the temp dir. */
  close(): Promise<void>;
}

/** Sends PING in RESP and waits for +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-verifier-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ];
    const c = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let spawnError: Error | undefined;
    c.on('error', (e) => (spawnError = e));
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    reapWithParent(c, () => void c.kill('SIGKILL'));
    const up = await pollUntilUp(
      () => ping(port),
      () => spawnError !== undefined || c.exitCode !== null,
    );
    if (spawnError !== undefined) throw new Error(`redis-server could not start (install the redis-server package): ${spawnError.message}`);
    if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}: ${stderr.slice(0, 500)}`);
    if (up) return;
    c.kill('SIGKILL');
    throw new Error('redis-server did not answer PING within 5 s');
  }

  async function stop(): Promise<void> {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    c.kill('SIGTERM');
    await exited;
  }

  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 2) throw err;
      port = await freePort(); // lost a race for the port
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start: launch,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
