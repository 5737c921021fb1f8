import { describeValue } from '../errors.js';
import type { ResolvedRoute } from './config-schema.js';
import { SCOPE, TOKEN, bad, kind, known, object, str, strings } from './config-fields.js';

/**
 * Route rules of the gateway configuration, compiled: methods as a set, a segment-aware path
 * prefix (normalised, see `normalizePath`) or a RegExp, and the scopes and claims required.
 */

const ROUTE_KEYS = ['name', 'methods', 'path', 'pattern', 'allow', 'scopes', 'claims'] as const;

/** Validates and compiles the route rule at JSON path `path` (its label defaults to `index`). */
export function route(path: string, v: unknown, index: number): ResolvedRoute {
  const o = object(path, v);
  known(path, o, ROUTE_KEYS);
  const label = o.name === undefined ? String(index) : str(`${path}.name`, o.name);
  if (o.name !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(label)) throw bad(`${path}.name`, 'must be 1-64 of A-Z a-z 0-9 _ . : -');
  let methods: Set<string> | undefined;
  if (o.methods !== undefined) {
    methods = new Set(
      strings(`${path}.methods`, o.methods).map((m, i) => {
        if (!TOKEN.test(m)) throw bad(`${path}.methods[${i}]`, `is not an HTTP method: ${describeValue(m, 30)}`);
        return m;
      }),
    );
  }
  if (o.path !== undefined && o.pattern !== undefined) throw bad(path, 'has both "path" and "pattern": use one');
  let prefix: string | undefined;
  if (o.path !== undefined) {
    prefix = str(`${path}.path`, o.path);
    if (!prefix.startsWith('/') || /[?#%\\]/.test(prefix) || /(^|\/)\.\.?(\/|$)/.test(prefix) || prefix.includes('//')) {
      throw bad(
        `${path}.path`,
        `must be a normalised absolute path such as "/admin/" (no query, "%", "\\", "." or ".." segments), got ${describeValue(prefix, 60)}`,
      );
    }
  }
  let pattern: RegExp | undefined;
  if (o.pattern !== undefined) {
    const src = str(`${path}.pattern`, o.pattern);
    try {
      pattern = new RegExp(src);
    } catch (err) {
      throw bad(`${path}.pattern`, `is not a valid RegExp: ${(err as Error).message}`);
    }
  }
  let allow = false;
  if (o.allow !== undefined) {
    if (o.allow !== true) throw bad(`${path}.allow`, `must be true (omit it for a protected route), got ${kind(o.allow)}`);
    allow = true;
  }
  let scopes: string[] = [];
  if (o.scopes !== undefined) {
    scopes = strings(`${path}.scopes`, o.scopes, false);
    scopes.forEach((s, i) => {
      if (!SCOPE.test(s)) throw bad(`${path}.scopes[${i}]`, `is not a scope-token (RFC 6749 §3.3): ${describeValue(s, 40)}`);
    });
  }
  let claims: Record<string, string | number | boolean> | undefined;
  if (o.claims !== undefined) {
    const c = object(`${path}.claims`, o.claims);
    claims = {};
    for (const [k, val] of Object.entries(c)) {
      if (typeof val !== 'string' && typeof val !== 'boolean' && !(typeof val === 'number' && Number.isFinite(val))) {
        throw bad(`${path}.claims.${k}`, `must be a string, a number or a boolean, got ${kind(val)}`);
      }
      claims[k] = val;
    }
  }
  if (allow && (scopes.length > 0 || claims !== undefined))
    throw bad(path, 'a public route ("allow": true) cannot also require scopes or claims');
  return {
    label,
    ...(methods !== undefined ? { methods } : {}),
    ...(prefix !== undefined ? { path: prefix } : {}),
    ...(pattern !== undefined ? { pattern } : {}),
    allow,
    scopes,
    ...(claims !== undefined ? { claims } : {}),
  };
}
