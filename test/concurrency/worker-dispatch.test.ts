import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createVerifier, VerifyError, type Verifier } from '../../src/index.js';
import { ASYMMETRIC_ALGORITHMS } from '../../src/jose/algorithms.js';
import { decideInline, dispatchInternals, nextBusy } from '../../src/concurrency/dispatch.js';
import { AUDIENCE, ISSUER, NOW_MS, idTokenClaims, makeIssuer, type SigningAlgorithm, type TestIssuer } from '../support/sign.js';

/**
 * Verifications that pile up go to one worker thread (packed batches) and the main thread. These
 * tests start many at once so that path is taken, and check every outcome against the synchronous
 * path, which never leaves the calling thread.
 */

const ALGS = ASYMMETRIC_ALGORITHMS.filter((a): a is Exclude<typeof a, 'Ed25519'> => a !== 'Ed25519') satisfies readonly SigningAlgorithm[];

/** Another spelling of the signature: one character in its middle changed (still canonical). */
function tamper(token: string): string {
  const d = token.lastIndexOf('.');
  const i = d + Math.floor((token.length - d) / 2);
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

/** `ok` or the error code, for comparing the async outcome with the sync one. */
function outcomeSync(v: Verifier, token: string): string {
  try {
    v.verifyIdTokenSync(token);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof VerifyError, String(err));
    return err.code;
  }
}

async function outcomesAsync(v: Verifier, tokens: readonly string[]): Promise<string[]> {
  const settled = await Promise.allSettled(tokens.map((t) => v.verifyIdToken(t)));
  return settled.map((s) => {
    if (s.status === 'fulfilled') return 'ok';
    assert.ok(s.reason instanceof VerifyError, String(s.reason));
    return s.reason.code;
  });
}

async function workerOnline(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!dispatchInternals.lane()?.ready) {
    assert.ok(Date.now() < deadline, 'the worker thread did not come online within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('piled-up verifications: worker thread + main thread', () => {
  before(async () => {
    // These tests pile up by starting many at once; the load sample must not add its own say.
    dispatchInternals.sampleLoadWith(() => 0);
    await workerOnline();
  });
  after(() => dispatchInternals.sampleLoadWith(undefined));

  for (const alg of ALGS) {
    it(`${alg}: 48 at once, valid and tampered, same outcomes as the synchronous path`, async () => {
      const issuer = await makeIssuer(alg);
      const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS });
      const tokens: string[] = [];
      for (let i = 0; i < 24; i++) {
        const t = await issuer.sign(idTokenClaims({ sub: `user-${i}` }));
        tokens.push(t, tamper(t));
      }
      const before = dispatchInternals.counts();
      const got = await outcomesAsync(v, tokens);
      const after = dispatchInternals.counts();
      assert.deepEqual(
        got,
        tokens.map((t) => outcomeSync(v, t)),
      );
      assert.equal(got.filter((o) => o === 'ok').length, 24);
      assert.equal(got.filter((o) => o === 'ERR_SIGNATURE_INVALID').length, 24);
      assert.ok(after.worker > before.worker, `the worker verified none of them (${JSON.stringify(after)})`);
      assert.ok(after.main > before.main, `the main thread verified none of them (${JSON.stringify(after)})`);
      assert.equal(after.pool, before.pool, 'nothing should have gone to the libuv threadpool');
    });
  }

  it('tokens without kid: the worker tries each candidate key, skipping keys the signature cannot fit', async () => {
    // Three RS256 keys without kid; tokens signed by the last one, so the worker tries all three.
    const a = await makeIssuer('RS256', { name: 'cand-a' });
    const b = await makeIssuer('RS256', { name: 'cand-b' });
    const c = await makeIssuer('RS256', { name: 'cand-c' });
    const jwks = { keys: [a.jwks.keys[0]!, b.jwks.keys[0]!, c.jwks.keys[0]!].map(({ kid: _kid, ...k }) => k) };
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwks, now: () => NOW_MS });
    const tokens: string[] = [];
    for (let i = 0; i < 16; i++) {
      const t = await c.sign(idTokenClaims({ sub: `u${i}` }), { kid: undefined });
      tokens.push(t, tamper(t), await a.sign(idTokenClaims(), { kid: undefined }));
    }
    // A truncated signature fits no key: every key is skipped in the worker.
    const d = tokens[0]!.lastIndexOf('.');
    tokens.push(tokens[0]!.slice(0, d + 1) + tokens[0]!.slice(d + 5));
    const before = dispatchInternals.counts();
    const got = await outcomesAsync(v, tokens);
    assert.deepEqual(
      got,
      tokens.map((t) => outcomeSync(v, t)),
    );
    assert.equal(got.filter((o) => o === 'ok').length, 32);
    assert.ok(dispatchInternals.counts().worker > before.worker);
  });

  it('worker: false sends piled-up checks to the libuv threadpool instead', async () => {
    const issuer = await makeIssuer('ES256');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS, worker: false });
    const tokens = await Promise.all(Array.from({ length: 32 }, (_, i) => issuer.sign(idTokenClaims({ sub: `p${i}` }))));
    const before = dispatchInternals.counts();
    const got = await outcomesAsync(v, tokens);
    const after = dispatchInternals.counts();
    assert.deepEqual(
      got,
      tokens.map(() => 'ok'),
    );
    assert.equal(after.worker, before.worker);
    assert.equal(after.main, before.main);
    assert.equal(after.pool - before.pool, 31, 'all but the first (verified inline) go to the threadpool');
  });

  it('fake timers in the caller’s tests do not stall queued checks', async () => {
    const issuer = await makeIssuer('ES256');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS });
    const tokens = await Promise.all(Array.from({ length: 24 }, (_, i) => issuer.sign(idTokenClaims({ sub: `f${i}` }))));
    const before = dispatchInternals.counts();
    mock.timers.enable({ apis: ['setImmediate', 'setTimeout'] });
    try {
      assert.deepEqual(
        await outcomesAsync(v, tokens),
        tokens.map(() => 'ok'),
      );
    } finally {
      mock.timers.reset();
    }
    assert.ok(dispatchInternals.counts().worker > before.worker);
  });

  it('worker must be a boolean', () => {
    assert.throws(
      () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] }, worker: 1 as never }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
  });

  it('when the worker dies, what it held and what waited for it go to the threadpool; every verification settles right', async () => {
    const issuer: TestIssuer = await makeIssuer('EdDSA');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS });
    const tokens: string[] = [];
    for (let i = 0; i < 48; i++) {
      const t = await issuer.sign(idTokenClaims({ sub: `k${i}` }));
      tokens.push(i % 4 === 0 ? tamper(t) : t);
    }
    const lane = dispatchInternals.lane()!;
    const before = dispatchInternals.counts();
    const pending = outcomesAsync(v, tokens);
    await new Promise((r) => setImmediate(r)); // the first batch has been sent
    assert.ok(lane.pending > 0, 'expected signatures held by the worker');
    await lane.terminate();
    const got = await pending;
    assert.deepEqual(
      got,
      tokens.map((t) => outcomeSync(v, t)),
    );
    assert.ok(dispatchInternals.counts().pool > before.pool, 'the orphans should have gone to the threadpool');
    assert.equal(lane.dead, true);

    // A dead worker stays dead: later pile-ups use the threadpool.
    const mid = dispatchInternals.counts();
    assert.deepEqual(
      await outcomesAsync(v, tokens.slice(1, 9)),
      tokens.slice(1, 9).map((t) => outcomeSync(v, t)),
    );
    assert.equal(dispatchInternals.counts().worker, mid.worker);
    assert.ok(dispatchInternals.counts().pool > mid.pool);

    // Forgotten, the next pile-up starts a fresh worker.
    dispatchInternals.forgetWorker();
    await workerOnline();
    const again = dispatchInternals.counts();
    assert.deepEqual(
      await outcomesAsync(v, tokens),
      tokens.map((t) => outcomeSync(v, t)),
    );
    assert.ok(dispatchInternals.counts().worker > again.worker);
  });

  /** Runs test/fixtures/worker-exit.ts; a child still running after 30 s is killed and fails the test. */
  function burstInChild(mode: 'warm' | 'cold'): { valid: number; invalid: number; worker: number; pool: number } {
    const script = fileURLToPath(new URL('../fixtures/worker-exit.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
    assert.equal(r.error, undefined, `the child did not exit by itself within 30 s: ${String(r.error)}`);
    assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}\n${r.stderr}`);
    return JSON.parse(r.stdout.trim()) as { valid: number; invalid: number; worker: number; pool: number };
  }

  it('the process exits by itself after a burst: an idle worker holds nothing open', () => {
    const out = burstInChild('warm');
    assert.equal(out.valid, 150);
    assert.equal(out.invalid, 50);
    assert.ok(out.worker > 0, 'the burst should have used the worker');
  });

  it('the process exits by itself after 64 piled up while the worker was still starting (it never took a batch)', () => {
    const out = burstInChild('cold');
    assert.equal(out.valid, 48);
    assert.equal(out.invalid, 16);
    assert.ok(out.pool > 0, 'the burst should have gone to the threadpool while the worker started');
  });
});

describe('dispatch by load', () => {
  const idle = { onPool: 0, startedThisTick: false, waiting: 0, busy: false };

  it('the decision: inline only when idle, nothing waiting, first in its tick', () => {
    assert.equal(decideInline(idle), true);
    assert.equal(decideInline({ ...idle, busy: true }), false);
    assert.equal(decideInline({ ...idle, startedThisTick: true }), false);
    assert.equal(decideInline({ ...idle, waiting: 1 }), false);
    assert.equal(decideInline({ ...idle, onPool: 1 }), false);
    // The threadpool's bound wins: no unbounded pile of jobs, even when busy.
    assert.equal(decideInline({ ...idle, onPool: 256, busy: true, waiting: 3 }), true);
    assert.equal(decideInline({ ...idle, onPool: 255 }), false);
  });

  it('busy above 0.8 utilisation, idle again below 0.5 (hysteresis)', () => {
    assert.equal(nextBusy(false, 0), false);
    assert.equal(nextBusy(false, 0.8), false);
    assert.equal(nextBusy(false, 0.81), true);
    assert.equal(nextBusy(true, 0.79), true);
    assert.equal(nextBusy(true, 0.5), true);
    assert.equal(nextBusy(true, 0.49), false);
  });

  /** Starts each verification from its own macrotask, as an HTTP server's requests do. */
  async function requestsInOneTurn(v: Verifier, tokens: readonly string[]): Promise<string[]> {
    const started = tokens.map(
      (t) =>
        new Promise<string[]>((resolve, reject) => {
          setImmediate(() => void outcomesAsync(v, [t]).then(resolve, reject));
        }),
    );
    return (await Promise.all(started)).flat();
  }

  function spin(ms: number): void {
    const end = performance.now() + ms;
    while (performance.now() < end);
  }

  it('a busy main thread (real event-loop utilisation): requests that each verify alone reach the worker, with the right outcomes', async () => {
    await workerOnline();
    const issuer = await makeIssuer('ES256');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS, cache: false });
    const tokens: string[] = [];
    for (let i = 0; i < 4; i++) {
      const t = await issuer.sign(idTokenClaims({ sub: `b${i}` }));
      tokens.push(t, tamper(t));
    }
    const expected = tokens.map((t) => outcomeSync(v, t));
    dispatchInternals.sampleLoadWith(undefined);
    const before = dispatchInternals.counts();
    for (let round = 0; round < 8; round++) {
      spin(15); // the main thread is busy, as under a load of requests
      assert.deepEqual(await requestsInOneTurn(v, tokens), expected);
    }
    const after = dispatchInternals.counts();
    assert.ok(after.worker - before.worker >= 8, `the worker took ${after.worker - before.worker} (${JSON.stringify(after)})`);
  });

  it('an idle process: a lone verification stays inline (real utilisation sample)', async () => {
    const issuer = await makeIssuer('ES256');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS, cache: false });
    const token = await issuer.sign(idTokenClaims());
    dispatchInternals.sampleLoadWith(undefined);
    await v.verifyIdToken(token); // the first sample sets the baseline
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 40)); // idle: the event loop waits
      const before = dispatchInternals.counts();
      await v.verifyIdToken(token);
      const after = dispatchInternals.counts();
      assert.deepEqual(after, { ...before, inline: before.inline + 1 });
    }
  });

  it('injected samples: busy sends one-per-macrotask requests to the worker, idle keeps them inline', async () => {
    await workerOnline();
    const issuer = await makeIssuer('RS256');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS, cache: false });
    const tokens = await Promise.all(Array.from({ length: 16 }, (_, i) => issuer.sign(idTokenClaims({ sub: `i${i}` }))));
    try {
      dispatchInternals.sampleLoadWith(() => 0.1);
      let before = dispatchInternals.counts();
      assert.deepEqual(
        await requestsInOneTurn(v, tokens),
        tokens.map(() => 'ok'),
      );
      let after = dispatchInternals.counts();
      assert.deepEqual(after, { ...before, inline: before.inline + 16 });

      dispatchInternals.sampleLoadWith(() => 0.95);
      before = dispatchInternals.counts();
      assert.deepEqual(
        await requestsInOneTurn(v, tokens),
        tokens.map(() => 'ok'),
      );
      after = dispatchInternals.counts();
      assert.equal(after.inline, before.inline, 'none should run inline while the main thread is busy');
      assert.ok(after.worker > before.worker, JSON.stringify(after));
    } finally {
      dispatchInternals.sampleLoadWith(undefined);
    }
  });

  it('busy, but a caller awaiting one verification after another: never a worker round trip per call', async () => {
    const issuer = await makeIssuer('ES256');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, now: () => NOW_MS, cache: false });
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => issuer.sign(idTokenClaims({ sub: `s${i}` }))));
    try {
      dispatchInternals.sampleLoadWith(() => 1);
      const before = dispatchInternals.counts();
      for (const t of tokens) await v.verifyIdToken(t);
      const after = dispatchInternals.counts();
      assert.equal(after.worker, before.worker);
      assert.equal(after.pool, before.pool);
      assert.equal(after.inline + after.main - before.inline - before.main, 50);
    } finally {
      dispatchInternals.sampleLoadWith(undefined);
    }
  });
});
