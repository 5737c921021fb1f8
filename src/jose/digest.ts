import { nodePlatform } from './backend.js';
import { base64, utf8Bytes } from './bytes.js';
import { hmacSha256 as hmacPortable, sha2 } from './sha2.js';

/**
 * Hashes for the layers above: node:crypto's `createHash` where the Node entry installed it, the
 * plain-JavaScript SHA-2 of sha2.ts on the edge entry (browsers, workerd without nodejs_compat).
 * SHAKE256 (only for Ed448 `at_hash`) exists on node:crypto only; Ed448 keys are refused on the
 * edge entry anyway.
 */
export type DigestName = 'sha256' | 'sha384' | 'sha512' | 'shake256-114';

/** The digest of `data` (a string is hashed as its UTF-8 octets); undefined for SHAKE256 without node:crypto. */
export function digest(name: DigestName, data: Uint8Array | string): Uint8Array | undefined {
  const node = nodePlatform();
  if (node !== undefined) return node.digest(name, data);
  if (name === 'shake256-114') return undefined;
  return sha2(name, typeof data === 'string' ? utf8Bytes(data) : data);
}

/** base64url of the SHA-256 of `data` (a string as its UTF-8 octets): cache and replay keys, DPoP `ath`, thumbprints. */
export function sha256Base64url(data: Uint8Array | string): string {
  return base64(digest('sha256', data)!, true);
}

/** HMAC-SHA-256 of `data` under `key`. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const node = nodePlatform();
  return node !== undefined ? node.hmacSha256(key, data) : hmacPortable(key, data);
}
