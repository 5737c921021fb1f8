import type { Jwks } from '../jose/types.js';
import { parseJsonObject } from '../jose/json.js';
import { MAX_JSON_DEPTH, deeperThanLimit, nestedTooDeep } from './json-depth.js';

/**
 * Text people paste or pass, turned into what a report checks: a token, a JWKS. Shared by the CLI
 * (arguments, stdin, files) and the inspector (form fields). Nothing here reads files or streams.
 */

/**
 * Cleans what people paste: surrounding whitespace and quotes, an `Authorization: Bearer` prefix,
 * line breaks from wrapped terminals. Nothing that could turn one token into another.
 */
export function normalizeToken(raw: string): string {
  const unquote = (t: string): string =>
    t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) ? t.slice(1, -1).trim() : t;
  let t = unquote(raw.trim());
  t = unquote(t.replace(/^authorization:\s*/i, '').replace(/^bearer\s+/i, ''));
  return t.replace(/\s+/g, '');
}

/** Whether a `--jwks` value or a pasted key source is an http(s) URL rather than a file or JSON. */
export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/**
 * Turns pasted or read text into a JWKS (RFC 7517 §5): `{ "keys": [...] }`, or one bare JWK
 * (wrapped). Returns the reason when it is neither.
 */
export function parseJwksText(text: string): Jwks | string {
  const doc = parseJsonObject(text.trim());
  if (doc === undefined ? nestedTooDeep(text) : deeperThanLimit(doc)) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (doc === undefined) return 'not a JSON object';
  if (Array.isArray(doc.keys)) return doc as unknown as Jwks;
  if (typeof doc.kty === 'string') return { keys: [doc as unknown as Jwks['keys'][number]] };
  return 'a JWKS needs a "keys" array (or give one JWK with "kty")';
}

/** One line: no stack, no embedded newlines, at most `max` characters. */
export function oneLine(s: string, max = 600): string {
  const t = s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
