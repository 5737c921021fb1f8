import { pathToFileURL } from 'node:url';
import { isUnsupported, type Contender, type ContenderEntry } from './lib/contenders.js';
import type { AlgFixture } from './lib/tokens.js';

/**
 * The gate before any timing: a benchmark of a contender that rejects everything (or accepts
 * everything) is worthless. Every contender must accept valid pool tokens and return their claims,
 * and reject a tampered payload, a wrong audience and an expired token.
 * Run alone: `node --import tsx bench/verify.ts` checks every contender for every alg.
 */

export interface GateResult {
  readonly contender: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

function subOf(result: unknown): unknown {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as { payload?: { sub?: unknown }; sub?: unknown };
  return r.payload !== undefined ? r.payload.sub : r.sub;
}

async function outcome(c: Contender, token: string): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await c.verify(token) };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectedSub(token: string): unknown {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub?: unknown };
  return payload.sub;
}

export async function checkContender(c: Contender, f: AlgFixture): Promise<GateResult> {
  const problems: string[] = [];
  const samples = [0, 1, f.tokens.length >> 1, f.tokens.length - 1].filter((i, k, a) => i < f.tokens.length && a.indexOf(i) === k);
  for (const i of samples) {
    const token = f.tokens[i]!;
    const r = await outcome(c, token);
    if (!r.ok) problems.push(`rejected valid token #${i}: ${(r.error as Error)?.message ?? String(r.error)}`);
    else if (subOf(r.value) !== expectedSub(token)) problems.push(`valid token #${i} returned sub ${String(subOf(r.value))}`);
  }
  for (const [label, token] of [
    ['tampered payload', f.tampered],
    ['wrong audience', f.wrongAudience],
    ['expired', f.expired],
  ] as const) {
    const r = await outcome(c, token);
    if (r.ok) problems.push(`accepted a token with ${label}`);
  }
  return { contender: c.name, ok: problems.length === 0, problems };
}

/** Checks every supported contender; throws listing the failures. */
export async function gate(contenders: readonly ContenderEntry[], f: AlgFixture): Promise<void> {
  const failures: string[] = [];
  for (const c of contenders) {
    if (isUnsupported(c)) continue;
    const r = await checkContender(c, f);
    if (!r.ok) failures.push(`${f.alg} ${r.contender}: ${r.problems.join('; ')}`);
  }
  if (failures.length > 0) throw new Error(`contender check failed, not benchmarking:\n  ${failures.join('\n  ')}`);
}

async function main(): Promise<void> {
  const { BENCH_ALGS } = await import('./lib/options.js');
  const { createFixture } = await import('./lib/tokens.js');
  const { createContenders } = await import('./lib/contenders.js');
  let failed = false;
  for (const alg of BENCH_ALGS) {
    const f = await createFixture(alg, 8);
    for (const c of createContenders(f)) {
      if (isUnsupported(c)) {
        console.log(`${alg.padEnd(6)} ${c.name.padEnd(22)} n/a (${c.unsupported})`);
        continue;
      }
      const r = await checkContender(c, f);
      failed ||= !r.ok;
      console.log(`${alg.padEnd(6)} ${c.name.padEnd(22)} ${r.ok ? 'ok' : `FAIL ${r.problems.join('; ')}`}`);
    }
  }
  if (failed) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
