/**
 * Which signature primitives this process uses, chosen once per runtime. On Node, Deno and Bun the
 * node:crypto backend (src/jose/signature.ts) verifies synchronously, on the threadpool and (Node
 * only) on the worker lane. Where node:crypto is missing or wrong (Cloudflare workerd, browsers,
 * web workers) the package's `workerd` / `worker` / `browser` export conditions load an entry that
 * switches to WebCrypto (src/jose/webcrypto.ts): asynchronous only, with CryptoKeys cached per key.
 */
export interface SignatureBackend {
  /** `node:crypto` or `webcrypto`. */
  readonly name: 'node:crypto' | 'webcrypto';
  /** The runtime it was chosen for, as named in error messages (`Node.js`, `Deno`, `Bun`, `workerd`...). */
  readonly runtime: string;
  /** Whether signatures can be verified synchronously (the `*Sync` methods). */
  readonly synchronous: boolean;
  /** Algorithms, and key curves, this runtime cannot verify: name → why (for error messages). */
  readonly unavailable: ReadonlyMap<string, string>;
  /**
   * On the node:crypto backend: algorithms whose asynchronous verification goes to WebCrypto
   * instead, where that measured faster on this runtime and passes every Wycheproof vector there
   * (the `*Sync` methods keep node:crypto). Empty on Node.
   */
  readonly asyncViaWebCrypto: ReadonlySet<string>;
}

/** The runtime this code runs on, told apart by what each one puts on the global object. */
export function detectRuntime(): string {
  const g = globalThis as {
    Deno?: unknown;
    Bun?: unknown;
    navigator?: { userAgent?: unknown };
    process?: { versions?: { node?: unknown } };
  };
  if (g.Deno !== undefined) return 'Deno';
  if (g.Bun !== undefined) return 'Bun';
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (typeof g.process?.versions?.node === 'string') return 'Node.js';
  return 'this runtime';
}

/**
 * What node:crypto cannot do on each runtime (measured with the Wycheproof vectors, see
 * test/runtimes): Bun refuses secp256k1 and Ed448 keys; Deno's node:crypto rejects valid secp256k1
 * signatures whose S is in the upper half, so ES256K would fail about half of honest tokens, and
 * accepts Ed448 signatures whose unused bits of R are set (Wycheproof ed448 tcId 63-65), so Ed448
 * keys are refused there.
 */
function nodeCryptoGaps(runtime: string): Map<string, string> {
  if (runtime === 'Bun') {
    return new Map([
      ['ES256K', "Bun's node:crypto has no secp256k1"],
      ['Ed448', "Bun's node:crypto has no Ed448"],
    ]);
  }
  if (runtime === 'Deno') {
    return new Map([
      ['ES256K', "Deno's node:crypto rejects valid secp256k1 signatures with a high S"],
      ['Ed448', "Deno's node:crypto accepts Ed448 signatures whose R has non-zero unused bits"],
    ]);
  }
  return new Map();
}

/** WebCrypto has neither secp256k1 nor Ed448 on any runtime. */
function webCryptoGaps(runtime: string): Map<string, string> {
  return new Map([
    ['ES256K', `WebCrypto on ${runtime} has no secp256k1`],
    ['Ed448', `WebCrypto on ${runtime} has no Ed448`],
  ]);
}

/**
 * Where WebCrypto measured faster than node:crypto on the same runtime (sequential verifyIdToken,
 * ops/s, 2 runs): Bun's ECDSA (ES256 3,847 vs 10,417, ES384 355 vs 1,539, ES512 136 vs 369);
 * Deno's RSA and P-256 (RS256 1,463-1,687 vs 1,665-2,817, PS256 1,070-1,227 vs 2,217-2,658,
 * ES256 444-553 vs 1,238-1,492). The rest is as fast or faster through node:crypto (EdDSA on both).
 */
function webCryptoFaster(runtime: string): Set<string> {
  if ((globalThis as { crypto?: { subtle?: unknown } }).crypto?.subtle === undefined) return new Set();
  if (runtime === 'Bun') return new Set(['ES256', 'ES384', 'ES512']);
  if (runtime === 'Deno') return new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256']);
  return new Set();
}

function nodeBackend(): SignatureBackend {
  const runtime = detectRuntime();
  return {
    name: 'node:crypto',
    runtime,
    synchronous: true,
    unavailable: nodeCryptoGaps(runtime),
    asyncViaWebCrypto: webCryptoFaster(runtime),
  };
}

let current: SignatureBackend = nodeBackend();

/** The backend in use. */
export function signatureBackend(): SignatureBackend {
  return current;
}

/**
 * Switches this process to the WebCrypto backend (done by the `workerd`/`worker`/`browser` entry,
 * and by tests). Idempotent. Fails where `globalThis.crypto.subtle` is missing.
 */
export function useWebCrypto(runtime: string = detectRuntime()): void {
  if ((globalThis as { crypto?: { subtle?: unknown } }).crypto?.subtle === undefined) {
    throw new Error(`WebCrypto (globalThis.crypto.subtle) is not available on ${runtime}`);
  }
  current = { name: 'webcrypto', runtime, synchronous: false, unavailable: webCryptoGaps(runtime), asyncViaWebCrypto: new Set() };
}

/** Switches back to node:crypto with the gaps of this runtime (tests). */
export function useNodeCrypto(): void {
  current = nodeBackend();
}

/** Why `alg` (or, for EdDSA, the key curve `crv`) cannot be verified here, or undefined when it can. */
export function unavailableReason(alg: string): string | undefined {
  return current.unavailable.get(alg);
}
