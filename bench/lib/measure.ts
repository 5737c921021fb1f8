import { performance } from 'node:perf_hooks';
import type { Contender } from './contenders.js';
import type { Latencies } from './stats.js';

/**
 * Timing loops. One slice runs one contender for a fixed wall time and records every call's
 * latency. Tokens cycle through the pool from a per-contender cursor, so no two consecutive calls
 * see the same token and result caches keyed by the token cannot help.
 */

export interface SliceResult {
  /** Calls completed in the timed window. */
  readonly ops: number;
  readonly seconds: number;
  /** Every call the slice made, drained ones included (concurrent mode); CPU is shared over these. */
  readonly totalOps?: number;
}

export class Cursor {
  #i = 0;
  constructor(readonly tokens: readonly string[]) {}
  next(): string {
    const t = this.tokens[this.#i]!;
    this.#i = this.#i + 1 === this.tokens.length ? 0 : this.#i + 1;
    return t;
  }
}

function syncSlice(c: Contender, cursor: Cursor, sliceMs: number, lat: Latencies | undefined): SliceResult {
  const verify = c.verify;
  const start = performance.now();
  const end = start + sliceMs;
  let t = start;
  let ops = 0;
  while (t < end) {
    verify(cursor.next());
    const t2 = performance.now();
    lat?.push(t2 - t);
    t = t2;
    ops++;
  }
  return { ops, seconds: (t - start) / 1000 };
}

async function sequentialSlice(c: Contender, cursor: Cursor, sliceMs: number, lat: Latencies | undefined): Promise<SliceResult> {
  const verify = c.verify;
  const start = performance.now();
  const end = start + sliceMs;
  let t = start;
  let ops = 0;
  while (t < end) {
    await verify(cursor.next());
    const t2 = performance.now();
    lat?.push(t2 - t);
    t = t2;
    ops++;
  }
  return { ops, seconds: (t - start) / 1000 };
}

/**
 * Keeps `inFlight` verifications outstanding: each completion inside the window starts the next.
 * Throughput counts the completions inside the window only (steady state: as much work is in flight
 * when the window opens as when it closes); the rest then drain, untimed but in `totalOps` for CPU
 * accounting. Latency is submit-to-settle, queueing included, for every call.
 */
function concurrentSlice(
  c: Contender,
  cursor: Cursor,
  sliceMs: number,
  inFlight: number,
  lat: Latencies | undefined,
): Promise<SliceResult> {
  const verify = c.verify as (token: string) => Promise<unknown>;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const end = start + sliceMs;
    let active = 0;
    let inWindow = 0;
    let ops = 0;
    let failed = false;
    const launch = (): void => {
      const t0 = performance.now();
      active++;
      verify(cursor.next()).then(
        () => {
          const t1 = performance.now();
          lat?.push(t1 - t0);
          active--;
          ops++;
          if (failed) return;
          if (t1 < end) {
            inWindow++;
            launch();
          } else if (active === 0) resolve({ ops: inWindow, seconds: sliceMs / 1000, totalOps: ops });
        },
        (err: unknown) => {
          if (!failed) reject(new Error(`${c.name} rejected a valid token while timed: ${(err as Error)?.message ?? String(err)}`));
          failed = true;
        },
      );
    };
    for (let i = 0; i < inFlight; i++) launch();
  });
}

export type Mode = 'sequential' | 'concurrent';

export function runSlice(
  c: Contender,
  mode: Mode,
  cursor: Cursor,
  sliceMs: number,
  inFlight: number,
  lat: Latencies | undefined,
): SliceResult | Promise<SliceResult> {
  if (c.sync) return syncSlice(c, cursor, sliceMs, lat);
  return mode === 'sequential' ? sequentialSlice(c, cursor, sliceMs, lat) : concurrentSlice(c, cursor, sliceMs, inFlight, lat);
}
