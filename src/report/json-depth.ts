/**
 * Nesting bound for what the CLI and the inspector display. The library parses a token nested 100k
 * deep without recursing (V8's JSON parser is iterative) and never walks members it does not read,
 * but everything that shows a value (`JSON.stringify`, the renderers, the page) recurses: deeper
 * input is refused with a clear message before it gets there. RFC 8259 §9 lets a parser limit
 * nesting depth.
 */

/** Deepest nesting of objects and arrays shown (the top-level object is level 1). */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests objects and arrays deeper than {@link MAX_JSON_DEPTH}. Iterative. */
export function deeperThanLimit(root: unknown): boolean {
  if (typeof root !== 'object' || root === null) return false;
  const objects: object[] = [root];
  const depths: number[] = [1];
  while (objects.length > 0) {
    const o = objects.pop()!;
    const d = depths.pop()!;
    for (const v of Object.values(o)) {
      if (typeof v !== 'object' || v === null) continue;
      if (d >= MAX_JSON_DEPTH) return true;
      objects.push(v as object);
      depths.push(d + 1);
    }
  }
  return false;
}

/**
 * Whether JSON text nests objects and arrays deeper than {@link MAX_JSON_DEPTH} (brackets inside
 * strings do not count). Works on text that does not parse, and never recurses.
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
