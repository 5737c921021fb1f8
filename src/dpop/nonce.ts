import { decodeBase64url } from '../jose/base64url.js';
import { base64, bytesEqual, utf8Bytes } from '../jose/bytes.js';
import { nodePlatform } from '../jose/backend.js';
import { hmacSha256, hmacSha256AsyncWith, syncHashError } from '../jose/digest.js';
import { checkNumber, configError } from '../option-checks.js';

/**
 * What {@link verifyDpopProof} needs of a server nonce source (RFC 9449 §8 and §9). Either method
 * may answer with a promise (as {@link createDpopNonceSourceAsync}'s do).
 */
export interface DpopNonceChecker {
  /** Whether `nonce` is one the server currently accepts. */
  check(nonce: string): boolean | Promise<boolean>;
  /** A nonce to hand out now (in the `DPoP-Nonce` header of a `use_dpop_nonce` error). */
  current(): string | Promise<string>;
}

/** Options of {@link createDpopNonceSource}. */
export interface DpopNonceSourceOptions {
  /** HMAC secret, at least 32 bytes; every instance sharing it accepts the others' nonces. */
  readonly secret: string | Uint8Array;
  /** Rotation period in seconds. Default 300. A nonce is accepted in its window and the next. */
  readonly window?: number;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** The nonce source of {@link createDpopNonceSource}: both methods answer synchronously (node:crypto's HMAC). */
export interface DpopNonceSource extends DpopNonceChecker {
  check(nonce: string): boolean;
  current(): string;
}

/** The nonce source of {@link createDpopNonceSourceAsync}: both methods answer with promises (WebCrypto's HMAC without node:crypto). */
export interface AsyncDpopNonceSource extends DpopNonceChecker {
  check(nonce: string): Promise<boolean>;
  current(): Promise<string>;
}

const MAC_BYTES = 16;

/** The options checked, the secret copied, and the clock of a nonce source. */
function nonceSetup(options: DpopNonceSourceOptions): { secret: Uint8Array; windowNow: () => number } {
  if (typeof options !== 'object' || options === null) throw configError('nonce source options must be an object');
  const secret =
    typeof options.secret === 'string'
      ? utf8Bytes(options.secret)
      : options.secret instanceof Uint8Array
        ? Uint8Array.from(options.secret)
        : undefined;
  if (secret === undefined || secret.length < 32) throw configError('nonce source secret must be a string or bytes of at least 32 bytes');
  checkNumber('window', options.window, 1);
  if (options.now !== undefined && typeof options.now !== 'function') throw configError('now must be a function returning ms');
  const windowMs = (options.window ?? 300) * 1000;
  const now = options.now ?? Date.now;
  return { secret, windowNow: () => Math.floor(now() / windowMs) };
}

/** The window number of a well-formed nonce within the accepted two windows, else undefined; `bytes` its octets. */
function acceptedWindow(nonce: string, w: number): { n: number; bytes: Uint8Array } | undefined {
  if (typeof nonce !== 'string' || nonce.length !== 32) return undefined;
  const bytes = decodeBase64url(nonce);
  if (bytes === undefined || bytes.length !== 8 + MAC_BYTES) return undefined;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
  return n === w || n === w - 1 ? { n, bytes } : undefined;
}

/** The 8 window-number octets followed by room for the MAC. */
function windowBytes(n: number): Uint8Array {
  const out = new Uint8Array(8 + MAC_BYTES);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/**
 * A stateless DPoP nonce source: the nonce of a time window is `base64url(window number ||
 * HMAC-SHA256(secret, window number)[0..16])`. Nothing is stored; instances with the same secret
 * agree. Accepted: the current window's nonce and the previous one's, so a nonce lives between
 * one and two windows. Nonces are opaque to clients (RFC 9449 §8) and use only base64url
 * characters, within the NQCHAR set §8.1 allows.
 *
 * Synchronous, so it needs node:crypto: without it (the edge entry) it throws `ERR_CONFIG`; use
 * {@link createDpopNonceSourceAsync} there.
 */
export function createDpopNonceSource(options: DpopNonceSourceOptions): DpopNonceSource {
  if (nodePlatform() === undefined) throw syncHashError('createDpopNonceSource', 'createDpopNonceSourceAsync');
  const { secret, windowNow } = nonceSetup(options);
  function mac(n: number): Uint8Array {
    const out = windowBytes(n);
    out.set(hmacSha256(secret, out.subarray(0, 8)).subarray(0, MAC_BYTES), 8);
    return out;
  }
  return {
    current: () => base64(mac(windowNow()), true),
    check(nonce: string): boolean {
      const a = acceptedWindow(nonce, windowNow());
      return a !== undefined && bytesEqual(a.bytes, mac(a.n));
    },
  };
}

/**
 * {@link createDpopNonceSource} on any runtime, with the same nonces: the HMAC is node:crypto's
 * where installed, else WebCrypto's `crypto.subtle.sign('HMAC', ...)`, so both methods answer
 * with promises. {@link verifyDpopProof} awaits them.
 */
export function createDpopNonceSourceAsync(options: DpopNonceSourceOptions): AsyncDpopNonceSource {
  const { secret, windowNow } = nonceSetup(options);
  const hmac = hmacSha256AsyncWith(secret);
  async function mac(n: number): Promise<Uint8Array> {
    const out = windowBytes(n);
    out.set((await hmac(out.slice(0, 8))).subarray(0, MAC_BYTES), 8);
    return out;
  }
  return {
    current: async () => base64(await mac(windowNow()), true),
    async check(nonce: string): Promise<boolean> {
      const a = acceptedWindow(nonce, windowNow());
      return a !== undefined && bytesEqual(a.bytes, await mac(a.n));
    },
  };
}
