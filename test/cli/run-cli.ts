/**
 * Runs the BUILT binary (dist/cli/main.js, as `npx oidc-verifier` would) in a child process with
 * a clean environment. `npm run build` must have run; a stale build is reported, not tested.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newestSource } from '../support/newest-source.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'dist/cli/main.js');

/** Throws a clear message when the binary is missing or older than its sources. */
export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
  const built = statSync(BIN).mtimeMs;
  const src = Math.max(
    newestSource(join(ROOT, 'src/cli')),
    newestSource(join(ROOT, 'src/inspector')),
    newestSource(join(ROOT, 'src/report')),
  );
  if (src > built + 1000) throw new Error('dist/ is older than src/cli, src/inspector or src/report: run "npm run build" first');
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed. Without it stdin is closed at once (empty). */
  readonly input?: string | Buffer;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** The environment every run starts from: no colour or token settings leak in from the shell. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(NO_COLOR|FORCE_COLOR|OIDC_|NODE_OPTIONS|TERM$)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...baseEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.end(options.input ?? '');
  });
}

/** stderr lines that are not the argv warning. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('warning:'));
}
