import { VerifyError } from '../errors.js';
import { parseCompactJws } from '../jose/compact.js';
import { parseJsonObject } from '../jose/json.js';
import { MAX_JSON_DEPTH, deeperThanLimit, nestedTooDeep } from './json-depth.js';

/** A token split and decoded for display. Nothing here is verified. */
export interface DecodedToken {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  readonly signatureBytes: number;
  /** The three encoded segments. */
  readonly segments: readonly [string, string, string];
  /** Why the verifier's strict parser refuses the token, when it does (decoding still shows it). */
  readonly strictProblem?: string;
}

function segmentJson(segment: string, part: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(segment)) throw new VerifyError('ERR_MALFORMED', `token ${part} is not base64url`);
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  const obj = parseJsonObject(text);
  // Too deep to display: JSON.stringify and the renderers recurse.
  if (obj === undefined ? nestedTooDeep(text) : deeperThanLimit(obj)) {
    throw new VerifyError('ERR_MALFORMED', `token ${part} is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (obj === undefined) throw new VerifyError('ERR_MALFORMED', `token ${part} is not a JSON object`);
  return obj;
}

/** The header, payload and signature of a compact JWS, decoded for display without the strict checks. */
export function decodeSegments(token: string): Omit<DecodedToken, 'strictProblem'> {
  const parts = token.split('.');
  if (parts.length === 5)
    throw new VerifyError('ERR_MALFORMED', 'token has 5 segments: it is encrypted (JWE) and cannot be decoded without the private key');
  if (parts.length !== 3) throw new VerifyError('ERR_MALFORMED', `token must have 3 dot-separated segments, got ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const header = segmentJson(h, 'header');
  const payload = segmentJson(p, 'payload');
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new VerifyError('ERR_MALFORMED', 'token signature is not base64url');
  return { header, payload, signatureBytes: Buffer.from(s, 'base64url').length, segments: [h, p, s] };
}

/**
 * Decodes a compact JWS for people: more forgiving than the verifier (padding, `crit`), so odd
 * tokens can still be looked at, but it reports what the verifier would refuse.
 */
export function decodeToken(token: string): DecodedToken {
  const decoded = decodeSegments(token);
  let strictProblem: string | undefined;
  try {
    parseCompactJws(token);
  } catch (err) {
    strictProblem = err instanceof Error ? err.message : String(err);
  }
  return { ...decoded, ...(strictProblem !== undefined ? { strictProblem } : {}) };
}
