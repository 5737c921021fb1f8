/** Small statistics helpers: medians over rounds, percentiles over per-call latencies. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Growable store of latencies (ms) for one contender in one mode, across all rounds. */
export class Latencies {
  #data = new Float64Array(1 << 14);
  #length = 0;

  push(ms: number): void {
    if (this.#length === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#length++] = ms;
  }

  get length(): number {
    return this.#length;
  }

  /** Nearest-rank percentiles in µs; sorts a copy once. */
  percentilesMicros(ps: readonly number[]): number[] {
    if (this.#length === 0) return ps.map(() => NaN);
    const sorted = this.#data.slice(0, this.#length).sort();
    return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! * 1000);
  }
}
