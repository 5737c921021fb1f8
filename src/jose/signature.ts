import { verify as cryptoVerify, createHmac, timingSafeEqual, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { PSS_PADDING, type AlgorithmSpec } from './algorithms.js';

/**
 * Where signature primitives are called: node:crypto (OpenSSL). Kept small so another backend
 * (WebCrypto for edge runtimes) can replace it without touching the layers above. The worker
 * thread of concurrency/worker-lane.ts runs its own copy of the asymmetric verify call (a worker cannot import
 * this module's closures); `shapeOk` runs before anything is sent there.
 */

type VerifyKey = KeyObject | VerifyKeyObjectInput;

function keyInput(spec: AlgorithmSpec, key: KeyObject): VerifyKey {
  switch (spec.family) {
    case 'ecdsa':
      return { key, dsaEncoding: 'ieee-p1363' };
    case 'pss':
      return { key, padding: PSS_PADDING, saltLength: spec.saltLength! };
    default:
      return key;
  }
}

/**
 * Rejects shapes that must never reach OpenSSL: ECDSA signatures that are not raw r||s of exactly
 * the curve's length (DER, truncated, padded), RSA signatures that are not exactly the modulus
 * length, and HMAC with anything but a secret key.
 */
export function shapeOk(spec: AlgorithmSpec, key: KeyObject, signature: Uint8Array): boolean {
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  if (spec.family === 'hmac') return key.type === 'secret';
  // RFC 8017 §8.1.2 / §8.2.2 step 1: exactly k octets. OpenSSL accepts a PSS signature with its
  // leading zero octet dropped, which would give one signature two spellings.
  if ((spec.family === 'rsa' || spec.family === 'pss') && signature.length !== rsaBytes(key)) return false;
  return key.type === 'public';
}

const modulusBytes = new WeakMap<KeyObject, number>();

/** The RSA modulus length in octets (k), read once per key. */
function rsaBytes(key: KeyObject): number {
  let k = modulusBytes.get(key);
  // Stryker disable next-line ConditionalExpression: speed only, the modulus length is read again
  if (k === undefined) {
    k = ((key.asymmetricKeyDetails?.modulusLength ?? 0) + 7) >> 3;
    modulusBytes.set(key, k);
  }
  return k;
}

/** Verifies a JWS signature on the calling thread. Never throws: any failure is `false`. */
export function verifySignature(spec: AlgorithmSpec, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (!shapeOk(spec, key, signature)) return false;
  try {
    if (spec.family === 'hmac') {
      const mac = createHmac(spec.digest!, key).update(data).digest();
      // Stryker disable next-line ConditionalExpression: timingSafeEqual throws on a length mismatch, and the catch returns false
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    return cryptoVerify(spec.digest, data, keyInput(spec, key), signature);
  } catch {
    return false;
  }
}

/**
 * Verifies a JWS signature on the libuv threadpool. Calls back exactly once, with `false` for any
 * failure. HMAC is cheap and always runs inline.
 */
export function verifySignatureAsync(
  spec: AlgorithmSpec,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  done: (ok: boolean) => void,
): void {
  if (spec.family === 'hmac' || !shapeOk(spec, key, signature)) {
    done(verifySignature(spec, key, data, signature));
    return;
  }
  try {
    cryptoVerify(spec.digest, data, keyInput(spec, key), signature, (err, ok) => done(!err && ok));
    // Stryker disable next-line BlockStatement: defensive; every bad input we found is reported through the callback, so no test reaches it
  } catch {
    // Stryker disable next-line BooleanLiteral: defensive, as above
    done(false);
  }
}
