import { createHash } from 'node:crypto';
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
  let digest: Buffer;
  if (alg === 'EdDSA' || alg === 'Ed25519') {
    // Stryker disable next-line StringLiteral: node:crypto hashes a string as UTF-8 when no encoding is named
    if (crv === 'Ed448' && alg === 'EdDSA') digest = createHash('shake256', { outputLength: 114 }).update(value, 'utf8').digest();
    // Stryker disable next-line StringLiteral: node:crypto hashes a string as UTF-8 when no encoding is named
    else digest = createHash('sha512').update(value, 'utf8').digest();
  } else {
    const spec = algorithmSpec(alg);
    if (!spec?.digest) return undefined;
    // Stryker disable next-line StringLiteral: node:crypto hashes a string as UTF-8 when no encoding is named
    digest = createHash(spec.digest).update(value, 'utf8').digest();
  }
  return digest.subarray(0, digest.length >> 1).toString('base64url');
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
