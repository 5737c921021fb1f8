#!/usr/bin/env node
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startInspector, type InspectorPrefill, type InspectorSample } from '../inspector/server.js';
import { runDemoChecks, type DemoRun } from './demo-checks.js';
import { DEMO_ALGORITHMS, hiddenNotices, startDemoProvider, type DemoAlgorithm, type DemoProvider } from './provider.js';

/**
 * `npm start`: an embedded OpenID Provider, a real login through it, and the library validating
 * the tokens it issued; then the web inspector, pre-filled with those tokens.
 */

const USAGE = `Usage: npm start -- [--once] [--port N] [--inspector-port N] [--alg RS256|PS256|ES256|EdDSA] [--verbose]

  --once             exit after printing the checklist (default: keep the inspector running)
  --port N           port of the demo provider on 127.0.0.1 (default: a free port)
  --inspector-port N port of the web inspector (default: a free port)
  --alg ALG          signing algorithm of the provider (default RS256)
  --verbose          show oidc-provider's development-mode notices
`;

interface Args {
  once: boolean;
  port: number;
  inspectorPort: number;
  alg: DemoAlgorithm;
  verbose: boolean;
}

class UsageError extends Error {}

function portArg(name: string, v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--${name} must be a port number 0-65535, got ${JSON.stringify(v)}`);
  return n;
}

function parse(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      once: { type: 'boolean', default: false },
      port: { type: 'string' },
      'inspector-port': { type: 'string' },
      alg: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const alg = (values.alg ?? 'RS256') as DemoAlgorithm;
  if (!DEMO_ALGORITHMS.includes(alg)) throw new UsageError(`--alg must be one of ${DEMO_ALGORITHMS.join(', ')}`);
  return {
    once: values.once === true,
    port: portArg('port', values.port),
    inspectorPort: portArg('inspector-port', values['inspector-port']),
    alg,
    verbose: values.verbose === true,
  };
}

const colour = process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
const paint = (code: string, s: string): string => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);

function providerVersion(): string {
  try {
    const url = new URL('../../node_modules/oidc-provider/package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return '';
  }
}

function print(p: DemoProvider, run: DemoRun, startMs: number, totalMs: number): boolean {
  const width = Math.max(...run.checks.map((c) => c.label.length));
  const out: string[] = [];
  out.push('', paint('1', `oidc-verifier demo — a real OpenID Provider (oidc-provider ${providerVersion()}) on this machine`), '');
  out.push(
    `  ${paint('32', '✓')} ${'provider'.padEnd(width)}  ${p.issuer}, ${p.alg} key ${p.signingKid.slice(0, 12)}…, client "${p.clientId}", up in ${Math.round(startMs)} ms`,
  );
  for (const c of run.checks) {
    out.push(`  ${c.ok ? paint('32', '✓') : paint('31', '✗')} ${c.label.padEnd(width)}  ${c.ok ? c.detail : paint('31', c.detail)}`);
  }
  const failed = run.checks.filter((c) => !c.ok).length;
  out.push('');
  out.push(
    failed === 0
      ? paint('32', `All ${run.checks.length + 1} checks passed`) +
          ` (code flow ${Math.round(run.flowMs ?? 0)} ms, total ${(totalMs / 1000).toFixed(1)} s).`
      : paint('31', `${failed} of ${run.checks.length + 1} checks failed.`),
  );
  console.log(out.join('\n'));
  return failed === 0;
}

function prefill(p: DemoProvider, run: DemoRun): InspectorPrefill {
  const code = run.code!;
  const samples: InspectorSample[] = [
    { label: 'ID token (code flow)', token: code.tokens.id_token, issuer: p.issuer, audience: p.clientId, nonce: code.nonce, type: 'id' },
    {
      label: 'JWT access token (RFC 9068)',
      token: code.tokens.access_token,
      issuer: p.issuer,
      audience: p.resource,
      scope: p.resourceScope,
      type: 'access',
    },
  ];
  const h = run.hybrid?.authorization;
  if (h?.id_token !== undefined && h.access_token !== undefined) {
    samples.push({
      label: 'ID token (hybrid, at_hash + c_hash)',
      token: h.id_token,
      issuer: p.issuer,
      audience: p.clientId,
      nonce: run.hybrid!.nonce,
      accessToken: h.access_token,
      type: 'id',
    });
  }
  const { label: _label, ...first } = samples[0]!;
  return { ...first, verify: true, samples };
}

/** One verified token written for the user to try the CLI on, with the command that checks it. */
interface TokenFile {
  readonly label: string;
  readonly file: string;
  readonly command: string;
}

/**
 * Writes the verified tokens to a private temporary folder (0700, removed on exit) and returns the
 * CLI command that verifies each against the running provider. Files, not argv: a token on a
 * command line lands in shell history and in `ps` output.
 */
function writeTokenFiles(p: DemoProvider, run: DemoRun): { dir: string; files: TokenFile[] } {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-verifier-demo-'));
  chmodSync(dir, 0o700);
  const cli = 'node dist/cli/main.js verify -';
  const files: TokenFile[] = [];
  const add = (name: string, label: string, token: string, args: string): void => {
    const file = join(dir, name);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    files.push({ label, file, command: `${cli} --issuer ${p.issuer} ${args} < ${file}` });
  };
  const code = run.code;
  if (code !== undefined) {
    // '--nonce=VALUE': a random nonce begins with '-' one time in 64, and would read as an option.
    add('id-token.jwt', 'ID token (code flow)', code.tokens.id_token, `--audience ${p.clientId} --nonce=${code.nonce}`);
    add(
      'access-token.jwt',
      'JWT access token (RFC 9068)',
      code.tokens.access_token,
      `--audience ${p.resource} --type access --scope ${p.resourceScope}`,
    );
  }
  return { dir, files };
}

async function main(argv: string[]): Promise<number> {
  let args: Args | 'help';
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const t0 = performance.now();
  let provider: DemoProvider;
  try {
    provider = await startDemoProvider({ port: args.port, alg: args.alg, quiet: !args.verbose });
  } catch (err) {
    process.stderr.write(`cannot start the demo provider on 127.0.0.1:${args.port}: ${(err as Error).message}\n`);
    return 1;
  }
  const startMs = performance.now() - t0;
  const run = await runDemoChecks(provider);
  const ok = print(provider, run, startMs, performance.now() - t0);
  if (!args.verbose && hiddenNotices().length > 0) {
    console.log(paint('2', `(oidc-provider printed ${hiddenNotices().length} development-mode notices; --verbose shows them)`));
  }
  if (!ok || args.once) {
    await provider.close();
    return ok ? 0 : 1;
  }
  const inspector = await startInspector({ port: args.inspectorPort, prefill: prefill(provider, run) });
  const tokens = writeTokenFiles(provider, run);
  console.log(`\nThe verified tokens are in ${tokens.dir} (removed on exit). Check them with the CLI while the provider runs:`);
  for (const f of tokens.files) console.log(`  ${paint('2', `# ${f.label}`)}\n  ${f.command}`);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log(
    `\nInspector: ${paint('1', inspector.url)}  — pre-filled with these tokens; the provider stays up for it. Ctrl+C stops both.`,
  );
  await stopped;
  await Promise.all([inspector.close(), provider.close()]);
  rmSync(tokens.dir, { recursive: true, force: true });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
