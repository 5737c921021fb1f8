import { VerifyError } from '../errors.js';
import { decodeBase64url } from './base64url.js';
import { isUtf8, latin1Bytes, utf8Length, utf8Text } from './bytes.js';
import { parseJsonObject } from './json.js';
import type { JoseHeader, JwtPayload } from './types.js';

/** Default cap on the token length, checked before any decoding. */
export const DEFAULT_MAX_TOKEN_LENGTH = 64 * 1024;

/**
 * Decoded headers by their segment text. Tokens from one key share one header, so decoding it once
 * saves a base64 and a JSON pass per token. Bounded: cleared when full.
 */
const headerCache = new Map<string, JoseHeader>();
const HEADER_CACHE_SIZE = 256;
/** The header segment of the last token parsed, and its decoded header. */
// Stryker disable next-line StringLiteral: never compared while lastHeader is undefined
let lastSegment = '';
let lastHeader: JoseHeader | undefined;

/** A compact JWS split and decoded, not yet verified. */
export interface ParsedJws {
  readonly header: JoseHeader;
  readonly payload: JwtPayload;
  /** ASCII bytes of `BASE64URL(header) || '.' || BASE64URL(payload)`. */
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

function malformed(message: string): VerifyError {
  return new VerifyError('ERR_MALFORMED', message);
}

function decodeSegment(segment: string, part: 'header' | 'payload', ascii: boolean): Record<string, unknown> {
  if (segment.length === 0) throw malformed(`token ${part} is empty`);
  const bytes = decodeBase64url(segment, ascii);
  if (bytes === undefined) throw malformed(`token ${part} is not canonical base64url`);
  const text = utf8Text(bytes);
  // Decoding turns invalid UTF-8 into U+FFFD silently; RFC 7519 §7.2 step 6 requires UTF-8. Only
  // a text holding U+FFFD can hide invalid bytes, so only then are the bytes checked.
  // Stryker disable next-line StringLiteral: speed only, the UTF-8 check then runs on every segment
  if (text.includes('\uFFFD') && !isUtf8(bytes)) throw malformed(`token ${part} is not valid UTF-8`);
  const obj = parseJsonObject(text);
  if (obj === undefined) throw malformed(`token ${part} is not a JSON object`);
  return obj;
}

function decodeHeader(segment: string, ascii: boolean): JoseHeader {
  const header = decodeSegment(segment, 'header', ascii);
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.length === 0) throw malformed('token header has no "alg" string');
  // RFC 7515 §4.1.4: "kid" is a case-sensitive string. Any other type is malformed, never "no kid".
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw malformed(
      `token header "kid" must be a string, got ${header.kid === null ? 'null' : Array.isArray(header.kid) ? 'an array' : typeof header.kid}`,
    );
  }
  if (header.crit !== undefined) throw malformed('token header has "crit": no critical extension is supported');
  if (header.b64 !== undefined && header.b64 !== true) throw malformed('token header has "b64": unencoded payloads are not supported');
  // Frozen because cached headers are shared between results.
  deepFreeze(header);
  if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
  headerCache.set(segment, header as JoseHeader);
  return header as JoseHeader;
}

function deepFreeze(root: object): void {
  // Iterative: a hostile header may nest deeper than the call stack.
  const stack: object[] = [root];
  while (stack.length > 0) {
    const o = stack.pop()!;
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>))
      // Stryker disable next-line ConditionalExpression,LogicalOperator: Object.isFrozen is true for every primitive, null included
      if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) stack.push(v);
  }
}

/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) strictly: exactly three segments, canonical
 * base64url, JSON object header and payload, a string `alg`, a string `kid` when present, no `crit` (no extension is
 * understood, RFC 7515 §4.1.11) and no unencoded payload (RFC 7797 `b64: false`).
 */
export function parseCompactJws(token: unknown, maxLength: number = DEFAULT_MAX_TOKEN_LENGTH): ParsedJws {
  if (typeof token !== 'string') throw malformed(`token must be a string, got ${token === null ? 'null' : typeof token}`);
  if (token.length > maxLength) throw malformed(`token is ${token.length} characters, above the ${maxLength} limit`);
  const d1 = token.indexOf('.');
  // Stryker disable next-line ConditionalExpression: with no dot, indexOf from 0 finds none either
  const d2 = d1 === -1 ? -1 : token.indexOf('.', d1 + 1);
  if (d2 === -1 || token.indexOf('.', d2 + 1) !== -1) {
    const segments = token.length === 0 ? 0 : token.split('.').length;
    if (segments === 5) throw malformed('token has 5 segments: encrypted tokens (JWE) are not supported');
    throw malformed(`token must have 3 dot-separated segments, got ${segments}`);
  }
  // One check for the whole token; segments of a non-ASCII token are checked one by one so the
  // error names the segment.
  // Stryker disable next-line ConditionalExpression: speed only, false checks each segment
  const ascii = utf8Length(token) === token.length;
  let header: JoseHeader;
  // Most tokens repeat the previous one's header: a prefix compare skips slicing and hashing it.
  // Stryker disable next-line ConditionalExpression: speed only, the header cache returns the same frozen header
  if (lastHeader !== undefined && d1 === lastSegment.length && token.startsWith(lastSegment)) header = lastHeader;
  else {
    const headerSegment = token.slice(0, d1);
    header = headerCache.get(headerSegment) ?? decodeHeader(headerSegment, ascii);
    lastSegment = headerSegment;
    lastHeader = header;
  }
  const payload = decodeSegment(token.slice(d1 + 1, d2), 'payload', ascii);
  const sigSegment = token.slice(d2 + 1);
  const signature = decodeBase64url(sigSegment, ascii);
  if (signature === undefined) throw malformed('token signature is not canonical base64url');
  return {
    header,
    payload: payload,
    signingInput: latin1Bytes(token.slice(0, d2)),
    signature,
  };
}
