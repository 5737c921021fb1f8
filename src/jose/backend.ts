import type { KeyObject } from 'node:crypto';
import type { AlgorithmSpec } from './algorithms.js';

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

/**
 * What only node:crypto gives, installed by the Node entry (src/concurrency/node-platform.ts, imported by
 * src/index.ts) so that nothing the edge entry reaches imports a `node:` module: keys held as
 * `KeyObject`s, `createHash`, and synchronous / threadpool / worker-lane signature checks. Without
 * it (the `workerd` / `worker` / `browser` entry) keys are held as their validated JWK members
 * with `CryptoKey`s imported per alg, and hashes (asynchronous, src/jose/digest.ts) and signatures
 * come from WebCrypto.
 */
export interface NodePlatform {
  /** A digest through node:crypto; `shake256-114` is SHAKE256 with a 114-octet output (Ed448). */
  digest(name: 'sha256' | 'sha384' | 'sha512' | 'shake256-114', data: Uint8Array | string): Uint8Array;
  /** HMAC-SHA-256 through node:crypto. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Imports public key material (JWK members) as a KeyObject; throws when OpenSSL refuses it. */
  importPublicKey(material: Readonly<Record<string, string>>): KeyObject;
  /** A secret KeyObject (HMAC with a client secret). */
  secretKey(bytes: Uint8Array): KeyObject;
  /** Whether the next check should run on the calling thread (src/concurrency/dispatch.ts). */
  claimInlineSlot(): boolean;
  /** Verifies on the calling thread, trying each key; the index that verified or -1. */
  verifyWithKeys(spec: AlgorithmSpec, keys: readonly KeyHolder[], data: Uint8Array, signature: Uint8Array): number;
  /** Verifies a check that arrived while others wait (worker lane or threadpool). */
  verifyPiledUp(
    spec: AlgorithmSpec,
    keys: readonly KeyHolder[],
    data: Uint8Array,
    signature: Uint8Array,
    done: (keyIndex: number) => void,
    useWorker: boolean,
  ): void;
}

/**
 * Anything that carries a key for signature checks: a VerificationKey, or a wrapped HMAC secret.
 * `keyObject` is there when the node:crypto platform is installed; `jwk` (public keys) or `secret`
 * (HMAC) always.
 */
export interface KeyHolder {
  readonly keyObject?: KeyObject;
  readonly jwk?: Readonly<Record<string, unknown>>;
  readonly secret?: Uint8Array;
}

let platform: NodePlatform | undefined;

/** A key holder for an HMAC secret (a configured client secret): its octets, and its KeyObject on node:crypto. */
export function secretKeyHolder(secret: Uint8Array): KeyHolder {
  return platform !== undefined ? { secret, keyObject: platform.secretKey(secret) } : { secret };
}

const KEY_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

/**
 * Whether two holders hold the same key: equal KeyObjects on node:crypto, else equal public JWK
 * members (kty, crv, n, e, x, y) or equal secret octets.
 */
export function sameKey(a: KeyHolder, b: KeyHolder): boolean {
  if (a.keyObject !== undefined && b.keyObject !== undefined)
    return a.keyObject.type === b.keyObject.type && a.keyObject.equals(b.keyObject);
  if (a.secret !== undefined || b.secret !== undefined) {
    if (a.secret === undefined || b.secret === undefined || a.secret.length !== b.secret.length) return false;
    let diff = 0;
    for (let i = 0; i < a.secret.length; i++) diff |= a.secret[i]! ^ b.secret[i]!;
    return diff === 0;
  }
  if (a.jwk === undefined || b.jwk === undefined) return false;
  return KEY_MEMBERS.every((m) => a.jwk![m] === b.jwk![m]);
}

/** The node:crypto platform, when the Node entry installed it. */
export function nodePlatform(): NodePlatform | undefined {
  return platform;
}

/** Installs the node:crypto platform and switches to the node:crypto backend (the Node entry). */
export function installNodePlatform(p: NodePlatform): void {
  platform = p;
  current = nodeBackend();
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
  if (typeof g.navigator?.userAgent === 'string') return 'this browser';
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

function webCryptoBackend(runtime: string): SignatureBackend {
  return { name: 'webcrypto', runtime, synchronous: false, unavailable: webCryptoGaps(runtime), asyncViaWebCrypto: new Set() };
}

// Until the Node entry installs node:crypto, WebCrypto (the edge entries never install it).
let current: SignatureBackend = webCryptoBackend(detectRuntime());

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
  current = webCryptoBackend(runtime);
}

/** Switches back to node:crypto with the gaps of this runtime (tests). Needs the Node platform. */
export function useNodeCrypto(): void {
  if (platform === undefined) throw new Error('the node:crypto platform is not installed (import src/concurrency/node-platform.ts)');
  current = nodeBackend();
}

/** Why `alg` (or, for EdDSA, the key curve `crv`) cannot be verified here, or undefined when it can. */
export function unavailableReason(alg: string): string | undefined {
  return current.unavailable.get(alg);
}
