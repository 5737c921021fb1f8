import { nodePlatform } from '../jose/backend.js';
import { sha256Base64url, sha256Base64urlAsync, syncHashError } from '../jose/digest.js';

/** The members RFC 7638 §3.2 hashes for each key type, in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/**
 * The JWK SHA-256 Thumbprint of a public key (RFC 7638 §3, as DPoP uses it in `cnf.jkt`,
 * RFC 9449 §6.1): base64url of SHA-256 over the JSON object of the key type's required members,
 * in lexicographic order, without whitespace. Undefined for a kty without a definition here
 * (RSA, EC, OKP) or a required member that is missing or not a string.
 *
 * Synchronous, so it needs node:crypto: without it (the edge entry) it throws `ERR_CONFIG`; use
 * {@link jwkThumbprintAsync} there.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  if (nodePlatform() === undefined) throw syncHashError('jwkThumbprint', 'jwkThumbprintAsync');
  const input = thumbprintInput(jwk);
  return input === undefined ? undefined : sha256Base64url(input);
}

/** {@link jwkThumbprint} on any runtime: node:crypto where installed, else WebCrypto's `crypto.subtle.digest`. */
export async function jwkThumbprintAsync(jwk: Readonly<Record<string, unknown>>): Promise<string | undefined> {
  const input = thumbprintInput(jwk);
  return input === undefined ? undefined : sha256Base64urlAsync(input);
}

/** The JSON text RFC 7638 §3 hashes, or undefined when the key has no thumbprint here. */
function thumbprintInput(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const kty = jwk.kty;
  const members = typeof kty === 'string' && Object.hasOwn(REQUIRED_MEMBERS, kty) ? REQUIRED_MEMBERS[kty]! : undefined;
  if (members === undefined) return undefined;
  const parts: string[] = [];
  for (const m of members) {
    const v = jwk[m];
    if (typeof v !== 'string' || v.length === 0) return undefined;
    // JSON.stringify of a string is the canonical form RFC 7638 §3.3 asks for.
    parts.push(`${JSON.stringify(m)}:${JSON.stringify(v)}`);
  }
  return `{${parts.join(',')}}`;
}
