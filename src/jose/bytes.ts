/**
 * Byte helpers that work with or without Node's `Buffer`: on Node, Deno and Bun they use `Buffer`
 * (the fast path, unchanged); in a browser and in workerd without `nodejs_compat` there is no
 * `Buffer`, and they fall back to `TextEncoder` / `TextDecoder` and plain loops.
 */

interface BufferLike extends Uint8Array {
  toString(encoding?: string): string;
}
interface BufferStatic {
  from(data: string, encoding?: string): BufferLike;
  from(data: Uint8Array): BufferLike;
  from(data: ArrayBufferLike, byteOffset: number, length: number): BufferLike;
  byteLength(data: string, encoding?: string): number;
  isBuffer(data: unknown): boolean;
}

/** Node's Buffer where the runtime has one, else undefined. */
export const NodeBuffer: BufferStatic | undefined = (globalThis as { Buffer?: BufferStatic }).Buffer;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');

/** The UTF-8 octets of a string. */
export function utf8Bytes(text: string): Uint8Array {
  return NodeBuffer !== undefined ? NodeBuffer.from(text, 'utf8') : encoder.encode(text);
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD (like `Buffer#toString('utf8')`). */
export function utf8Text(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) {
    return (
      NodeBuffer.isBuffer(bytes) ? (bytes as BufferLike) : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    ).toString('utf8');
  }
  return lenientDecoder.decode(bytes);
}

/** Whether `bytes` are well-formed UTF-8 (RFC 3629). */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
  if (NodeBuffer !== undefined) return NodeBuffer.byteLength(text, 'utf8');
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** One octet per code unit (the caller has checked the text is ASCII, or wants latin1). */
export function latin1Bytes(text: string): Uint8Array {
  if (NodeBuffer !== undefined) return NodeBuffer.from(text, 'latin1');
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Concatenates chunks into one array of `total` octets. */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    const n = Math.min(c.length, total - off);
    out.set(n === c.length ? c : c.subarray(0, n), off);
    off += n;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 (RFC 4648 §4, padded) or base64url (§5, unpadded) of some octets. */
export function base64(data: Uint8Array | string, url = false): string {
  const bytes = typeof data === 'string' ? utf8Bytes(data) : data;
  if (NodeBuffer !== undefined) {
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(url ? 'base64url' : 'base64');
  }
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return url ? out.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_') : out;
}

/** Lower-case hex of some octets. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** Compares two byte arrays in time that depends only on their length. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
