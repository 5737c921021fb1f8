/**
 * Strict, canonical base64url (RFC 7515 §2, RFC 4648 §5 without padding). Node's decoder skips
 * unknown characters, accepts '+' and '/', and ignores spare bits, so one value would have many
 * spellings; a token not spelled canonically could slip past replay and result caches keyed by
 * the token text.
 */

import { NodeBuffer, base64 } from './bytes.js';

// Value of each base64url character, -1 for anything else.
// Stryker disable next-line UnaryOperator: a character outside the alphabet shortens the output first; -1 and +1 both have spare bits set
const VALUE = new Int8Array(128).fill(-1);
// Stryker disable next-line EqualityOperator: i = 64 writes VALUE[NaN], which is no index
for (let i = 0; i < 64; i++) VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;

/**
 * Decodes canonical base64url, or returns undefined. `ascii`: the caller has already checked that
 * the text is ASCII (one check per token instead of one per segment).
 */
export function decodeBase64url(segment: string, ascii = false): Uint8Array | undefined {
  const len = segment.length;
  const rem = len & 3;
  if (rem === 1) return undefined;
  if (NodeBuffer === undefined) return decodePortable(segment, rem);
  // Non-ASCII code units are truncated to their low byte by Node's decoder ('Ł' reads as 'A').
  // Stryker disable next-line StringLiteral: Buffer.byteLength counts UTF-8 when no encoding is named
  if (!ascii && NodeBuffer.byteLength(segment, 'utf8') !== len) return undefined;
  const buf = NodeBuffer.from(segment, 'base64url');
  // Skipped characters (whitespace, '=', anything outside the alphabet) shorten the output.
  if (buf.length !== (len * 3) >> 2) return undefined;
  // '+' and '/' decode like '-' and '_' without shortening it.
  if (segment.includes('+') || segment.includes('/')) return undefined;
  if (rem !== 0) {
    const last = segment.charCodeAt(len - 1);
    // Stryker disable next-line EqualityOperator,UnaryOperator: code unit 128 is skipped by the decoder (shorter output); -1 and +1 both have spare bits set
    const v = last < 128 ? VALUE[last]! : -1;
    // The spare low bits of the last character must be zero: 4 bits when rem is 2, 2 when 3.
    // Stryker disable next-line ConditionalExpression: -1 has every spare bit set, so the mask test refuses it too
    if (v < 0 || (v & (rem === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  }
  return buf;
}

/** Without Buffer (browsers, workerd without nodejs_compat): every character must be in the alphabet. Exported for tests. */
export function decodePortable(segment: string, rem: number): Uint8Array | undefined {
  const out = new Uint8Array((segment.length * 3) >> 2);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    const v = c < 128 ? VALUE[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // The spare low bits of the last character must be zero: 4 bits when rem is 2, 2 when 3.
  if (rem !== 0 && (acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** base64url (unpadded) of some octets, or of a string's UTF-8 octets. */
export function encodeBase64url(data: Uint8Array | string): string {
  return base64(data, true);
}
