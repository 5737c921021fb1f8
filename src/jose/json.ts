/**
 * Deepest nesting of objects and arrays accepted in a parsed JSON document (the top-level object
 * is depth 1). Real tokens and documents nest a few levels; a hostile one nested 100k deep parses
 * (V8's parser is iterative) but then overflows the stack of every recursive consumer
 * (`JSON.stringify`, renderers, revivers).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON parsing for untrusted token segments. Duplicate member names: the lexically last wins, as
 * ECMAScript JSON.parse does and RFC 7519 §4 permits; callers only ever see that one parse.
 * `__proto__` members are dropped so a later merge by the application cannot pollute prototypes.
 * Objects nested deeper than {@link MAX_JSON_DEPTH} are refused (undefined; {@link nestedTooDeep}
 * tells that case apart).
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    // A member may spell the name with escapes ("\u005f_proto__"), so any escape takes the slow path.
    value = text.includes('__proto__') || text.includes('\\u') ? JSON.parse(text, dropProto) : JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // Nesting deeper than the limit needs more opening brackets than the limit: counting them (native
  // indexOf) is much cheaper than walking the parsed value, which only texts with many brackets need.
  if (!fewBrackets(text) && deeperThanLimit(value)) return undefined;
  return value as Record<string, unknown>;
}

function fewBrackets(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++n > MAX_JSON_DEPTH) return false;
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++n > MAX_JSON_DEPTH) return false;
  return true;
}

function deeperThanLimit(root: object): boolean {
  // Iterative, like the parse: the point is not to recurse.
  const objects: object[] = [root];
  const depths: number[] = [1];
  while (objects.length > 0) {
    const o = objects.pop()!;
    const d = depths.pop()!;
    for (const v of Object.values(o)) {
      if (typeof v !== 'object' || v === null) continue;
      if (d >= MAX_JSON_DEPTH) return true;
      objects.push(v);
      depths.push(d + 1);
    }
  }
  return false;
}

/**
 * Whether JSON text nests objects and arrays deeper than {@link MAX_JSON_DEPTH} (brackets inside
 * strings do not count). For error messages after {@link parseJsonObject} refused a text.
 */
export function nestedTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function dropProto(this: unknown, key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}
