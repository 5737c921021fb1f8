import { base64 } from '../jose/bytes.js';
import { digest } from '../jose/digest.js';
import type { ErrorCode } from '../errors.js';
import { algorithmSpec } from '../jose/algorithms.js';
import { fail, stringClaim } from './rules.js';

/**
 * `at_hash`, `c_hash`, `s_hash` (OIDC Core §3.1.3.6, §3.3.2.11; FAPI for s_hash): base64url of the
 * left half of the hash of the value's UTF-8 octets (the exact octets: a non-ASCII value never
 * matches the hash of another value), with the hash named by the token's alg. EdDSA is
 * curve-bound: Ed25519 uses SHA-512, Ed448 SHAKE256 with a 114-byte output.
 */
export function hashClaimValue(value: string, alg: string, crv?: string): string | undefined {
  let d: Uint8Array | undefined;
  if (alg === 'EdDSA' || alg === 'Ed25519') {
    d = digest(crv === 'Ed448' && alg === 'EdDSA' ? 'shake256-114' : 'sha512', value);
  } else {
    const spec = algorithmSpec(alg);
    if (!spec?.digest) return undefined;
    d = digest(spec.digest, value);
  }
  return d === undefined ? undefined : base64(d.subarray(0, d.length >> 1), true);
}

const CODES = { at_hash: 'ERR_AT_HASH', c_hash: 'ERR_C_HASH', s_hash: 'ERR_S_HASH' } as const satisfies Record<string, ErrorCode>;
const NAMES = { at_hash: 'access token', c_hash: 'authorization code', s_hash: 'state' } as const;

/**
 * Checks one hash claim. With a value given, the claim must be present (when `required`) and
 * match; with no value, a required claim must merely be present.
 */
export function checkHashClaim(
  claimValue: unknown,
  claim: keyof typeof CODES,
  value: string | undefined,
  required: boolean,
  alg: string,
  crv?: string,
): void {
  // Stryker disable next-line ConditionalExpression: fast path; the next lines return for an absent optional claim too
  if (claimValue === undefined && !required) return;
  const code = CODES[claim];
  const actual = stringClaim(claimValue, claim, required, code);
  // Stryker disable next-line ConditionalExpression: actual is undefined only for an absent optional claim, which returned above
  if (actual === undefined || value === undefined) return;
  const expected = hashClaimValue(value, alg, crv);
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
