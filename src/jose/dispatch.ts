import type { KeyObject } from 'node:crypto';
import type { AlgorithmSpec } from './algorithms.js';
import { verifySignature, verifySignatureAsync } from './signature.js';

/**
 * Adaptive dispatch of signature checks. A lone verification runs on the calling thread: the
 * threadpool round trip costs more than it saves. When verifications pile up (several submitted
 * before the next microtask, or some already on the pool), they go to the libuv threadpool so
 * both cores verify while the main thread parses and checks claims.
 */

/** Anything that carries an imported key (a VerificationKey, or a wrapped HMAC secret). */
export interface KeyHolder {
  readonly keyObject: KeyObject;
}

export interface SignatureJob {
  readonly spec: AlgorithmSpec;
  readonly keys: readonly KeyHolder[];
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  /** Called once with the index of the key that verified, or -1. */
  readonly done: (keyIndex: number) => void;
}

/** Most pool jobs in flight at once; beyond it the main thread verifies too (bounds libuv's queue). */
const POOL_LIMIT = 256;

let queue: SignatureJob[] = [];
let scheduled = false;
let onPool = 0;

function runInline(job: SignatureJob): void {
  job.done(verifyWithKeys(job.spec, job.keys, job.data, job.signature));
}

function runOnPool(job: SignatureJob, from: number): void {
  onPool++;
  verifySignatureAsync(job.spec, job.keys[from]!.keyObject, job.data, job.signature, (ok) => {
    onPool--;
    if (ok) job.done(from);
    else if (from + 1 < job.keys.length) runOnPool(job, from + 1);
    else job.done(-1);
  });
}

function flush(): void {
  scheduled = false;
  const jobs = queue;
  queue = [];
  const alone = jobs.length === 1 && onPool === 0;
  for (const job of jobs) {
    if (alone || onPool >= POOL_LIMIT) runInline(job);
    else runOnPool(job, 0);
  }
}

/** Queues a signature check; it runs after the current synchronous code, inline or on the pool. */
export function dispatchSignature(job: SignatureJob): void {
  queue.push(job);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(flush);
  }
}

/** Verifies on the calling thread, trying each key; returns the index that verified or -1. */
export function verifyWithKeys(spec: AlgorithmSpec, keys: readonly KeyHolder[], data: Uint8Array, signature: Uint8Array): number {
  for (let i = 0; i < keys.length; i++) if (verifySignature(spec, keys[i]!.keyObject, data, signature)) return i;
  return -1;
}
