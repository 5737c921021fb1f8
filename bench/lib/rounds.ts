import { Cursor, runSlice, type Mode } from './measure.js';
import { isUnsupported, RAW, type Contender, type ContenderEntry } from './contenders.js';
import { Latencies, median } from './stats.js';
import type { AlgFixture } from './tokens.js';
import type { BenchOptions } from './options.js';

/**
 * Interleaved round-robin: every round gives each contender one time slice, in an order rotated
 * by one each round, so drift in machine load (other processes, CPU frequency, GC) spreads over
 * all contenders instead of biasing whoever ran last. Ratios are taken against raw within the
 * same round, then the median over rounds is reported.
 */

export interface Row {
  readonly name: string;
  readonly opsPerSec: number;
  readonly p50us: number;
  readonly p99us: number;
  /** Median over rounds of (ops/s ÷ raw ops/s in that round). */
  readonly ratio: number;
  readonly note?: string;
  readonly unsupported?: string;
}

export interface AlgResult {
  readonly alg: string;
  readonly sequential: readonly Row[];
  readonly concurrent: readonly Row[];
}

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

interface Series {
  readonly ops: number[];
  readonly lat: Latencies;
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

export async function runAlg(f: AlgFixture, entries: readonly ContenderEntry[], o: BenchOptions, progress: (msg: string) => void): Promise<AlgResult> {
  const supported = entries.filter((e): e is Contender => !isUnsupported(e));
  const lists: Record<Mode, Contender[]> = { sequential: supported, concurrent: supported.filter((c) => c.concurrent) };
  const series: Record<Mode, Map<string, Series>> = { sequential: new Map(), concurrent: new Map() };
  const cursors = new Map<string, Cursor>();
  for (const c of supported) cursors.set(c.name, new Cursor(f.tokens));
  for (const mode of ['sequential', 'concurrent'] as const) {
    for (const c of lists[mode]) series[mode].set(c.name, { ops: [], lat: new Latencies() });
  }

  // Warm-up round: JIT, key caches, threadpool threads; not recorded.
  for (const mode of ['sequential', 'concurrent'] as const) {
    for (const c of lists[mode]) await runSlice(c, mode, cursors.get(c.name)!, Math.max(20, o.sliceMs / 2), o.inFlight, undefined);
  }

  for (let r = 0; r < o.rounds; r++) {
    progress(`${f.alg} round ${r + 1}/${o.rounds}`);
    for (const mode of ['sequential', 'concurrent'] as const) {
      for (const c of rotate(lists[mode], r)) {
        gc(); // each slice starts from a collected heap: no contender pays for another's garbage
        const s = series[mode].get(c.name)!;
        const res = await runSlice(c, mode, cursors.get(c.name)!, o.sliceMs, o.inFlight, s.lat);
        s.ops.push(res.ops / res.seconds);
      }
    }
  }

  const rows = (mode: Mode): Row[] => {
    const out: Row[] = [];
    for (const e of entries) {
      if (isUnsupported(e)) {
        out.push({ name: e.name, opsPerSec: NaN, p50us: NaN, p99us: NaN, ratio: NaN, unsupported: e.unsupported });
        continue;
      }
      // Sync contenders cannot overlap: their concurrent numbers are their sequential ones.
      const fromMode: Mode = series[mode].has(e.name) ? mode : 'sequential';
      const s = series[fromMode].get(e.name)!;
      const base = series[fromMode].get(RAW)!;
      const [p50us, p99us] = s.lat.percentilesMicros([50, 99]) as [number, number];
      out.push({
        name: e.name,
        opsPerSec: median(s.ops),
        p50us,
        p99us,
        ratio: median(s.ops.map((v, i) => v / base.ops[i]!)),
        ...(e.sync ? { note: mode === 'concurrent' && fromMode === 'sequential' ? 'sync: = sequential' : 'sync' } : {}),
      });
    }
    return out;
  };
  return { alg: f.alg, sequential: rows('sequential'), concurrent: rows('concurrent') };
}
