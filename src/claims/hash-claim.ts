import { base64 } from '../jose/bytes.js';
import { digestAsync, syncHashError, type DigestName } from '../jose/digest.js';
import { nodePlatform } from '../jose/backend.js';
import type { ErrorCode } from '../errors.js';
import { algorithmSpec } from '../jose/algorithms.js';
import { fail, stringClaim } from './rules.js';

/** The hash a hash claim uses for `alg` (and, for EdDSA, the key curve), or undefined for none. */
function hashClaimDigest(alg: string, crv: string | undefined): DigestName | undefined {
  if (alg === 'EdDSA' || alg === 'Ed25519') return crv === 'Ed448' && alg === 'EdDSA' ? 'shake256-114' : 'sha512';
  return algorithmSpec(alg)?.digest ?? undefined;
}

function leftHalf(d: Uint8Array | undefined): string | undefined {
  return d === undefined ? undefined : base64(d.subarray(0, d.length >> 1), true);
}

/**
 * `at_hash`, `c_hash`, `s_hash` (OIDC Core §3.1.3.6, §3.3.2.11; FAPI for s_hash): base64url of the
 * left half of the hash of the value's UTF-8 octets (the exact octets: a non-ASCII value never
 * matches the hash of another value), with the hash named by the token's alg. EdDSA is
 * curve-bound: Ed25519 uses SHA-512, Ed448 SHAKE256 with a 114-byte output.
 *
 * Synchronous, so it needs node:crypto: without it (the edge entry) it throws `ERR_CONFIG`; use
 * {@link hashClaimValueAsync} there.
 */
export function hashClaimValue(value: string, alg: string, crv?: string): string | undefined {
  const node = nodePlatform();
  if (node === undefined) throw syncHashError('hashClaimValue', 'hashClaimValueAsync');
  const name = hashClaimDigest(alg, crv);
  return name === undefined ? undefined : leftHalf(node.digest(name, value));
}

/**
 * {@link hashClaimValue} on any runtime: node:crypto where installed, else WebCrypto's
 * `crypto.subtle.digest` (undefined for Ed448, whose SHAKE256 WebCrypto lacks).
 */
export async function hashClaimValueAsync(value: string, alg: string, crv?: string): Promise<string | undefined> {
  const name = hashClaimDigest(alg, crv);
  return name === undefined ? undefined : leftHalf(await digestAsync(name, value));
}

/** Hash-claim values computed ahead of the (synchronous) claim checks, where hashing is asynchronous. */
export interface HashClaimValues {
  readonly at_hash?: string | undefined;
  readonly c_hash?: string | undefined;
  readonly s_hash?: string | undefined;
}

/**
 * The hashes of the given access token, code and state for `alg`, computed asynchronously (the
 * edge entry, where the synchronous checks cannot hash). Keys only for the values given.
 */
export async function precomputeHashClaims(
  values: { readonly accessToken?: string | undefined; readonly code?: string | undefined; readonly state?: string | undefined },
  alg: string,
  crv?: string,
): Promise<HashClaimValues> {
  const h = async (v: string | undefined): Promise<string | undefined> =>
    typeof v === 'string' ? hashClaimValueAsync(v, alg, crv) : undefined;
  const [at_hash, c_hash, s_hash] = await Promise.all([h(values.accessToken), h(values.code), h(values.state)]);
  return { at_hash, c_hash, s_hash };
}

const CODES = { at_hash: 'ERR_AT_HASH', c_hash: 'ERR_C_HASH', s_hash: 'ERR_S_HASH' } as const satisfies Record<string, ErrorCode>;
const NAMES = { at_hash: 'access token', c_hash: 'authorization code', s_hash: 'state' } as const;

/**
 * {@link precomputeHashClaims} where it is needed: without node:crypto, and with a value to check;
 * undefined otherwise (node:crypto hashes inside the synchronous checks).
 */
export function hashClaimsAhead(
  values: { readonly accessToken?: string | undefined; readonly code?: string | undefined; readonly state?: string | undefined },
  alg: string,
): Promise<HashClaimValues> | undefined {
  if (nodePlatform() !== undefined || (values.accessToken ?? values.code ?? values.state) === undefined) return undefined;
  return precomputeHashClaims(values, alg);
}

/**
 * Checks one hash claim. With a value given, the claim must be present (when `required`) and
 * match; with no value, a required claim must merely be present. `precomputed` (from
 * {@link precomputeHashClaims}) replaces the synchronous hash where there is no node:crypto.
 */
export function checkHashClaim(
  claimValue: unknown,
  claim: keyof typeof CODES,
  value: string | undefined,
  required: boolean,
  alg: string,
  crv?: string,
  precomputed?: HashClaimValues,
): void {
  // Stryker disable next-line ConditionalExpression: fast path; the next lines return for an absent optional claim too
  if (claimValue === undefined && !required) return;
  const code = CODES[claim];
  const actual = stringClaim(claimValue, claim, required, code);
  // Stryker disable next-line ConditionalExpression: actual is undefined only for an absent optional claim, which returned above
  if (actual === undefined || value === undefined) return;
  const expected = precomputed !== undefined ? precomputed[claim] : hashClaimValue(value, alg, crv);
  if (actual !== expected) {
    throw fail(
      code,
      claim,
      'mismatch',
      `"${claim}" does not match the ${NAMES[claim]}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
      expected,
      actual,
    );
  }
}
