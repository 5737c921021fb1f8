import type { Painter } from './style.js';

/**
 * Pretty JSON with colour, and an optional dim comment after top-level members (used for ISO
 * times and claim names). Uncoloured output without comments is exactly JSON.stringify(v, null, 2).
 */
export function renderJson(
  value: unknown,
  paint: Painter,
  comment?: (key: string, value: unknown) => string | undefined,
  indent = '',
): string {
  return render(value, paint, indent, comment);
}

/**
 * Characters that change what a terminal shows without being visible text: DEL, the C1 controls
 * (U+0080-U+009F; U+009B is an 8-bit CSI that starts escape sequences like ESC [) and the bidi
 * controls (LRM, RLM, ALM, embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069), which
 * reorder text ("user-\u202e1337-nimda" shows as "user-admin-7331").
 */
const INVISIBLE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same, with the C0 controls (for text that is not JSON). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A token is hostile input: JSON.stringify escapes C0 controls (ESC included) but not DEL, C1
 * controls or bidi controls, which can still move the cursor or reorder what a terminal shows.
 */
export function quote(s: string): string {
  return terminalSafe(JSON.stringify(s));
}

/** For text that is not JSON (table cells): every control and bidi character escaped, nothing else. */
export function safeText(s: string): string {
  return s.replace(CONTROL, escapeChar);
}

/**
 * The last step before anything reaches stdout or stderr: DEL, C1 and bidi controls become
 * `\uXXXX`. C0 controls are left (colour codes, line breaks), so text from a token or a server
 * must already have gone through {@link safeText} or JSON. In JSON output these characters only
 * occur inside strings, where `\uXXXX` is the JSON escape of the same character: the JSON stays
 * valid and parses to the same value.
 */
export function terminalSafe(text: string): string {
  return text.replace(INVISIBLE, escapeChar);
}

function scalar(value: unknown, paint: Painter): string {
  if (typeof value === 'string') return paint('green', quote(value));
  if (typeof value === 'number') return paint('yellow', JSON.stringify(value));
  if (typeof value === 'boolean') return paint('magenta', String(value));
  if (value === null) return paint('gray', 'null');
  return JSON.stringify(value) ?? 'null';
}

function render(
  value: unknown,
  paint: Painter,
  indent: string,
  comment: ((key: string, value: unknown) => string | undefined) | undefined,
): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v, i) => `${inner}${render(v, paint, inner, undefined)}${i < value.length - 1 ? ',' : ''}`);
    return `[\n${items.join('\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, v], i) => {
      const note = comment?.(k, v);
      const line = `${inner}${paint('cyan', quote(k))}: ${render(v, paint, inner, undefined)}${i < entries.length - 1 ? ',' : ''}`;
      return note ? `${line}  ${paint('dim', `// ${note}`)}` : line;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return scalar(value, paint);
}
