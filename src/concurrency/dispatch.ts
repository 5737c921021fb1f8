import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
// The module's own setImmediate: test runners' fake timers replace the global one, and queued
// checks must not wait for a fake clock.
import { setImmediate } from 'node:timers';
import type { AlgorithmSpec } from '../jose/algorithms.js';
import { shapeOk, verifySignature, verifySignatureAsync } from '../jose/signature.js';
import { MAX_KEYS, SKIP_KEY, WorkerLane, type LaneItem } from './worker-lane.js';

/**
 * Adaptive dispatch of signature checks. A lone verification runs on the calling thread: any
 * hand-off costs more than it saves. When verifications pile up (a second one starts before the
 * microtask queue drains, or some are already waiting), they are queued: each event-loop turn
 * sends up to half of the queue to one worker thread in a packed batch and verifies a few on the
 * main thread, so both cores verify and the main thread still parses and checks claims. Until the
 * worker is online, if it fails, or when a verifier opts out, piled-up checks go to the libuv
 * threadpool instead.
 */

/** Anything that carries an imported key (a VerificationKey, or a wrapped HMAC secret). */
export interface KeyHolder {
  readonly keyObject: KeyObject;
}

/** Most libuv threadpool jobs in flight at once; beyond it the main thread verifies too. */
const POOL_LIMIT = 256;
/** Most signatures the worker holds at once: enough that it never runs dry between batches. */
const WORKER_DEPTH = 48;
/** Signatures the main thread verifies per event-loop turn while the worker holds the rest... */
const INLINE_PER_TURN = 8;
/** ...unless they take longer than this (ms): slow curves must not stall the event loop. */
const INLINE_BUDGET_MS = 1;

interface Job extends LaneItem {
  readonly keys: readonly KeyHolder[];
  keyIds: readonly number[];
}

let onPool = 0;
let startedThisTick = false;
const endTick = (): void => {
  startedThisTick = false;
};
// A reaction on a settled promise is a bare V8 microtask; Node's queueMicrotask adds an
// AsyncResource per call (about 100 ns more).
const settled = Promise.resolve();

let lane: WorkerLane<Job> | undefined;
/** The worker could not be started here (no worker_threads, a permission policy): use the pool. */
let laneUnavailable = false;
let queue: Job[] = [];
let head = 0;
let flushScheduled = false;
/** Piled-up checks by where they ran (tests read these to know each path was taken). */
const counts = { worker: 0, main: 0, pool: 0 };

/**
 * Decides where the next signature check runs, and claims the slot: true means "verify it now, on
 * the calling thread" and marks this tick as used, so a second call in the same tick gets false
 * (queue it with {@link verifyPiledUp}). A sequential caller awaits
 * each result, so the microtask that ends the "tick" runs before its next call; callers that start
 * several verifications at once hit the mark and are spread over the worker and the pool.
 */
export function claimInlineSlot(): boolean {
  if (onPool >= POOL_LIMIT) return true;
  if (onPool > 0 || startedThisTick || head < queue.length || (lane !== undefined && lane.pending > 0)) return false;
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
  counts.pool++;
  verifySignatureAsync(spec, keys[from]!.keyObject, data, signature, (ok) => {
    onPool--;
    if (ok) done(from);
    else if (from + 1 < keys.length) verifyOnPool(spec, keys, data, signature, done, from + 1);
    else done(-1);
  });
}

/**
 * Verifies a check that arrived while others are waiting: queued for the worker thread and the
 * main thread, or on the libuv threadpool (`useWorker` false, HMAC, an unusual number of keys, or
 * no worker available). Calls back once with the index of the key that verified or -1.
 */
export function verifyPiledUp(
  spec: AlgorithmSpec,
  keys: readonly KeyHolder[],
  data: Uint8Array,
  signature: Uint8Array,
  done: (keyIndex: number) => void,
  useWorker: boolean,
): void {
  if (!useWorker || spec.family === 'hmac' || keys.length > MAX_KEYS || !workerReady()) {
    verifyOnPool(spec, keys, data, signature, done);
    return;
  }
  queue.push({ spec, keys, keyIds: [], data, signature, done });
  scheduleFlush();
}

/** Starts the worker on first use; false until it is online, and for good once it has failed. */
function workerReady(): boolean {
  if (lane === undefined) {
    if (laneUnavailable) return false;
    try {
      lane = new WorkerLane<Job>(scheduleFlush, toPool);
    } catch {
      laneUnavailable = true;
      return false;
    }
  }
  return lane.ready;
}

/** The worker failed: what it held and what still waits for it go to the threadpool. */
function toPool(orphans: readonly Job[]): void {
  const waiting = queue.slice(head);
  queue = [];
  head = 0;
  for (const j of [...orphans, ...waiting]) verifyOnPool(j.spec, j.keys, j.data, j.signature, j.done);
}

function scheduleFlush(): void {
  if (flushScheduled || head === queue.length) return;
  flushScheduled = true;
  setImmediate(flush);
}

function flush(): void {
  flushScheduled = false;
  const l = lane;
  if (l !== undefined && l.ready) {
    const n = Math.min(WORKER_DEPTH - l.pending, Math.ceil((queue.length - head) / 2));
    if (n > 0) {
      const batch = queue.slice(head, head + n);
      head += n;
      for (const j of batch) j.keyIds = workerKeyIds(l, j.spec, j.keys, j.signature);
      l.send(batch);
      counts.worker += n;
    }
  }
  const start = performance.now();
  for (let k = 0; k < INLINE_PER_TURN && head < queue.length; k++) {
    const j = queue[head++]!;
    counts.main++;
    j.done(verifyWithKeys(j.spec, j.keys, j.data, j.signature));
    if (performance.now() - start > INLINE_BUDGET_MS) break;
  }
  if (head === queue.length) {
    queue = [];
    head = 0;
  } else if (head > 1024) {
    queue = queue.slice(head);
    head = 0;
  }
  scheduleFlush();
}

/**
 * The worker's numbers for a check's keys. The shape checks of `verifySignature` run here: a key
 * the signature cannot fit (wrong length, wrong key type) is skipped in the worker.
 */
export function workerKeyIds(l: WorkerLane<LaneItem>, spec: AlgorithmSpec, keys: readonly KeyHolder[], signature: Uint8Array): number[] {
  const ids: number[] = [];
  for (const k of keys) ids.push(shapeOk(spec, k.keyObject, signature) ? l.keyId(k.keyObject) : SKIP_KEY);
  return ids;
}

/** Test hooks: the worker (started if needed), and where piled-up checks ran. */
export const dispatchInternals = {
  lane: (): WorkerLane<Job> | undefined => {
    workerReady();
    return lane;
  },
  /** Forgets a failed worker so the next pile-up starts a new one. */
  forgetWorker: (): void => {
    lane = undefined;
  },
  counts: (): { worker: number; main: number; pool: number } => ({ ...counts }),
};
