import type { Jwks } from '../jose/types.js';
import { parseJsonObject } from '../jose/json.js';
import { MAX_JSON_DEPTH, deeperThanLimit, nestedTooDeep } from './json-depth.js';
import { UsageError } from './args.js';
import { readOptionFile } from './file-input.js';

/** `--jwks FILE|URL`: a URL names a remote JWKS; anything else is a local file. */
export type JwksInput = { readonly jwks: Jwks; readonly label: string } | { readonly jwksUri: string; readonly label: string };

export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/**
 * Turns pasted or read text into a JWKS: `{ "keys": [...] }`, or one bare JWK (wrapped).
 * Returns the reason when it is neither.
 */
export function parseJwksText(text: string): Jwks | string {
  const doc = parseJsonObject(text.trim());
  if (doc === undefined ? nestedTooDeep(text) : deeperThanLimit(doc)) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (doc === undefined) return 'not a JSON object';
  if (Array.isArray(doc.keys)) return doc as unknown as Jwks;
  if (typeof doc.kty === 'string') return { keys: [doc as unknown as Jwks['keys'][number]] };
  return 'a JWKS needs a "keys" array (or give one JWK with "kty")';
}

export async function readJwksOption(value: string, cwd: string, command: string): Promise<JwksInput> {
  if (isUrl(value)) return { jwksUri: value, label: value };
  return { jwks: await readJwksFile(value, cwd, command), label: value };
}

/** `--jwks FILE`: read with {@link readOptionFile} (regular file, 1 MiB cap), and it must parse as a JWKS. */
export async function readJwksFile(value: string, cwd: string, command: string): Promise<Jwks> {
  const text = await readOptionFile('jwks', value, cwd, command);
  const jwks = parseJwksText(text);
  if (typeof jwks === 'string') throw new UsageError(`--jwks ${value}: ${jwks}`, command);
  return jwks;
}
