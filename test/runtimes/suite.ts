/**
 * The runtime-independent part of the cross-runtime tests: bundled with esbuild and run inside
 * Deno, Bun and workerd (miniflare) by test/runtimes/*.test.ts, and on Node directly. It gets its
 * inputs (Wycheproof files, tokens signed on Node by `jose`, a JWKS URL on 127.0.0.1) as JSON and
 * answers with plain JSON: the Node side asserts. It imports no `node:` module, so it also runs in
 * workerd without nodejs_compat and in a browser; the node:crypto paths (modes `node` and
 * `node-async`, PEM keys) come in as {@link NodeHooks} from suite-node.ts where node:crypto exists.
 */
import type { KeyObject } from 'node:crypto';
import { ALGORITHMS, type AlgorithmSpec, type AsymmetricAlgorithm } from '../../src/jose/algorithms.js';
import { verifySignatureWebCrypto } from '../../src/jose/webcrypto.js';
import { detectRuntime, signatureBackend, useNodeCrypto, useWebCrypto, type KeyHolder } from '../../src/jose/backend.js';
import { importJwk } from '../../src/keys/jwk.js';
import type { createVerifier as CreateVerifier } from '../../src/index.js';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { runHashes, type HashSuiteInput, type HashSuiteOutput } from './suite-hashes.js';

export type Mode = 'node' | 'node-async' | 'webcrypto';

export interface WycheproofTest {
  tcId: number;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
export interface WycheproofGroup {
  publicKeyPem: string;
  publicKeyJwk?: Record<string, unknown>;
  tests: WycheproofTest[];
}
export interface VectorFile {
  alg: AsymmetricAlgorithm;
  crv?: string;
  groups: WycheproofGroup[];
}

export interface TokenCase {
  name: string;
  token: string;
  profile: 'id' | 'access';
  nonce?: string;
}

export interface SuiteInput {
  /** Which part runs: the Wycheproof vectors, or the verification path (static and remote keys). */
  part: 'wycheproof' | 'verify' | 'bench' | 'hashes';
  /** hashes: hash claims, DPoP `ath`/`jkt`, nonce HMAC, hash helpers (test/runtimes/suite-hashes.ts). */
  hashes?: HashSuiteInput;
  /** bench: tokens per alg, verified by each library in turn, `rounds` times (interleaved). */
  bench?: { tokens: Record<string, string[]>; libs: ('oidc-verifier' | 'jose')[]; rounds: number; backend?: Mode };
  files?: Record<string, VectorFile>;
  modes?: Mode[];
  /** Static-key verification: the issuer, audience, JWKS and tokens. */
  issuer?: string;
  audience?: string;
  jwks?: { keys: Record<string, unknown>[] };
  tokens?: TokenCase[];
  /** Remote keys: the 127.0.0.1 JWKS URL and tokens that verify with it. */
  jwksUrl?: string;
  remoteTokens?: TokenCase[];
}

export interface VectorResult {
  file: string;
  mode: Mode;
  /** The backend's own verdict on the algorithm here: undefined, or why it is narrowed out. */
  gap?: string;
  /** importJwk's verdict on the group keys under this backend ('ok' or the reason). */
  jwkImport: string;
  tests: number;
  validVerified: number;
  validRejected: number;
  invalidRejected: number;
  invalidAccepted: number;
  acceptableVerified: number;
  acceptableRejected: number;
  /** Vectors whose key the runtime refused outright (counted as rejections). */
  keyRefused: number;
  /** The first few disagreements, by tcId. */
  examples: string[];
}

export interface Outcome {
  ok: boolean;
  sub?: string;
  code?: string;
  message?: string;
}

export interface SuiteOutput {
  runtime: string;
  backend: { name: string; synchronous: boolean; unavailable: string[]; asyncViaWebCrypto: string[] };
  vectors?: VectorResult[];
  verify?: Record<string, Outcome>;
  remote?: Record<string, Outcome>;
  sync?: Outcome;
  hashes?: HashSuiteOutput;
  /** bench: ms per round, by alg then library (0 where the runtime's clock stands still, as in workerd). */
  bench?: Record<string, Record<string, number[]>>;
  ms: number;
}

const hex = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
};

/** The node:crypto paths, where the runtime has node:crypto (test/runtimes/suite-node.ts). */
export interface NodeHooks {
  /** Verifies through src/jose/signature.ts: inline (`node`) or on the threadpool (`node-async`). */
  verify(mode: 'node' | 'node-async', spec: AlgorithmSpec, key: KeyObject, msg: Uint8Array, sig: Uint8Array): Promise<boolean>;
  /** A PEM public key as a KeyObject and its JWK; undefined when the runtime refuses it. */
  pemKey(pem: string): { keyObject: KeyObject; jwk: Record<string, unknown> } | undefined;
}

async function verifyIn(
  mode: Mode,
  spec: AlgorithmSpec,
  key: KeyHolder,
  msg: Uint8Array,
  sig: Uint8Array,
  hooks: NodeHooks | undefined,
): Promise<boolean> {
  if (mode === 'webcrypto') return verifySignatureWebCrypto(spec, key, msg, sig);
  if (hooks === undefined || key.keyObject === undefined) throw new Error(`mode ${mode} needs node:crypto`);
  return hooks.verify(mode, spec, key.keyObject, msg, sig);
}

/** Without node:crypto: a PEM (SPKI) public key through WebCrypto's importKey / exportKey, as a JWK. */
async function pemToJwkWebCrypto(pem: string, spec: AlgorithmSpec, crv: string | undefined): Promise<KeyHolder | undefined> {
  const subtle = (
    globalThis as unknown as {
      crypto: {
        subtle: {
          importKey(f: 'spki', d: Uint8Array, a: object, e: boolean, u: string[]): Promise<unknown>;
          exportKey(f: 'jwk', k: unknown): Promise<unknown>;
        };
      };
    }
  ).crypto.subtle;
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const algorithm =
    spec.family === 'ecdsa'
      ? { name: 'ECDSA', namedCurve: crv }
      : spec.family === 'eddsa'
        ? { name: crv ?? 'Ed25519' }
        : { name: spec.family === 'pss' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: `SHA-${spec.digest!.slice(3)}` };
  try {
    const key = await subtle.importKey('spki', der, algorithm, true, ['verify']);
    const { kty, crv: c, n, e, x, y } = (await subtle.exportKey('jwk', key)) as Record<string, unknown>;
    return { jwk: { kty, crv: c, n, e, x, y } };
  } catch {
    return undefined;
  }
}

/** The curve of an ECDSA alg (RFC 7518 §3.4). */
function ecCurve(alg: AsymmetricAlgorithm): string | undefined {
  return ALGORITHMS[alg].curves?.[0];
}

function select(mode: Mode): void {
  if (mode === 'webcrypto') useWebCrypto();
  else useNodeCrypto();
}

/**
 * Every vector of every file in every mode. The key is the group's JWK through importJwk when the
 * backend accepts it; otherwise (a narrowed algorithm) the PEM through createPublicKey, so a
 * runtime's broken path is still measured: an invalid vector must never verify on any path.
 */
async function runVectors(
  files: Record<string, VectorFile>,
  modes: readonly Mode[],
  hooks: NodeHooks | undefined,
): Promise<VectorResult[]> {
  const results: VectorResult[] = [];
  for (const mode of modes) {
    select(mode);
    for (const [file, f] of Object.entries(files)) {
      const spec = ALGORITHMS[f.alg];
      const gap = signatureBackend().unavailable.get(f.crv === 'Ed448' ? 'Ed448' : f.alg);
      const r: VectorResult = {
        file,
        mode,
        ...(gap !== undefined ? { gap } : {}),
        jwkImport: 'ok',
        tests: 0,
        validVerified: 0,
        validRejected: 0,
        invalidRejected: 0,
        invalidAccepted: 0,
        acceptableVerified: 0,
        acceptableRejected: 0,
        keyRefused: 0,
        examples: [],
      };
      for (const g of f.groups) {
        let key: KeyHolder | undefined;
        if (g.publicKeyJwk !== undefined) {
          const imp = importJwk(g.publicKeyJwk, 0);
          if ('key' in imp) key = imp.key;
          else if (r.jwkImport === 'ok') r.jwkImport = imp.reason;
        }
        // No JWK (some ECDSA groups), or a narrowed curve: the PEM, through node:crypto where it
        // exists, else through WebCrypto's own SPKI import (the runtime's view of the key).
        key ??= hooks !== undefined ? hooks.pemKey(g.publicKeyPem) : await pemToJwkWebCrypto(g.publicKeyPem, spec, f.crv ?? ecCurve(f.alg));
        for (const tc of g.tests) {
          r.tests++;
          let ok = false;
          if (key === undefined) r.keyRefused++;
          else ok = await verifyIn(mode, spec, key, hex(tc.msg), hex(tc.sig), hooks);
          const field =
            tc.result === 'valid'
              ? ok
                ? 'validVerified'
                : 'validRejected'
              : tc.result === 'invalid'
                ? ok
                  ? 'invalidAccepted'
                  : 'invalidRejected'
                : ok
                  ? 'acceptableVerified'
                  : 'acceptableRejected';
          r[field]++;
          const wrong = (tc.result === 'valid' && !ok) || (tc.result === 'invalid' && ok);
          if (wrong && r.examples.length < 3) r.examples.push(`tcId ${tc.tcId} ${tc.result}: got ${ok}`);
        }
      }
      results.push(r);
    }
  }
  return results;
}

function outcome(p: Promise<{ payload: { sub?: string } }>): Promise<Outcome> {
  return p.then(
    (v) => ({ ok: true, ...(v.payload.sub !== undefined ? { sub: v.payload.sub } : {}) }),
    (e: { code?: string; message?: string }) => ({
      ok: false,
      code: e?.code ?? 'THROWN',
      message: typeof e?.message === 'string' ? e.message : 'non-Error rejection',
    }),
  );
}

async function runTokens(verifier: ReturnType<typeof CreateVerifier>, tokens: readonly TokenCase[]): Promise<Record<string, Outcome>> {
  const out: Record<string, Outcome> = {};
  for (const t of tokens) {
    out[t.name] = await outcome(
      t.profile === 'id'
        ? verifier.verifyIdToken(t.token, t.nonce !== undefined ? { nonce: t.nonce } : {})
        : verifier.verifyAccessToken(t.token),
    );
  }
  return out;
}

/**
 * Runs one part of the suite. `createVerifier` comes from the entry the runtime would load (the
 * edge entry on workerd), so the verification path runs on the backend that entry chose.
 */
export async function runSuite(input: SuiteInput, createVerifier: typeof CreateVerifier, hooks?: NodeHooks): Promise<SuiteOutput> {
  const started = Date.now();
  const entryBackend = signatureBackend();
  const out: SuiteOutput = {
    runtime: detectRuntime(),
    backend: {
      name: entryBackend.name,
      synchronous: entryBackend.synchronous,
      unavailable: [...entryBackend.unavailable.keys()],
      asyncViaWebCrypto: [...entryBackend.asyncViaWebCrypto],
    },
    ms: 0,
  };
  if (input.part === 'bench') {
    out.bench = await runBench(input, createVerifier);
  } else if (input.part === 'hashes') {
    out.hashes = await runHashes(input.hashes!, createVerifier);
  } else if (input.part === 'wycheproof') {
    try {
      out.vectors = await runVectors(input.files ?? {}, input.modes ?? [], hooks);
    } finally {
      if (entryBackend.name === 'webcrypto') useWebCrypto(entryBackend.runtime);
      else useNodeCrypto();
    }
  } else {
    const base = { issuer: input.issuer!, audience: input.audience! };
    const staticVerifier = createVerifier({ ...base, jwks: input.jwks as never });
    out.verify = await runTokens(staticVerifier, input.tokens ?? []);
    const first = input.tokens?.find((t) => t.name === 'valid-RS256');
    if (first !== undefined) {
      try {
        staticVerifier.verifyIdTokenSync(first.token, first.nonce !== undefined ? { nonce: first.nonce } : {});
        out.sync = { ok: true };
      } catch (e) {
        out.sync = { ok: false, code: (e as { code?: string }).code ?? 'THROWN', message: String((e as Error).message) };
      }
    }
    staticVerifier.close();
    if (input.jwksUrl !== undefined) {
      const remote = createVerifier({ ...base, jwksUri: input.jwksUrl, allowHttp: true, timeout: 5000 });
      try {
        out.remote = await runTokens(remote, input.remoteTokens ?? []);
      } finally {
        remote.close();
      }
    }
  }
  out.ms = Date.now() - started;
  return out;
}

/**
 * Throughput of oidc-verifier and jose on this runtime, the same tokens and JWKS: each library
 * verifies every token of an alg once per round (sequentially awaited), after one untimed warm-up
 * pass; rounds alternate between the libraries.
 */
async function runBench(input: SuiteInput, createVerifier: typeof CreateVerifier): Promise<Record<string, Record<string, number[]>>> {
  const b = input.bench!;
  const entry = signatureBackend();
  if (b.backend !== undefined) select(b.backend);
  try {
    return await benchRounds(input, b, createVerifier);
  } finally {
    if (entry.name === 'webcrypto') useWebCrypto(entry.runtime);
    else useNodeCrypto();
  }
}

async function benchRounds(
  input: SuiteInput,
  b: NonNullable<SuiteInput['bench']>,
  createVerifier: typeof CreateVerifier,
): Promise<Record<string, Record<string, number[]>>> {
  // cache: false: every round re-verifies the same tokens, which the verified-signature cache (on by
  // default) would answer without a signature check; jose has no such cache.
  const verifier = createVerifier({ issuer: input.issuer!, audience: input.audience!, jwks: input.jwks as never, cache: false });
  const keys = createLocalJWKSet(input.jwks as never);
  const run = {
    'oidc-verifier': async (t: string) => void (await verifier.verifyIdToken(t)),
    jose: async (t: string) => void (await jwtVerify(t, keys, { issuer: input.issuer!, audience: input.audience! })),
  };
  const out: Record<string, Record<string, number[]>> = {};
  const clock = (globalThis as { performance?: { now(): number } }).performance ?? Date;
  for (const [alg, tokens] of Object.entries(b.tokens)) {
    const byLib: Record<string, number[]> = {};
    for (const lib of b.libs) {
      byLib[lib] = [];
      for (const t of tokens) await run[lib](t);
    }
    for (let r = 0; r < b.rounds; r++) {
      for (const lib of r % 2 === 0 ? b.libs : [...b.libs].reverse()) {
        const start = clock.now();
        for (const t of tokens) await run[lib](t);
        byLib[lib]!.push(clock.now() - start);
      }
    }
    out[alg] = byLib;
  }
  verifier.close();
  return out;
}
