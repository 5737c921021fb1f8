import { freshKeyPair } from '../../test/support/fresh-key-pair.js';
import { performance } from 'node:perf_hooks';
import { createVerifier } from '../../src/index.js';
import { AUDIENCE, ISSUER, signManyFast } from './tokens.js';

/**
 * Memory stays flat: verify N distinct EdDSA tokens (cheapest to sign, so N can be large) with
 * 64 in flight and compare heapUsed after full collections before and after. A per-token cache
 * or leak of even 20 bytes shows up as 2 MB over 100k tokens.
 */

export interface MemoryResult {
  readonly tokens: number;
  readonly signSeconds: number;
  readonly verifySeconds: number;
  readonly heapBeforeMB: number;
  readonly heapMidMB: number;
  readonly heapAfterMB: number;
  readonly deltaMB: number;
  /** Growth over the second half of the tokens alone. */
  readonly secondHalfMB: number;
  readonly pass: boolean;
}

/** Growth below this over the whole run (and half of it over the second half) counts as flat. */
export const FLAT_LIMIT_MB = 2;

function heapMB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the memory check needs node --expose-gc (npm run bench passes it)');
  gc();
  gc();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

export async function memoryCheck(count: number, inFlight: number): Promise<MemoryResult> {
  const { publicKey, privateKey } = freshKeyPair('ed25519');
  const kid = 'bench-mem';
  const t0 = performance.now();
  const tokens = signManyFast({ alg: 'EdDSA', kid, privateKey }, count);
  const signSeconds = (performance.now() - t0) / 1000;
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as { kty: string }), kid, alg: 'EdDSA', use: 'sig' };
  // The crypto path's own memory, without the verified-signature cache (bench/cache.ts checks that one against its bound).
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] }, cache: false });
  // Warm the verifier (JIT, key import, header cache) with tokens from a separate set.
  for (const t of signManyFast({ alg: 'EdDSA', kid, privateKey }, 256, 'warm')) await verifier.verifyIdToken(t);

  const verifyRange = async (from: number, to: number): Promise<void> => {
    let next = from;
    const worker = async (): Promise<void> => {
      while (next < to) {
        const { payload } = await verifier.verifyIdToken(tokens[next++]!);
        if (typeof payload.sub !== 'string') throw new Error('memory check: a verified token has no sub');
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  };
  // Measured at three points: a leak grows in both halves; one-off effects (V8 flushing unused
  // bytecode, garbage of earlier phases) only move the first.
  const before = heapMB();
  const t1 = performance.now();
  await verifyRange(0, count >> 1);
  const verifyFirst = performance.now() - t1;
  const mid = heapMB();
  const t2 = performance.now();
  await verifyRange(count >> 1, count);
  const verifySeconds = (verifyFirst + performance.now() - t2) / 1000;
  const after = heapMB();
  if (tokens.length !== count) throw new Error('unreachable'); // keeps the tokens alive until `after`
  return {
    tokens: count,
    signSeconds,
    verifySeconds,
    heapBeforeMB: before,
    heapAfterMB: after,
    heapMidMB: mid,
    deltaMB: after - before,
    secondHalfMB: after - mid,
    pass: after - before < FLAT_LIMIT_MB && after - mid < FLAT_LIMIT_MB / 2,
  };
}
