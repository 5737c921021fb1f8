import type { KeyObject } from 'node:crypto';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
// The module's own setImmediate: test runners' fake timers replace the global one, and queued
// checks must not wait for a fake clock.
import { setImmediate } from 'node:timers';
import type { AlgorithmSpec } from '../jose/algorithms.js';
import { shapeOk, verifySignature, verifySignatureAsync } from '../jose/signature.js';
import { MAX_KEYS, SKIP_KEY, WorkerLane, type LaneItem } from './worker-lane.js';

/**
 * Adaptive dispatch of signature checks, decided by load. A lone verification in an idle process
 * runs on the calling thread: any hand-off costs more than it saves. Checks are queued instead when
 * they pile up (a second one starts before the microtask queue drains, or some are already
 * waiting) or when the main thread is busy (its event-loop utilisation over the last few
 * milliseconds is high: an HTTP server under load, where each request verifies alone in its own
 * turn). Each event-loop turn sends up to half of the queue to one worker thread in a packed batch
 * and verifies a few on the main thread, so both cores verify and the main thread keeps parsing
 * requests and checking claims. Until the worker is online, if it fails, or when a verifier opts
 * out, queued checks go to the libuv threadpool instead.
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
/** Checks by where they ran (tests read these to know each path was taken). */
const counts = { inline: 0, worker: 0, main: 0, pool: 0 };

/** Event-loop utilisation is sampled at most this often (ms), by the calls themselves: no timer. */
const SAMPLE_MS = 10;
/** Above this utilisation the main thread counts as busy and checks are queued... */
const BUSY_ABOVE = 0.8;
/** ...until it falls below this one (hysteresis: offloading itself lowers the utilisation). */
const IDLE_BELOW = 0.5;

let busy = false;
let lastSampleAt = -Infinity;
let lastElu: EventLoopUtilization | undefined;
/** Utilisation since the previous sample; the first sample only sets the baseline (start-up is all busy). */
const realSampleLoad = (): number => {
  const elu = performance.eventLoopUtilization();
  const prev = lastElu;
  lastElu = elu;
  return prev === undefined ? 0 : performance.eventLoopUtilization(elu, prev).utilization;
};
/** Tests replace the sampler to drive the decision without real load. */
let sampleLoad = realSampleLoad;

/** What the dispatch decision looks at; see {@link decideInline}. */
export interface LoadState {
  /** Checks on the libuv threadpool now. */
  readonly onPool: number;
  /** A check already ran inline in this tick (microtask turn). */
  readonly startedThisTick: boolean;
  /** Checks queued or held by the worker. */
  readonly waiting: number;
  /** The main thread was busy at the last sample (utilisation above the busy mark, with hysteresis). */
  readonly busy: boolean;
}

/**
 * The pure decision: true runs the check inline. The threadpool's bound wins over everything (no
 * unbounded pile of jobs); then anything waiting, a second start in one tick or a busy main thread
 * queue it; an idle process verifies inline at the lowest latency.
 */
export function decideInline(s: LoadState): boolean {
  if (s.onPool >= POOL_LIMIT) return true;
  return !(s.onPool > 0 || s.startedThisTick || s.waiting > 0 || s.busy);
}

/** Whether the main thread is busy, from a utilisation sample and the previous answer. */
export function nextBusy(wasBusy: boolean, utilisation: number): boolean {
  return wasBusy ? utilisation >= IDLE_BELOW : utilisation > BUSY_ABOVE;
}

function mainThreadBusy(): boolean {
  const t = performance.now();
  if (t - lastSampleAt >= SAMPLE_MS) {
    lastSampleAt = t;
    busy = nextBusy(busy, sampleLoad());
  }
  return busy;
}

/**
 * Decides where the next signature check runs, and claims the slot: true means "verify it now, on
 * the calling thread" and marks this tick as used, so a second call in the same tick gets false
 * (queue it with {@link verifyPiledUp}). A sequential caller in an idle process awaits each result,
 * so the microtask that ends the "tick" runs before its next call; callers that start several
 * verifications at once, and any caller while the main thread is busy, are spread over the worker
 * and the main thread.
 */
export function claimInlineSlot(): boolean {
  const inline = decideInline({
    onPool,
    startedThisTick,
    waiting: queue.length - head + (lane !== undefined ? lane.pending : 0),
    busy: mainThreadBusy(),
  });
  if (inline) {
    counts.inline++;
    if (!startedThisTick) {
      startedThisTick = true;
      void settled.then(endTick);
    }
  }
  return inline;
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
  // A lone check with nothing else waiting: the main thread was busy, but not with work that could
  // run beside this check (a caller awaiting one verification after another in a tight loop).
  // Verify it here and stay inline until the next sample.
  const alone = queue.length - head === 1 && onPool === 0 && (l === undefined || l.pending === 0);
  if (alone) busy = false;
  else if (l !== undefined && l.ready) {
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
  counts: (): { inline: number; worker: number; main: number; pool: number } => ({ ...counts }),
  /** Replaces the utilisation sampler (undefined: the real one) and forgets the last sample. */
  sampleLoadWith: (f: (() => number) | undefined): void => {
    sampleLoad = f ?? realSampleLoad;
    lastSampleAt = -Infinity;
    lastElu = undefined;
    busy = false;
  },
};
