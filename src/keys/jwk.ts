import type { KeyObject } from 'node:crypto';
import { nodePlatform, signatureBackend, unavailableReason } from '../jose/backend.js';
import { decodeBase64url } from '../jose/base64url.js';
import { hex } from '../jose/bytes.js';
import { ALGORITHMS, MIN_RSA_BITS, algorithmSpec, type Algorithm, type AsymmetricAlgorithm } from '../jose/algorithms.js';
import type { Jwk } from '../jose/types.js';

/** A public key imported once from a JWK, ready for signature verification. */
export interface VerificationKey {
  /** Position of the key in its JWKS, for explanations. */
  readonly index: number;
  readonly kid?: string;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly crv?: string;
  /** The JWK's own `alg`, when it declares one. */
  readonly alg?: string;
  readonly x5t?: string;
  readonly x5tS256?: string;
  /** RSA modulus length in bits. */
  readonly bits?: number;
  /** Algorithms this key may verify, after kty, curve and the JWK's `alg`. */
  readonly algorithms: ReadonlySet<AsymmetricAlgorithm>;
  /**
   * The key as a node:crypto `KeyObject`, on Node.js, Deno and Bun (the main entry). Absent on the
   * `workerd` / `worker` / `browser` entry, where the key is held as its validated JWK members
   * (`jwk`) and imported into WebCrypto `CryptoKey`s per alg on first use.
   */
  readonly keyObject?: KeyObject;
  /** The public JWK as given (a member with private key material is never imported). */
  readonly jwk: Jwk;
}

export type ImportResult = { readonly key: VerificationKey } | { readonly reason: string };

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/**
 * Start of the skip reason of a key set member that carries private key material: a JWKS publishes
 * public keys only (RFC 7517 §5), so such a member is never used and is reported as a warning.
 */
export const PRIVATE_KEY_REASON = 'private key material published';

/*
 * Small-order Edwards points (RFC 8032 §5.1.7, §5.2.7 check no subgroup): against such a public key
 * OpenSSL accepts a fixed "signature" for every message (R = identity, S = 0 for the identity key).
 * Listed as the y coordinate's encoding with the x sign bit cleared, so both sign bits are refused;
 * non-canonical encodings (y + p) are included.
 * Ed25519: y = 1 (order 1), p-1 (order 2), 0 (order 4), the two order-8 y values, and p, p+1.
 * Ed448: y = 1 (order 1), p-1 (order 2), 0 (order 4), and p, p+1.
 */
const ED25519_SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];
const ED448_SMALL_ORDER = [
  `01${'00'.repeat(56)}`,
  `fe${'ff'.repeat(27)}fe${'ff'.repeat(27)}00`,
  '00'.repeat(57),
  `ff${'ff'.repeat(27)}fe${'ff'.repeat(27)}00`,
  `00${'00'.repeat(27)}ff${'ff'.repeat(27)}00`,
];

/** Whether an Ed25519/Ed448 public key encoding (RFC 8032 §5.1.2, §5.2.2) is a small-order point. */
export function isSmallOrderEdwardsKey(x: Uint8Array): boolean {
  if (x.length !== 32 && x.length !== 57) return false;
  const y = Uint8Array.from(x);
  y[y.length - 1]! &= 0x7f;
  return (x.length === 32 ? ED25519_SMALL_ORDER : ED448_SMALL_ORDER).includes(hex(y));
}
const EC_CURVES = new Set(['P-256', 'P-384', 'P-521', 'secp256k1']);
const OKP_CURVES = new Set(['Ed25519', 'Ed448']);

function isString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function compatibleAlgorithms(kty: string, crv: string | undefined): AsymmetricAlgorithm[] {
  const out: AsymmetricAlgorithm[] = [];
  for (const spec of Object.values(ALGORITHMS)) {
    if (spec.family === 'hmac' || spec.kty !== kty) continue;
    if (spec.curves && (crv === undefined || !spec.curves.includes(crv))) continue;
    out.push(spec.alg as AsymmetricAlgorithm);
  }
  return out;
}

/**
 * Imports one JWK for signature verification. Keys the library cannot or must not use come back
 * as `{ reason }` so one odd key never breaks a whole set.
 */
export function importJwk(input: unknown, index: number): ImportResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { reason: 'not a JSON object' };
  const jwk = input as Record<string, unknown>;
  const kty = jwk.kty;
  if (!isString(kty)) return { reason: 'missing kty' };
  // First, whatever else is wrong with the key: a leaked private key is always reported.
  for (const m of PRIVATE_MEMBERS) {
    if (jwk[m] !== undefined) {
      const oct = kty === 'oct' ? '; symmetric (oct) keys are never taken from a key set' : '';
      return { reason: `${PRIVATE_KEY_REASON}: member "${m}" is present; a JWKS holds public keys only (RFC 7517 §5)${oct}` };
    }
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') return { reason: `use is ${JSON.stringify(jwk.use)}, not "sig"` };
  if (jwk.key_ops !== undefined) {
    if (!Array.isArray(jwk.key_ops)) return { reason: 'key_ops is not an array' };
    if (jwk.key_ops.some((op) => typeof op !== 'string')) return { reason: 'key_ops has a member that is not a string' };
    if (new Set(jwk.key_ops).size !== jwk.key_ops.length) return { reason: 'key_ops has duplicate members (RFC 7517 §4.3)' };
    if (!jwk.key_ops.includes('verify')) return { reason: 'key_ops does not include "verify"' };
  }
  if (kty === 'oct') return { reason: 'symmetric (oct) keys are never taken from a key set' };
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') return { reason: `unsupported kty ${JSON.stringify(kty)}` };
  const crv = jwk.crv;
  if (kty === 'EC' && !(isString(crv) && EC_CURVES.has(crv))) return { reason: `unsupported EC curve ${JSON.stringify(crv)}` };
  if (kty === 'OKP' && !(isString(crv) && OKP_CURVES.has(crv))) {
    return { reason: `unsupported OKP curve ${JSON.stringify(crv)} (signature keys are Ed25519 or Ed448)` };
  }
  const gap = crv === 'Ed448' ? unavailableReason('Ed448') : crv === 'secp256k1' ? unavailableReason('ES256K') : undefined;
  if (gap !== undefined) return { reason: `${crv as string} keys cannot be used on ${signatureBackend().runtime}: ${gap}` };
  let algorithms = compatibleAlgorithms(kty, isString(crv) ? crv : undefined);
  if (jwk.alg !== undefined) {
    const spec = isString(jwk.alg) ? algorithmSpec(jwk.alg) : undefined;
    if (!spec || spec.family === 'hmac') return { reason: `unsupported alg ${JSON.stringify(jwk.alg)}` };
    if (!algorithms.includes(spec.alg as AsymmetricAlgorithm)) {
      return { reason: `alg ${spec.alg} does not fit kty ${kty}${isString(crv) ? ` crv ${crv}` : ''}` };
    }
    // Ed25519 (RFC 9864) and EdDSA name the same operation for an Ed25519 key.
    algorithms = spec.alg === 'EdDSA' || spec.alg === 'Ed25519' ? algorithms : [spec.alg as AsymmetricAlgorithm];
  }

  const pub: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(jwk)) if (!PRIVATE_MEMBERS.includes(k)) pub[k] = v;
  const members: Record<string, unknown> =
    kty === 'RSA' ? { kty, n: jwk.n, e: jwk.e } : kty === 'EC' ? { kty, crv, x: jwk.x, y: jwk.y } : { kty, crv, x: jwk.x };
  for (const [k, v] of Object.entries(members)) if (!isString(v)) return { reason: `missing or invalid "${k}"` };
  const material = members as Record<string, string>;
  const node = nodePlatform();
  let keyObject: KeyObject | undefined;
  let bits: number | undefined;
  let e: bigint | undefined;
  // The members' shape first on both paths: node:crypto's base64url decoder skips characters
  // outside the alphabet, so without this a key would import from a non-canonical spelling.
  const shape = memberShape(material);
  if ('reason' in shape) return { reason: `cannot import: ${shape.reason}` };
  if (node !== undefined) {
    try {
      keyObject = node.importPublicKey(material);
    } catch (err) {
      return { reason: `cannot import: ${(err as Error).message}` };
    }
    if (kty === 'RSA') {
      bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
      e = keyObject.asymmetricKeyDetails?.publicExponent;
    }
  } else {
    // No node:crypto (the edge entry): the same checks on the JWK members. EC points are checked
    // on the curve by WebCrypto's importKey when the key is first used (a key it refuses verifies
    // nothing).
    bits = shape.bits;
    e = shape.e;
  }
  // memberShape above refused an "x" the strict decoder cannot read, so this decodes.
  const okpX = kty === 'OKP' ? decodeBase64url(jwk.x as string)! : undefined;
  if (okpX !== undefined && isSmallOrderEdwardsKey(okpX)) {
    return { reason: `${crv as string} public key is a small-order point (the identity or a low-order point): any message would verify` };
  }
  if (kty === 'RSA') {
    bits ??= 0;
    if (bits < MIN_RSA_BITS) return { reason: `RSA key of ${bits} bits is below the ${MIN_RSA_BITS}-bit minimum` };
    // RFC 8017 §3.1: e is odd and at least 3. With e = 1 a "signature" is the padded message itself.
    if (e === undefined || e < 3n || e % 2n === 0n)
      return { reason: `RSA public exponent ${String(e)} is not an odd number of at least 3` };
  }
  const key: VerificationKey = {
    index,
    ...(isString(jwk.kid) ? { kid: jwk.kid } : {}),
    kty,
    ...(isString(crv) ? { crv } : {}),
    ...(isString(jwk.alg) ? { alg: jwk.alg } : {}),
    ...(isString(jwk.x5t) ? { x5t: jwk.x5t } : {}),
    ...(isString(jwk['x5t#S256']) ? { x5tS256: jwk['x5t#S256'] } : {}),
    ...(bits !== undefined ? { bits } : {}),
    algorithms: new Set(algorithms),
    ...(keyObject !== undefined ? { keyObject } : {}),
    jwk: pub as unknown as Jwk,
  };
  return { key };
}

/** Octet lengths of EC coordinates (RFC 7518 §6.2.1.2-3: the full size of the curve's field). */
const EC_COORDINATE_BYTES: Readonly<Record<string, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66, secp256k1: 32 };
const OKP_KEY_BYTES: Readonly<Record<string, number>> = { Ed25519: 32, Ed448: 57 };

/** The checks createPublicKey makes, on the JWK members alone (no node:crypto). */
function memberShape(m: Readonly<Record<string, string>>): { bits?: number; e?: bigint } | { reason: string } {
  const bytes = (name: string): Uint8Array | undefined => decodeBase64url(m[name]!);
  if (m.kty === 'RSA') {
    const n = bytes('n');
    const e = bytes('e');
    if (n === undefined || e === undefined) return { reason: `"${n === undefined ? 'n' : 'e'}" is not base64url` };
    let i = 0;
    while (i < n.length && n[i] === 0) i++;
    const bits = i === n.length ? 0 : (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
    let ev = 0n;
    for (const b of e) ev = (ev << 8n) | BigInt(b);
    return { bits, e: ev };
  }
  const crv = m.crv!;
  const want = m.kty === 'EC' ? EC_COORDINATE_BYTES[crv] : OKP_KEY_BYTES[crv];
  for (const name of m.kty === 'EC' ? ['x', 'y'] : ['x']) {
    const v = bytes(name);
    if (v === undefined) return { reason: `"${name}" is not base64url` };
    if (v.length !== want) return { reason: `"${name}" of a ${crv} key has ${v.length} octets, not ${String(want)}` };
  }
  return {};
}

/** Whether `key` may verify `alg` (kty, curve and the JWK's own alg). */
export function keyFitsAlgorithm(key: VerificationKey, alg: Algorithm): boolean {
  return key.algorithms.has(alg as AsymmetricAlgorithm);
}
