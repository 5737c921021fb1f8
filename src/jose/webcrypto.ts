import type { KeyObject } from 'node:crypto';
import type { AlgorithmSpec } from './algorithms.js';
import { shapeOk } from './signature.js';

/**
 * The WebCrypto signature backend: the same contract as `verifySignature` in signature.ts (never
 * throws, any failure is `false`, the same shape checks first), through `globalThis.crypto.subtle`
 * only. Each key is imported once per algorithm and kept as a `CryptoKey` for as long as its
 * KeyObject lives (a WeakMap: bounded by the key sets that hold them).
 */

interface Subtle {
  importKey(format: 'jwk' | 'raw', key: object, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  verify(algorithm: object, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

function subtle(): Subtle | undefined {
  return (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
}

const HASH = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;

/** CryptoKeys by KeyObject, then by alg; undefined when WebCrypto refused the key. */
const imported = new WeakMap<KeyObject, Map<string, Promise<unknown>>>();

function importParams(spec: AlgorithmSpec, crv: string | undefined): object {
  const hash = spec.digest === null ? undefined : HASH[spec.digest];
  switch (spec.family) {
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5', hash };
    case 'pss':
      return { name: 'RSA-PSS', hash };
    case 'ecdsa':
      return { name: 'ECDSA', namedCurve: crv };
    case 'eddsa':
      return { name: crv ?? 'Ed25519' };
    case 'hmac':
      return { name: 'HMAC', hash };
  }
}

function verifyParams(spec: AlgorithmSpec, crv: string | undefined): object {
  switch (spec.family) {
    case 'pss':
      return { name: 'RSA-PSS', saltLength: spec.saltLength };
    case 'ecdsa':
      return { name: 'ECDSA', hash: HASH[spec.digest!] };
    case 'eddsa':
      return { name: crv ?? 'Ed25519' };
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'hmac':
      return { name: 'HMAC' };
  }
}

const curveOf = new WeakMap<KeyObject, string | undefined>();

/** The JWK `crv` of an EC or OKP key (read once per key). */
function crvOf(key: KeyObject): string | undefined {
  if (curveOf.has(key)) return curveOf.get(key);
  let crv: string | undefined;
  if (
    key.type === 'public' &&
    (key.asymmetricKeyType === 'ec' || key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448')
  ) {
    crv = (key.export({ format: 'jwk' }) as { crv?: string }).crv;
  }
  curveOf.set(key, crv);
  return crv;
}

/** The CryptoKey for `key` under `spec`, imported on first use; resolves undefined if WebCrypto refuses it. */
export function cryptoKeyFor(spec: AlgorithmSpec, key: KeyObject): Promise<unknown> {
  let byAlg = imported.get(key);
  if (byAlg === undefined) {
    byAlg = new Map();
    imported.set(key, byAlg);
  }
  let p = byAlg.get(spec.alg);
  if (p === undefined) {
    p = importCryptoKey(spec, key);
    byAlg.set(spec.alg, p);
  }
  return p;
}

async function importCryptoKey(spec: AlgorithmSpec, key: KeyObject): Promise<unknown> {
  const s = subtle();
  if (s === undefined) return undefined;
  try {
    const crv = crvOf(key);
    if (spec.family === 'hmac') return await s.importKey('raw', key.export(), importParams(spec, crv), false, ['verify']);
    const jwk = key.export({ format: 'jwk' });
    return await s.importKey('jwk', jwk, importParams(spec, crv), false, ['verify']);
  } catch {
    return undefined;
  }
}

/** Verifies a JWS signature with WebCrypto. Never rejects: any failure is `false`. */
export async function verifySignatureWebCrypto(
  spec: AlgorithmSpec,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (!shapeOk(spec, key, signature)) return false;
  const s = subtle();
  if (s === undefined) return false;
  try {
    const cryptoKey = await cryptoKeyFor(spec, key);
    if (cryptoKey === undefined) return false;
    return (await s.verify(verifyParams(spec, crvOf(key)), cryptoKey, signature, data)) === true;
  } catch {
    return false;
  }
}

/** Tries each key in turn with WebCrypto; resolves with the index that verified, or -1. */
export async function verifyWithKeysWebCrypto(
  spec: AlgorithmSpec,
  keys: readonly { readonly keyObject: KeyObject }[],
  data: Uint8Array,
  signature: Uint8Array,
): Promise<number> {
  for (let i = 0; i < keys.length; i++) if (await verifySignatureWebCrypto(spec, keys[i]!.keyObject, data, signature)) return i;
  return -1;
}
