import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Jwks } from '../jose/types.js';
import { parseJsonObject } from '../jose/json.js';
import { UsageError } from './args.js';

const MAX_FILE = 1024 * 1024;

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
  if (doc === undefined) return 'not a JSON object';
  if (Array.isArray(doc.keys)) return doc as unknown as Jwks;
  if (typeof doc.kty === 'string') return { keys: [doc as unknown as Jwks['keys'][number]] };
  return 'a JWKS needs a "keys" array (or give one JWK with "kty")';
}

export async function readJwksOption(value: string, cwd: string, command: string): Promise<JwksInput> {
  if (isUrl(value)) return { jwksUri: value, label: value };
  const path = resolve(cwd, value);
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new UsageError(`--jwks ${value}: not a file`, command);
    if (st.size > MAX_FILE) throw new UsageError(`--jwks ${value}: larger than ${MAX_FILE} bytes`, command);
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --jwks ${value}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`, command);
  }
  const jwks = parseJwksText(text);
  if (typeof jwks === 'string') throw new UsageError(`--jwks ${value}: ${jwks}`, command);
  return { jwks, label: value };
}
