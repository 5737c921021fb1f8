/**
 * JSON parsing for untrusted token segments. Duplicate member names: the lexically last wins, as
 * ECMAScript JSON.parse does and RFC 7519 §4 permits; callers only ever see that one parse.
 * `__proto__` members are dropped so a later merge by the application cannot pollute prototypes.
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    // A member may spell the name with escapes ("\u005f_proto__"), so any escape takes the slow path.
    value = text.includes('__proto__') || text.includes('\\u') ? JSON.parse(text, dropProto) : JSON.parse(text);
    // Stryker disable next-line BlockStatement: without the return, value stays undefined and the object check below returns undefined
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

function dropProto(this: unknown, key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}
