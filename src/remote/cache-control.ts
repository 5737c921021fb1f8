/**
 * How long a fetched JWKS stays fresh, from its HTTP caching headers (RFC 9111, RFC 5861).
 * IdPs send anything from 15 s to weeks, so the result is clamped: never below a minute (a JWKS
 * endpoint must not become a per-token request) and never above a day (a withdrawn key must
 * stop validating).
 */

/** Anything with a `get(name)` like `Headers`. */
export interface HeaderSource {
  get(name: string): string | null;
}

/** Cache-Control directives the cache understands; durations in seconds. */
export interface CacheDirectives {
  readonly maxAge?: number;
  readonly sMaxAge?: number;
  readonly noStore: boolean;
  readonly noCache: boolean;
  readonly staleWhileRevalidate?: number;
  readonly staleIfError?: number;
}

/** The cache lifetime of one response; durations in milliseconds. */
export interface Freshness {
  /** How long the response is fresh, after clamping. */
  readonly freshFor: number;
  /** After freshness ends, how long it may still serve while a refresh runs (0 unless sent). */
  readonly staleWhileRevalidate: number;
  /** After freshness ends, how long it may serve when refreshing fails; undefined when not sent. */
  readonly staleIfError?: number;
  /** Where `freshFor` came from. */
  readonly source: 'max-age' | 'expires' | 'no-cache' | 'default';
  /** The unclamped lifetime the server asked for, when it asked. */
  readonly requested?: number;
}

export interface FreshnessLimits {
  /** Default 60 000 (1 min). */
  readonly min?: number;
  /** Default 86 400 000 (24 h). */
  readonly max?: number;
  /** When the server says nothing. Default 600 000 (10 min). */
  readonly fallback?: number;
}

export const FRESHNESS_DEFAULTS = {
  min: 60_000,
  max: 86_400_000,
  fallback: 600_000,
} as const;

/** Splits a Cache-Control value into lower-cased directive names and unquoted values; first occurrence wins. */
export function parseDirectiveList(value: string): Map<string, string | true> {
  const out = new Map<string, string | true>();
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === ',' || value[i] === ' ' || value[i] === '\t')) i++;
    let name = '';
    while (i < n && value[i] !== '=' && value[i] !== ',') name += value[i++];
    name = name.trim().toLowerCase();
    let v: string | true = true;
    if (value[i] === '=') {
      i++;
      while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
      if (value[i] === '"') {
        i++;
        let s = '';
        while (i < n && value[i] !== '"') {
          if (value[i] === '\\' && i + 1 < n) i++;
          s += value[i++];
        }
        i++;
        v = s;
      } else {
        let s = '';
        while (i < n && value[i] !== ',') s += value[i++];
        v = s.trim();
      }
      while (i < n && value[i] !== ',') i++;
    }
    if (name !== '' && !out.has(name)) out.set(name, v);
  }
  return out;
}

/** delta-seconds (RFC 9111 §1.2.2); an invalid value counts as 0 (stale), as §4.2.1 allows. */
function deltaSeconds(v: string | true | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === true || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : 2 ** 31;
}

export function parseCacheControl(value: string | null): CacheDirectives {
  if (value === null || value.trim() === '') return { noStore: false, noCache: false };
  const d = parseDirectiveList(value);
  const maxAge = deltaSeconds(d.get('max-age'));
  const sMaxAge = deltaSeconds(d.get('s-maxage'));
  const swr = deltaSeconds(d.get('stale-while-revalidate'));
  const sie = deltaSeconds(d.get('stale-if-error'));
  return {
    noStore: d.has('no-store'),
    // `no-cache="field"` only restricts named fields; a bare no-cache restricts the response.
    noCache: d.get('no-cache') === true,
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(sMaxAge !== undefined ? { sMaxAge } : {}),
    ...(swr !== undefined ? { staleWhileRevalidate: swr } : {}),
    ...(sie !== undefined ? { staleIfError: sie } : {}),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The freshness of a response received at `now` (ms):
 * - `no-store` / `no-cache`: the minimum (the key set is still kept that long, on purpose);
 * - `max-age` minus `Age`; `s-maxage` is ignored (it addresses shared proxies; this cache is private);
 * - else `Expires` minus `Date` (or minus `now` without a usable `Date`); an invalid `Expires` is stale;
 * - else the fallback (10 min).
 * `must-revalidate` is not honoured: some IdPs send it on every JWKS response, and the keys are
 * public; serving stale on error is bounded by `maxStale` and by `stale-if-error` when sent.
 */
export function freshness(headers: HeaderSource, now: number, limits: FreshnessLimits = {}): Freshness {
  const min = limits.min ?? FRESHNESS_DEFAULTS.min;
  const max = Math.max(min, limits.max ?? FRESHNESS_DEFAULTS.max);
  const fallback = clamp(limits.fallback ?? FRESHNESS_DEFAULTS.fallback, min, max);
  const cc = parseCacheControl(headers.get('cache-control'));
  const extra = {
    staleWhileRevalidate: clamp((cc.staleWhileRevalidate ?? 0) * 1000, 0, max),
    ...(cc.staleIfError !== undefined ? { staleIfError: clamp(cc.staleIfError * 1000, 0, Number.MAX_SAFE_INTEGER) } : {}),
  };
  if (cc.noStore || cc.noCache) return { freshFor: min, source: 'no-cache', requested: 0, ...extra };
  if (cc.maxAge !== undefined) {
    const age = deltaSeconds(headers.get('age') ?? undefined) ?? 0;
    const requested = Math.max(0, cc.maxAge - age) * 1000;
    return { freshFor: clamp(requested, min, max), source: 'max-age', requested, ...extra };
  }
  const expires = headers.get('expires');
  if (expires !== null) {
    const exp = Date.parse(expires);
    const date = Date.parse(headers.get('date') ?? '');
    const requested = Number.isNaN(exp) ? 0 : Math.max(0, exp - (Number.isNaN(date) ? now : date));
    return { freshFor: clamp(requested, min, max), source: 'expires', requested, ...extra };
  }
  return { freshFor: fallback, source: 'default', ...extra };
}
