import { VerifyError, describeValue } from './errors.js';

/**
 * Validation helpers for options, shared by every layer that takes them (verifier, remote key
 * sources, introspection). Bad options fail at once with `ERR_CONFIG`.
 */

export function configError(message: string): VerifyError {
  return new VerifyError('ERR_CONFIG', message);
}

/** An optional number option: absent, or a finite number >= `min` (an integer when asked). */
export function checkNumber(name: string, v: unknown, min: number, integer = false): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw configError(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${describeValue(v)}`);
  }
}

/** Edit distance between two option names, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/**
 * Refuses option names the library does not know: a misspelt safety option (`clockTolerence`,
 * `audiance`) would otherwise be silently ignored. Names the closest known option when one is near.
 */
export function rejectUnknownOptions(where: string, options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
      const d = distance(name, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    const shown = describeValue(name.length > 64 ? `${name.slice(0, 64)}…` : name);
    const hint = best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? `; did you mean "${best}"?` : '';
    throw configError(`${where}: unknown option ${shown}${hint}`);
  }
}
