/**
 * The one table that maps a JWS `alg` to its key type, curve and crypto parameters
 * (RFC 7518 §3, RFC 8037, RFC 8812). Nothing below it switches on algorithm strings.
 */

/** Asymmetric JWS algorithms the library verifies. */
export type AsymmetricAlgorithm =
  'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'ES256K' | 'EdDSA' | 'Ed25519';

/** HMAC algorithms, only ever used with a configured client secret. */
export type SymmetricAlgorithm = 'HS256' | 'HS384' | 'HS512';

/** Every JWS algorithm the library knows. */
export type Algorithm = AsymmetricAlgorithm | SymmetricAlgorithm;

export type AlgorithmFamily = 'rsa' | 'pss' | 'ecdsa' | 'eddsa' | 'hmac';

export interface AlgorithmSpec {
  readonly alg: Algorithm;
  readonly family: AlgorithmFamily;
  /** JWK `kty` the key must have. */
  readonly kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  /** Allowed JWK `crv` values (EC, OKP). */
  readonly curves?: readonly string[];
  /** Digest name for node:crypto, or null for EdDSA (the curve fixes it). */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  /** Exact raw r||s signature length in bytes (ECDSA), per RFC 7518 §3.4. */
  readonly signatureLength?: number;
  /** RSA-PSS salt length = digest length (RFC 7518 §3.5). */
  readonly saltLength?: number;
}

const RSA_MIN_BITS = 2048;

export const ALGORITHMS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  RS256: { alg: 'RS256', family: 'rsa', kty: 'RSA', digest: 'sha256' },
  RS384: { alg: 'RS384', family: 'rsa', kty: 'RSA', digest: 'sha384' },
  RS512: { alg: 'RS512', family: 'rsa', kty: 'RSA', digest: 'sha512' },
  PS256: { alg: 'PS256', family: 'pss', kty: 'RSA', digest: 'sha256', saltLength: 32 },
  PS384: { alg: 'PS384', family: 'pss', kty: 'RSA', digest: 'sha384', saltLength: 48 },
  PS512: { alg: 'PS512', family: 'pss', kty: 'RSA', digest: 'sha512', saltLength: 64 },
  ES256: { alg: 'ES256', family: 'ecdsa', kty: 'EC', curves: ['P-256'], digest: 'sha256', signatureLength: 64 },
  ES384: { alg: 'ES384', family: 'ecdsa', kty: 'EC', curves: ['P-384'], digest: 'sha384', signatureLength: 96 },
  ES512: { alg: 'ES512', family: 'ecdsa', kty: 'EC', curves: ['P-521'], digest: 'sha512', signatureLength: 132 },
  ES256K: { alg: 'ES256K', family: 'ecdsa', kty: 'EC', curves: ['secp256k1'], digest: 'sha256', signatureLength: 64 },
  // RFC 8037 "EdDSA" covers both curves; "Ed25519" is the fully specified name of RFC 9864.
  EdDSA: { alg: 'EdDSA', family: 'eddsa', kty: 'OKP', curves: ['Ed25519', 'Ed448'], digest: null },
  Ed25519: { alg: 'Ed25519', family: 'eddsa', kty: 'OKP', curves: ['Ed25519'], digest: null },
  HS256: { alg: 'HS256', family: 'hmac', kty: 'oct', digest: 'sha256' },
  HS384: { alg: 'HS384', family: 'hmac', kty: 'oct', digest: 'sha384' },
  HS512: { alg: 'HS512', family: 'hmac', kty: 'oct', digest: 'sha512' },
};

/** The default allowlist: every asymmetric algorithm. */
export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'ES256K',
  'EdDSA',
  'Ed25519',
];

export const SYMMETRIC_ALGORITHMS: readonly SymmetricAlgorithm[] = ['HS256', 'HS384', 'HS512'];

/** Minimum RSA modulus size accepted (RFC 7518 §3.3 and §3.5). */
export const MIN_RSA_BITS = RSA_MIN_BITS;

/** Looks up an algorithm by its exact (case-sensitive) name; unknown names return undefined. */
export function algorithmSpec(alg: string): AlgorithmSpec | undefined {
  return Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg as Algorithm] : undefined;
}

export function isAlgorithm(alg: unknown): alg is Algorithm {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}

/**
 * node:crypto's `constants.RSA_PKCS1_PSS_PADDING` (OpenSSL's RSA_PKCS1_PSS_PADDING, 6), spelled
 * out so this table imports no `node:` module (it is shared with the edge entry).
 */
export const PSS_PADDING = 6;
