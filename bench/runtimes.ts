/**
 * Verification throughput on each runtime as a ratio to jose on the same runtime (issue 17): the
 * same tokens and JWKS, oidc-verifier and jose in alternating rounds, on Node (in process), Deno
 * and Bun (the devDependency binaries), workerd (miniflare, the edge entry) and Chromium (the edge
 * entry bundled for the `browser` condition, through playwright-core). Deno, Bun, Node and Chromium
 * time themselves; workerd's clock stands still while code runs, so its rounds are timed from
 * Node around each request, minus the median of an empty request.
 */
import { createVerifier } from '../src/index.js';
import { ASYMMETRIC_KINDS, issuerFor } from '../test/support/sign.js';
import { runSuite, type SuiteInput, type SuiteOutput } from '../test/runtimes/suite.js';
import { bundle, runCli, startWorkerd } from '../test/runtimes/harness.js';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../test/support/chromium.js';
import { startServer } from '../test/support/jwks-server.js';

const ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
const ISSUER = 'https://issuer.bench.test';
const AUDIENCE = 'bench-client';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface RuntimeRow {
  runtime: string;
  alg: string;
  ours: number;
  jose: number;
  ratio: number;
}

async function benchInput(pool: number, rounds: number): Promise<SuiteInput> {
  const now = Math.floor(Date.now() / 1000);
  const tokens: Record<string, string[]> = {};
  const keys: Record<string, unknown>[] = [];
  for (const alg of ALGS) {
    const iss = await issuerFor(ASYMMETRIC_KINDS.find((k) => k.alg === alg)!);
    keys.push(iss.jwk!);
    tokens[alg] = await Promise.all(
      Array.from({ length: pool }, (_, i) => iss.sign({ iss: ISSUER, aud: AUDIENCE, sub: `user-${i}`, iat: now, exp: now + 3600 })),
    );
  }
  return { part: 'bench', issuer: ISSUER, audience: AUDIENCE, jwks: { keys }, bench: { tokens, libs: ['oidc-verifier', 'jose'], rounds } };
}

function rows(runtime: string, out: SuiteOutput, pool: number): RuntimeRow[] {
  return Object.entries(out.bench!).map(([alg, by]) => {
    const ours = median(by['oidc-verifier']!);
    const jose = median(by['jose']!);
    return { runtime, alg, ours: (pool * 1000) / ours, jose: (pool * 1000) / jose, ratio: jose / ours };
  });
}

async function workerdRows(input: SuiteInput, pool: number, rounds: number): Promise<RuntimeRow[]> {
  const script = await bundle('main-worker', ['workerd', 'worker', 'browser']);
  const w = await startWorkerd(script, { JWKS_URL: 'http://127.0.0.1:9/unused', ISSUER, AUDIENCE });
  try {
    const post = async (body: SuiteInput): Promise<number> => {
      const start = performance.now();
      const res = await w.fetch('/suite', { method: 'POST', body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`workerd bench request failed: ${res.status}`);
      return performance.now() - start;
    };
    const empty: number[] = [];
    for (let i = 0; i < 5; i++) empty.push(await post({ ...input, bench: { tokens: {}, libs: [], rounds: 0 } }));
    const overhead = median(empty);
    const out: RuntimeRow[] = [];
    for (const alg of ALGS) {
      const times: Record<string, number[]> = { 'oidc-verifier': [], jose: [] };
      for (let r = 0; r < rounds; r++) {
        for (const lib of r % 2 === 0 ? (['oidc-verifier', 'jose'] as const) : (['jose', 'oidc-verifier'] as const)) {
          // Each request: one warm-up pass and one timed pass in the isolate, so 2 x pool verifications.
          const ms = await post({ ...input, bench: { tokens: { [alg]: input.bench!.tokens[alg]! }, libs: [lib], rounds: 1 } });
          times[lib]!.push(Math.max(ms - overhead, 0.001));
        }
      }
      const ours = median(times['oidc-verifier']!);
      const jose = median(times['jose']!);
      out.push({ runtime: 'workerd', alg, ours: (2 * pool * 1000) / ours, jose: (2 * pool * 1000) / jose, ratio: jose / ours });
    }
    return out;
  } finally {
    await w.dispose();
  }
}

/** The same bench part in Chromium: the page loads the browser bundle from a 127.0.0.1 server and times itself. */
async function browserRows(input: SuiteInput, pool: number): Promise<RuntimeRow[]> {
  const script = readFileSync(await bundle('main-browser', ['browser']), 'utf8');
  const site = await startServer();
  site.route('/', (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><script type="module" src="/bundle.mjs"></script>');
  });
  site.route('/bundle.mjs', (_req, res) => {
    res.setHeader('content-type', 'text/javascript');
    res.end(script);
  });
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => (globalThis as unknown as { suiteReady?: boolean }).suiteReady === true);
    const out = await page.evaluate(
      (i) => (globalThis as unknown as { runSuite: (input: SuiteInput) => Promise<SuiteOutput> }).runSuite(i),
      input,
    );
    return rows('Chromium', out, pool);
  } finally {
    await browser.close();
    await site.close();
  }
}

/** Runs the cross-runtime benchmark; returns the table (markdown or plain). */
export async function runRuntimeBench(
  options: { quick?: boolean; markdown?: boolean } = {},
): Promise<{ table: string; rows: RuntimeRow[] }> {
  const pool = options.quick ? 50 : 200;
  const rounds = options.quick ? 3 : 7;
  const input = await benchInput(pool, rounds);
  const all: RuntimeRow[] = [];
  all.push(...rows('Node.js', await runSuite(input, createVerifier), pool));
  const cli = await bundle('main-cli', []);
  for (const bin of ['deno', 'bun'] as const) all.push(...rows(bin === 'deno' ? 'Deno' : 'Bun', await runCli(bin, cli, input), pool));
  all.push(...(await workerdRows(input, pool, rounds)));
  all.push(...(await browserRows(input, pool)));
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const head = ['runtime', 'alg', 'oidc-verifier ops/s', 'jose ops/s', 'ratio'];
  const body = all.map((r) => [r.runtime, r.alg, fmt(r.ours), fmt(r.jose), `${r.ratio.toFixed(2)}x`]);
  const table = options.markdown
    ? [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n')
    : [head, ...body].map((r) => r.map((c, i) => (i < 2 ? c.padEnd(9) : c.padStart(20))).join(' ')).join('\n');
  return {
    table: `${table}\n(sequential verifyIdToken vs jose jwtVerify + createLocalJWKSet, ${pool} distinct tokens per alg, median of ${rounds} alternating rounds; ratio = oidc-verifier ops/s / jose ops/s on the same runtime)`,
    rows: all,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { table } = await runRuntimeBench({ quick: process.argv.includes('--quick'), markdown: process.argv.includes('--markdown') });
  console.log(table);
}
