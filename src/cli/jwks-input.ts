import type { Jwks } from '../jose/types.js';
import { isUrl, parseJwksText } from '../report/input-text.js';
import { UsageError } from './args.js';
import { readOptionFile } from './file-input.js';

export { isUrl, parseJwksText };

/** `--jwks FILE|URL`: a URL names a remote JWKS; anything else is a local file. */
export type JwksInput = { readonly jwks: Jwks; readonly label: string } | { readonly jwksUri: string; readonly label: string };

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
