import { OIDC, PEERS, RAW_POOL } from './contenders.js';
import type { AlgResult, Row } from './rounds.js';

/** Tables and the target verdicts, as aligned text or as Markdown for the README. */

export interface Target {
  readonly alg: string;
  readonly label: string;
  readonly actual: string;
  readonly pass: boolean;
}

/** The targets: ≥0.95x raw sequentially; ≥1.4x (RSA) / ≥1.7x (EC, EdDSA) with 64 in flight. */
export function concurrentTarget(alg: string): number {
  return alg === 'RS256' || alg === 'PS256' ? 1.4 : 1.7;
}

function find(rows: readonly Row[], name: string): Row | undefined {
  return rows.find((r) => r.name === name && r.unsupported === undefined);
}

/** The best peer by its paired ratio to raw (ops/s of different rounds carry the host's drift). */
function bestPeer(rows: readonly Row[]): Row | undefined {
  let best: Row | undefined;
  for (const name of PEERS) {
    const r = find(rows, name);
    if (r && (best === undefined || r.ratio > best.ratio)) best = r;
  }
  return best;
}

export function targets(results: readonly AlgResult[], inFlight: number): Target[] {
  const out: Target[] = [];
  for (const res of results) {
    const seq = find(res.sequential, OIDC);
    const conc = find(res.concurrent, OIDC);
    if (!seq || !conc) continue;
    const ct = concurrentTarget(res.alg);
    out.push({ alg: res.alg, label: 'sequential >= 0.95x raw', actual: `${seq.ratio.toFixed(2)}x`, pass: seq.ratio >= 0.95 });
    out.push({ alg: res.alg, label: `${inFlight} in flight >= ${ct}x raw`, actual: `${conc.ratio.toFixed(2)}x`, pass: conc.ratio >= ct });
    for (const [mode, rows, mine] of [
      ['sequential', res.sequential, seq],
      ['concurrent', res.concurrent, conc],
    ] as const) {
      const peer = bestPeer(rows);
      if (!peer) continue;
      out.push({
        alg: res.alg,
        label: `${mode}: ahead of every peer`,
        actual: `${fmtRatio(mine.ratio)} vs ${peer.name} ${fmtRatio(peer.ratio)}`,
        pass: mine.ratio > peer.ratio,
      });
    }
  }
  return out;
}

/**
 * The threadpool's gain over raw is the parallelism this run really had. On a shared machine
 * the second core is often busy, and then no concurrent target can be judged.
 */
export function parallelismNotes(results: readonly AlgResult[], inFlight: number): string[] {
  const notes: string[] = [];
  for (const res of results) {
    const pool = find(res.concurrent, RAW_POOL);
    if (!pool) continue;
    const ours = find(res.concurrent, OIDC);
    // The host decides how much of the second core a run gets; this share does not depend on it.
    const share = ours && pool.ratio > 0 ? `; oidc-verifier reached ${(ours.ratio / pool.ratio).toFixed(2)} of it` : '';
    const line = `${res.alg}: raw threadpool reached ${pool.ratio.toFixed(2)}x raw with ${inFlight} in flight (the parallelism this run had)${share}`;
    notes.push(pool.ratio < 1.3 ? `${line}: the other core looked busy, concurrent ratios are not meaningful` : line);
    if (pool.cpu && ours?.cpu) {
      notes.push(
        `${res.alg}: CPU per verification with ${inFlight} in flight (all threads / main thread): raw threadpool ` +
          `${pool.cpu.totalUs.toFixed(1)} / ${pool.cpu.mainUs.toFixed(1)} µs, oidc-verifier ${ours.cpu.totalUs.toFixed(1)} / ${ours.cpu.mainUs.toFixed(1)} µs ` +
          `(${(ours.cpu.totalUs / pool.cpu.totalUs).toFixed(2)}x the threadpool's cost; steadier than ops/s, about ±5%)`,
      );
    }
  }
  return notes;
}

function fmtOps(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
}

function fmtUs(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 100 ? Math.round(v).toString() : v.toFixed(1);
}

function fmtRatio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a';
}

const HEAD = ['contender', 'ops/s', 'p50 µs', 'p99 µs', 'vs raw', 'note'];

function cells(r: Row): string[] {
  if (r.unsupported !== undefined) return [r.name, 'n/a', 'n/a', 'n/a', 'n/a', r.unsupported];
  return [r.name, fmtOps(r.opsPerSec), fmtUs(r.p50us), fmtUs(r.p99us), fmtRatio(r.ratio), r.note ?? ''];
}

function textTable(head: readonly string[], body: readonly string[][], rightAlign: ReadonlySet<number>): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: readonly string[]): string =>
    cols
      .map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function mdTable(head: readonly string[], body: readonly string[][], rightAlign: ReadonlySet<number>): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (rightAlign.has(i) ? '---:' : '---')).join('|')}|`,
    ...body.map((b) => `| ${b.map(esc).join(' | ')} |`),
  ].join('\n');
}

const NUMERIC = new Set([1, 2, 3, 4]);

export function renderAlg(res: AlgResult, inFlight: number, markdown: boolean): string {
  const parts: string[] = [];
  for (const [mode, rows] of [
    ['sequential (one at a time)', res.sequential],
    [`concurrent (${inFlight} in flight)`, res.concurrent],
  ] as const) {
    const title = `${res.alg}, ${mode}`;
    const body = rows.map(cells);
    parts.push(markdown ? `#### ${title}\n\n${mdTable(HEAD, body, NUMERIC)}` : `${title}\n${textTable(HEAD, body, NUMERIC)}`);
  }
  return parts.join('\n\n');
}

export function renderTargets(list: readonly Target[], markdown: boolean): string {
  const head = ['alg', 'target (oidc-verifier)', 'measured', 'verdict'];
  const body = list.map((t) => [t.alg, t.label, t.actual, t.pass ? 'PASS' : 'FAIL']);
  return markdown ? mdTable(head, body, new Set()) : textTable(head, body, new Set());
}
