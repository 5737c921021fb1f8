/**
 * What the tests that start a real server process (redis-server, nginx, the demo) share: a free
 * loopback port, reaping the child when the test process ends without its after() (a file killed
 * on timeout), and polling until the child answers.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** A port free on 127.0.0.1 right now (a race with another process is possible: callers retry). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * Runs `reap` (kill the child and whatever it started) if this process exits or gets SIGTERM
 * before the child has exited: a test file killed on timeout never runs its after().
 */
export function reapWithParent(child: ChildProcess, reap: () => void): void {
  const reapAndExit = (): void => {
    reap();
    process.exit(143);
  };
  process.once('exit', reap);
  process.once('SIGTERM', reapAndExit);
  child.once('exit', () => {
    process.removeListener('exit', reap);
    process.removeListener('SIGTERM', reapAndExit);
  });
}

/**
 * Calls `probe` every 25 ms, at most 200 times (5 s), until it answers true; `stop` is checked
 * before each probe and ends the wait early (the child failed). Resolves whether it came up.
 */
export async function pollUntilUp(probe: () => Promise<boolean>, stop: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (stop()) return false;
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
