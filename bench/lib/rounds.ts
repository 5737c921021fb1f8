import { Cursor, runSlice, type Mode } from './measure.js';
import { isUnsupported, RAW, type Contender, type ContenderEntry } from './contenders.js';
import { Latencies, median } from './stats.js';
import { threadCpu } from './thread-cpu.js';
import type { AlgFixture } from './tokens.js';
import type { BenchOptions } from './options.js';

/**
 * Interleaved, paired, short slices. On a shared VM the speed drifts by 5-10% from one 10 ms
 * window to the next and by more between seconds, so every contender's slice runs right next to a
 * slice of raw `crypto.verify` (raw first on every other pair) and its ratio is taken against that
 * neighbour. Each round gives every contender `pairs` such pairs in a row (the order of contenders
 * rotates by one each round); the reported ratio is the median over all pairs, ops/s the median
 * over all slices. Many short pairs beat a few long ones: the drift is not averaged away by a
 * longer slice, while the median of n pairs narrows as 1/sqrt(n).
 */

export interface Row {
  readonly name: string;
  readonly opsPerSec: number;
  readonly p50us: number;
  readonly p99us: number;
  /** Median over pairs of (ops/s ÷ ops/s of the raw slice next to it). */
  readonly ratio: number;
  readonly note?: string;
  readonly unsupported?: string;
  /** Concurrent mode: CPU µs per verification over every timed slice, main thread and all threads. */
  readonly cpu?: { readonly mainUs: number; readonly totalUs: number };
}

export interface AlgResult {
  readonly alg: string;
  readonly sequential: readonly Row[];
  readonly concurrent: readonly Row[];
}

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

interface Series {
  readonly ops: number[];
  readonly ratios: number[];
  readonly lat: Latencies;
  /** CPU seconds (main thread, all threads) and calls over the timed concurrent slices. */
  readonly cpu: { main: number; total: number; calls: number; known: boolean };
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

export async function runAlg(
  f: AlgFixture,
  entries: readonly ContenderEntry[],
  o: BenchOptions,
  progress: (msg: string) => void,
): Promise<AlgResult> {
  const supported = entries.filter((e): e is Contender => !isUnsupported(e));
  const lists: Record<Mode, Contender[]> = { sequential: supported, concurrent: supported.filter((c) => c.concurrent) };
  const series: Record<Mode, Map<string, Series>> = { sequential: new Map(), concurrent: new Map() };
  const cursors = new Map<string, Cursor>();
  for (const c of supported) cursors.set(c.name, new Cursor(f.tokens));
  for (const mode of ['sequential', 'concurrent'] as const) {
    for (const c of lists[mode])
      series[mode].set(c.name, { ops: [], ratios: [], lat: new Latencies(), cpu: { main: 0, total: 0, calls: 0, known: true } });
  }

  // Warm-up round: JIT, key caches, threadpool threads; not recorded.
  for (const mode of ['sequential', 'concurrent'] as const) {
    for (const c of lists[mode]) await runSlice(c, mode, cursors.get(c.name)!, 150, o.inFlight, undefined);
  }

  // One collection before the timed rounds, none inside them. A forced full GC before each
  // contender's pairs lowered every contender's ratio to raw by 1-7% (raw runs in every pair and
  // was not hurt): a bias, not a fairness measure. Left alone, a scavenge lands in one slice now
  // and then, and the median over pairs ignores it.
  gc();
  const raw = supported.find((c) => c.name === RAW)!;
  const sliceMs = (mode: Mode): number => (mode === 'concurrent' ? o.sliceMs * 2 : o.sliceMs);
  const timed = async (c: Contender, mode: Mode): Promise<number> => {
    const s = series[mode].get(c.name)!;
    const before = mode === 'concurrent' ? threadCpu() : undefined;
    const res = await runSlice(c, mode, cursors.get(c.name)!, sliceMs(mode), o.inFlight, s.lat);
    if (mode === 'concurrent') {
      const after = threadCpu();
      if (before && after) {
        s.cpu.main += after.main - before.main;
        s.cpu.total += after.main + after.others - before.main - before.others;
        s.cpu.calls += res.totalOps ?? res.ops;
      } else s.cpu.known = false;
    }
    const ops = res.ops / res.seconds;
    s.ops.push(ops);
    return ops;
  };
  for (let r = 0; r < o.rounds; r++) {
    progress(`${f.alg} round ${r + 1}/${o.rounds}`);
    for (const mode of ['sequential', 'concurrent'] as const) {
      const others = rotate(
        lists[mode].filter((c) => c !== raw),
        r,
      );
      for (let k = 0; k < others.length; k++) {
        const c = others[k]!;
        for (let j = 0; j < o.pairs; j++) {
          let mine: number;
          let base: number;
          if ((r + k + j) % 2 === 0) {
            base = await timed(raw, mode);
            mine = await timed(c, mode);
          } else {
            mine = await timed(c, mode);
            base = await timed(raw, mode);
          }
          series[mode].get(c.name)!.ratios.push(mine / base);
        }
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
      const [p50us, p99us] = s.lat.percentilesMicros([50, 99]) as [number, number];
      out.push({
        name: e.name,
        opsPerSec: median(s.ops),
        p50us,
        p99us,
        ratio: e.name === RAW ? 1 : median(s.ratios),
        ...(fromMode === 'concurrent' && s.cpu.known && s.cpu.calls > 0
          ? { cpu: { mainUs: (s.cpu.main / s.cpu.calls) * 1e6, totalUs: (s.cpu.total / s.cpu.calls) * 1e6 } }
          : {}),
        ...(e.sync ? { note: mode === 'concurrent' && fromMode === 'sequential' ? 'sync: = sequential' : 'sync' } : {}),
      });
    }
    return out;
  };
  return { alg: f.alg, sequential: rows('sequential'), concurrent: rows('concurrent') };
}
