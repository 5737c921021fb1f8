import { VerifyError } from '../errors.js';
import { detectRuntime, nodePlatform } from './backend.js';
import { base64, utf8Bytes } from './bytes.js';

/**
 * Hashes for the layers above, always from the platform: node:crypto's `createHash`/`createHmac`
 * where the Node entry installed it (synchronous), else WebCrypto's `crypto.subtle.digest` /
 * `sign('HMAC')` (asynchronous only). The synchronous functions here therefore need node:crypto
 * and fail with `ERR_CONFIG` on the edge entry (browsers, workerd without nodejs_compat), whose
 * verification is asynchronous anyway. SHAKE256 (only for Ed448 `at_hash`) exists on node:crypto
 * only; Ed448 keys are refused on the edge entry.
 */
export type DigestName = 'sha256' | 'sha384' | 'sha512' | 'shake256-114';

const WEB_NAMES = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;

interface Subtle {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  importKey(format: 'raw', key: Uint8Array, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  sign(algorithm: string, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}

function subtle(): Subtle {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (s === undefined)
    throw new VerifyError('ERR_CONFIG', `neither node:crypto nor WebCrypto (crypto.subtle) is available on ${detectRuntime()}`);
  return s;
}

/**
 * `ERR_CONFIG` for a synchronous hash function called without node:crypto: `name` is what was
 * called, `alternative` the asynchronous function to use instead.
 */
export function syncHashError(name: string, alternative: string): VerifyError {
  return new VerifyError('ERR_CONFIG', `${name} is synchronous and needs node:crypto; on ${detectRuntime()} use ${alternative}`);
}

/**
 * The digest of `data` (a string is hashed as its UTF-8 octets) through node:crypto; undefined
 * for SHAKE256 where node:crypto lacks it. Throws `ERR_CONFIG` without node:crypto (use {@link digestAsync}).
 */
export function digest(name: DigestName, data: Uint8Array | string): Uint8Array | undefined {
  const node = nodePlatform();
  if (node === undefined) throw syncHashError('digest', 'digestAsync');
  return node.digest(name, data);
}

/** {@link digest}, through node:crypto when installed, else WebCrypto; undefined for SHAKE256 without node:crypto. */
export async function digestAsync(name: DigestName, data: Uint8Array | string): Promise<Uint8Array | undefined> {
  const node = nodePlatform();
  if (node !== undefined) return node.digest(name, data);
  if (name === 'shake256-114') return undefined;
  return new Uint8Array(await subtle().digest(WEB_NAMES[name], typeof data === 'string' ? utf8Bytes(data) : data));
}

/** base64url of the SHA-256 of `data` (a string as its UTF-8 octets): cache and replay keys, DPoP `ath`, thumbprints. */
export function sha256Base64url(data: Uint8Array | string): string {
  return base64(digest('sha256', data)!, true);
}

/** {@link sha256Base64url} on any runtime (WebCrypto without node:crypto). */
export async function sha256Base64urlAsync(data: Uint8Array | string): Promise<string> {
  return base64((await digestAsync('sha256', data))!, true);
}

/** HMAC-SHA-256 of `data` under `key` through node:crypto; `ERR_CONFIG` without it (use {@link hmacSha256Async}). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const node = nodePlatform();
  if (node === undefined) throw syncHashError('hmacSha256', 'hmacSha256Async');
  return node.hmacSha256(key, data);
}

/** {@link hmacSha256} on any runtime (WebCrypto's HMAC without node:crypto). */
export async function hmacSha256Async(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  return hmacSha256AsyncWith(key)(data);
}

/**
 * {@link hmacSha256Async} bound to one key: without node:crypto the key is imported into WebCrypto
 * once, on the first call, and reused (an import per MAC doubles the cost of a DPoP nonce check).
 */
export function hmacSha256AsyncWith(key: Uint8Array): (data: Uint8Array) => Promise<Uint8Array> {
  let imported: Promise<unknown> | undefined;
  return async (data) => {
    const node = nodePlatform();
    if (node !== undefined) return node.hmacSha256(key, data);
    const s = subtle();
    imported ??= s.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await s.sign('HMAC', await imported, data));
  };
}
