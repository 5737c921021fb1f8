import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { describeValue } from '../errors.js';
import type { ConfigSources } from './config-schema.js';
import { bad, known, object, str } from './config-fields.js';

/**
 * Secret references of the gateway configuration: a secret comes from the environment
 * (`{ "env": "NAME" }`) or a file (`{ "file": "path" }`), never the config file text itself.
 */

/** Reads a `{ "env" }` or `{ "file" }` secret. */
export function secret(path: string, v: unknown, src: ConfigSources, allowLiteral: boolean): string {
  if (typeof v === 'string') {
    if (allowLiteral && v.length > 0) return v;
    throw bad(path, 'must not be written in the config file: use { "env": "NAME" } or { "file": "path" }');
  }
  const o = object(path, v);
  known(path, o, ['env', 'file']);
  if ((o.env === undefined) === (o.file === undefined)) throw bad(path, 'must have exactly one of "env" or "file"');
  if (o.env !== undefined) {
    const name = str(`${path}.env`, o.env);
    const value = (src.env ?? process.env)[name];
    if (value === undefined || value.length === 0)
      throw bad(`${path}.env`, `the environment variable ${describeValue(name, 60)} is not set or empty`);
    return value;
  }
  const file = str(`${path}.file`, o.file);
  const full = isAbsolute(file) ? file : resolvePath(src.baseDir ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw bad(`${path}.file`, `cannot read ${describeValue(file, 80)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // One trailing line break (as editors and `echo` write it) is not part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value.length === 0) throw bad(`${path}.file`, `${describeValue(file, 80)} is empty`);
  return value;
}
