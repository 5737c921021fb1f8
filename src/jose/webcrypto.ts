import type { AlgorithmSpec } from './algorithms.js';
import type { KeyHolder } from './backend.js';
import { decodeBase64url } from './base64url.js';

/**
 * The WebCrypto signature backend: the same contract as `verifySignature` in signature.ts (never
 * throws, any failure is `false`, the same shape checks first), through `globalThis.crypto.subtle`
 * only, with no `node:` import (the edge entry's bundle holds none). Each key is imported from its
 * public JWK members (or, for HMAC, its secret octets) once per algorithm and kept as a `CryptoKey`
 * for as long as its holder lives (a WeakMap: bounded by the key sets that hold them).
 */

interface Subtle {
  importKey(format: 'jwk' | 'raw', key: object, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  verify(algorithm: object, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

function subtle(): Subtle | undefined {
  return (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
}

const HASH = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;

/** CryptoKeys by key holder, then by alg; undefined when WebCrypto refused the key. */
const imported = new WeakMap<KeyHolder, Map<string, Promise<unknown>>>();

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

/** The JWK `crv` of an EC or OKP key. */
function crvOf(key: KeyHolder): string | undefined {
  const crv = key.jwk?.crv;
  return typeof crv === 'string' ? crv : undefined;
}

const modulusBytes = new WeakMap<KeyHolder, number>();

/** The RSA modulus length in octets (k), from the JWK's `n`, read once per key. */
function rsaBytes(key: KeyHolder): number {
  let k = modulusBytes.get(key);
  if (k === undefined) {
    const n = typeof key.jwk?.n === 'string' ? decodeBase64url(key.jwk.n) : undefined;
    let i = 0;
    while (n !== undefined && i < n.length && n[i] === 0) i++;
    k = n === undefined ? 0 : n.length - i;
    modulusBytes.set(key, k);
  }
  return k;
}

/**
 * The shape checks of signature.ts's `shapeOk`, on a key holder: raw r||s of the curve's length
 * for ECDSA (RFC 7518 §3.4), exactly k octets for RSA (RFC 8017 §8.1.2 / §8.2.2 step 1), a
 * secret for HMAC and a public JWK for the rest.
 */
export function holderShapeOk(spec: AlgorithmSpec, key: KeyHolder, signature: Uint8Array): boolean {
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  if (spec.family === 'hmac') return key.secret !== undefined;
  if (key.jwk === undefined) return false;
  if ((spec.family === 'rsa' || spec.family === 'pss') && signature.length !== rsaBytes(key)) return false;
  return true;
}

/** The public key members only: a JWK's `alg`, `use` or `key_ops` must not make WebCrypto refuse it per alg. */
function publicMembers(jwk: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { kty, crv, n, e, x, y } = jwk;
  return kty === 'RSA' ? { kty, n, e } : kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x };
}

/** The CryptoKey for `key` under `spec`, imported on first use; resolves undefined if WebCrypto refuses it. */
export function cryptoKeyFor(spec: AlgorithmSpec, key: KeyHolder): Promise<unknown> {
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

async function importCryptoKey(spec: AlgorithmSpec, key: KeyHolder): Promise<unknown> {
  const s = subtle();
  if (s === undefined) return undefined;
  try {
    const crv = crvOf(key);
    if (spec.family === 'hmac') return key.secret && (await s.importKey('raw', key.secret, importParams(spec, crv), false, ['verify']));
    if (key.jwk === undefined) return undefined;
    return await s.importKey('jwk', publicMembers(key.jwk), importParams(spec, crv), false, ['verify']);
  } catch {
    return undefined;
  }
}

/** Verifies a JWS signature with WebCrypto. Never rejects: any failure is `false`. */
export async function verifySignatureWebCrypto(
  spec: AlgorithmSpec,
  key: KeyHolder,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (!holderShapeOk(spec, key, signature)) return false;
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
  keys: readonly KeyHolder[],
  data: Uint8Array,
  signature: Uint8Array,
): Promise<number> {
  for (let i = 0; i < keys.length; i++) if (await verifySignatureWebCrypto(spec, keys[i]!, data, signature)) return i;
  return -1;
}
