/**
 * Strict, canonical base64url (RFC 7515 §2, RFC 4648 §5 without padding). Node's decoder skips
 * unknown characters and ignores spare bits, so one value would have many spellings; a token that
 * is not spelled canonically could slip past replay and result caches keyed by the token text.
 */
export function decodeBase64url(segment: string): Buffer | undefined {
  const buf = Buffer.from(segment, 'base64url');
  // Re-encoding is native and cheap; equality proves alphabet, no padding and zero spare bits.
  return buf.toString('base64url') === segment ? buf : undefined;
}

export function encodeBase64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}
