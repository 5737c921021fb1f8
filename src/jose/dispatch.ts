import type { KeyObject } from 'node:crypto';
import type { AlgorithmSpec } from './algorithms.js';
import { verifySignature, verifySignatureAsync } from './signature.js';

/**
 * Adaptive dispatch of signature checks. A lone verification runs on the calling thread: the
 * threadpool round trip costs more than it saves. When verifications pile up (a second one starts
 * before the microtask queue drains, or some are already on the pool), they go to the libuv
 * threadpool so both cores verify while the main thread parses and checks claims.
 */

/** Anything that carries an imported key (a VerificationKey, or a wrapped HMAC secret). */
export interface KeyHolder {
  readonly keyObject: KeyObject;
}

/** Most pool jobs in flight at once; beyond it the main thread verifies too (bounds libuv's queue). */
const POOL_LIMIT = 256;

let onPool = 0;
let startedThisTick = false;
const endTick = (): void => {
  startedThisTick = false;
};
// A reaction on a settled promise is a bare V8 microtask; Node's queueMicrotask adds an
// AsyncResource per call (about 100 ns more).
const settled = Promise.resolve();

/**
 * Whether the next signature check should run on the calling thread. A sequential caller awaits
 * each result, so the microtask that ends the "tick" runs before its next call; callers that start
 * several verifications at once hit the mark and are spread over the pool.
 */
export function runInline(): boolean {
  if (onPool >= POOL_LIMIT) return true;
  if (onPool > 0 || startedThisTick) return false;
  startedThisTick = true;
  void settled.then(endTick);
  return true;
}

/** Verifies on the calling thread, trying each key; returns the index that verified or -1. */
export function verifyWithKeys(spec: AlgorithmSpec, keys: readonly KeyHolder[], data: Uint8Array, signature: Uint8Array): number {
  for (let i = 0; i < keys.length; i++) if (verifySignature(spec, keys[i]!.keyObject, data, signature)) return i;
  return -1;
}

/** Verifies on the libuv threadpool, trying each key in turn; calls back once with the index or -1. */
export function verifyOnPool(
  spec: AlgorithmSpec,
  keys: readonly KeyHolder[],
  data: Uint8Array,
  signature: Uint8Array,
  done: (keyIndex: number) => void,
  from = 0,
): void {
  onPool++;
  verifySignatureAsync(spec, keys[from]!.keyObject, data, signature, (ok) => {
    onPool--;
    if (ok) done(from);
    else if (from + 1 < keys.length) verifyOnPool(spec, keys, data, signature, done, from + 1);
    else done(-1);
  });
}
