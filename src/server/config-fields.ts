import { VerifyError, describeValue } from '../errors.js';
import { rejectUnknownOptions } from '../option-checks.js';

/**
 * Field checks of the gateway configuration: each reads one JSON value or throws `ERR_CONFIG`
 * naming its JSON path (`issuers[0].audience: ...`).
 */

/** An `ERR_CONFIG` error naming the JSON path of the bad field. */
export function bad(path: string, message: string): VerifyError {
  return new VerifyError('ERR_CONFIG', `${path}: ${message}`);
}

/** A JSON object of the config. */
export type Obj = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function object(path: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, `must be an object, got ${kind(v)}`);
  return v as Obj;
}

/** What a bad value is, for messages (never the whole value). */
export function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : describeValue(v, 40);
}

/** Refuses keys not in `names`, naming the nearest known one. */
export function known(path: string, o: Obj, names: readonly string[]): void {
  rejectUnknownOptions(path, o, names);
}

/** A non-empty string. */
export function str(path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw bad(path, `must be a non-empty string, got ${kind(v)}`);
  return v;
}

/** A non-empty string, or undefined when absent. */
export function optStr(path: string, v: unknown): string | undefined {
  return v === undefined ? undefined : str(path, v);
}

/** An array of non-empty strings (non-empty itself unless `nonEmpty` is false). */
export function strings(path: string, v: unknown, nonEmpty = true): string[] {
  if (!Array.isArray(v) || (nonEmpty && v.length === 0))
    throw bad(path, `must be ${nonEmpty ? 'a non-empty' : 'an'} array of strings, got ${kind(v)}`);
  return v.map((e, i) => str(`${path}[${i}]`, e));
}

/** An integer from `min` to `max`. */
export function int(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(path, `must be an integer from ${min} to ${max}, got ${kind(v)}`);
  return v;
}

export function oneOf<T extends string>(path: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw bad(path, `must be ${values.map((x) => `"${x}"`).join(' or ')}, got ${kind(v)}`);
  }
  return v as T;
}

/** RFC 9110 §5.6.2 token: header names and methods. */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 6749 §3.3 scope-token. */
export const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** An absolute http(s) URL without credentials; with `originOnly`, an origin only. */
export function httpUrl(path: string, v: unknown, originOnly = false): string {
  const s = str(path, v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw bad(path, `must be an absolute http(s) URL, got ${describeValue(s, 60)}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw bad(path, `must be an http(s) URL, got ${describeValue(s, 60)}`);
  if (u.username !== '' || u.password !== '') throw bad(path, 'must not carry credentials');
  if (originOnly && (u.pathname !== '/' || u.search !== '' || u.hash !== '' || /[?#]/.test(s) || !/^https?:\/\/[^/]+\/?$/i.test(s))) {
    throw bad(path, `must be an origin such as "https://api.example.com" (no path, query or fragment), got ${describeValue(s, 60)}`);
  }
  return s;
}
