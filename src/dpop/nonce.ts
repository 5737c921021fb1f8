import { decodeBase64url } from '../jose/base64url.js';
import { base64, bytesEqual, utf8Bytes } from '../jose/bytes.js';
import { hmacSha256 } from '../jose/digest.js';
import { checkNumber, configError } from '../option-checks.js';

/** What {@link verifyDpopProof} needs of a server nonce source (RFC 9449 §8 and §9). */
export interface DpopNonceChecker {
  /** Whether `nonce` is one the server currently accepts. */
  check(nonce: string): boolean;
  /** A nonce to hand out now (in the `DPoP-Nonce` header of a `use_dpop_nonce` error). */
  current(): string;
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

const MAC_BYTES = 16;

/**
 * A stateless DPoP nonce source: the nonce of a time window is `base64url(window number ||
 * HMAC-SHA256(secret, window number)[0..16])`. Nothing is stored; instances with the same secret
 * agree. Accepted: the current window's nonce and the previous one's, so a nonce lives between
 * one and two windows. Nonces are opaque to clients (RFC 9449 §8) and use only base64url
 * characters, within the NQCHAR set §8.1 allows.
 */
export function createDpopNonceSource(options: DpopNonceSourceOptions): DpopNonceChecker {
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

  function mac(n: number): Uint8Array {
    const out = new Uint8Array(8 + MAC_BYTES);
    new DataView(out.buffer).setBigUint64(0, BigInt(n));
    out.set(hmacSha256(secret!, out.subarray(0, 8)).subarray(0, MAC_BYTES), 8);
    return out;
  }
  const windowNow = (): number => Math.floor(now() / windowMs);

  return {
    current: () => base64(mac(windowNow()), true),
    check(nonce: string): boolean {
      if (typeof nonce !== 'string' || nonce.length !== 32) return false;
      const bytes = decodeBase64url(nonce);
      if (bytes === undefined || bytes.length !== 8 + MAC_BYTES) return false;
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
      const w = windowNow();
      if (n !== w && n !== w - 1) return false;
      return bytesEqual(bytes, mac(n));
    },
  };
}
