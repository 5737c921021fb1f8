import { KeyNotFoundError, VerifyError, describeValue, type KeyRejection } from '../errors.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import { importJwk, type VerificationKey } from './jwk.js';

/** Default cap on the number of keys taken from one JWKS. */
export const DEFAULT_MAX_KEYS = 100;
/** With neither `kid` nor a thumbprint in the header, at most this many keys are tried. */
export const MAX_UNNAMED_CANDIDATES = 3;
/** When several keys share the token's `kid` (or thumbprint), at most this many (the first fit ones) are tried. */
export const MAX_SAME_ID_CANDIDATES = 3;

/** The result of looking up keys for a token: candidates to try, or why there are none. */
export type KeyMatch =
  | { readonly keys: readonly VerificationKey[]; readonly rejections?: undefined }
  | { readonly keys?: undefined; readonly rejections: readonly KeyRejection[]; readonly unknownKid?: string };

/**
 * An immutable, imported key set. Built once per JWKS document; selection is pure and cheap
 * (a Map lookup by `kid` on the hot path).
 */
export class KeySet {
  /** Usable keys, in JWKS order. */
  readonly keys: readonly VerificationKey[];
  /** Keys skipped at import, with the reason. */
  readonly skipped: readonly KeyRejection[];
  readonly #byKid = new Map<string, VerificationKey[]>();
  /** Rejection lists that do not depend on the token (an unknown kid, an alg no key fits), built on first need. */
  readonly #explained = new Map<string, readonly KeyRejection[]>();
  #skippedRejections: readonly KeyRejection[] | undefined;

  private constructor(keys: VerificationKey[], skipped: KeyRejection[]) {
    this.keys = keys;
    this.skipped = skipped;
    for (const k of keys) {
      // Stryker disable next-line ConditionalExpression: an undefined entry is never looked up (a kid is a string)
      if (k.kid === undefined) continue;
      const list = this.#byKid.get(k.kid);
      if (list) list.push(k);
      else this.#byKid.set(k.kid, [k]);
    }
  }

  /**
   * Imports a JWKS document. Unusable keys are skipped with a reason; a document that is not
   * `{ keys: [...] }` throws `ERR_CONFIG`-free {@link VerifyError} with `errorCode`.
   */
  static fromJwks(doc: unknown, options: { maxKeys?: number; errorCode?: 'ERR_CONFIG' | 'ERR_JWKS_FETCH' } = {}): KeySet {
    const code = options.errorCode ?? 'ERR_CONFIG';
    if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
      throw new VerifyError(code, 'JWKS must be a JSON object with a "keys" array');
    }
    const list = (doc as { keys: unknown[] }).keys;
    const max = options.maxKeys ?? DEFAULT_MAX_KEYS;
    const keys: VerificationKey[] = [];
    const skipped: KeyRejection[] = [];
    list.forEach((jwk, index) => {
      const kid = typeof (jwk as { kid?: unknown })?.kid === 'string' ? (jwk as { kid: string }).kid : undefined;
      if (index >= max) {
        skipped.push({ index, ...(kid !== undefined ? { kid } : {}), reason: `beyond the cap of ${max} keys` });
        return;
      }
      const r = importJwk(jwk, index);
      if ('key' in r) keys.push(r.key);
      else skipped.push({ index, ...(kid !== undefined ? { kid } : {}), reason: r.reason });
    });
    return new KeySet(keys, skipped);
  }

  /** Whether a key with this `kid` exists in the set. */
  hasKid(kid: string): boolean {
    return this.#byKid.has(kid);
  }

  /**
   * Picks the keys that may have signed a token with this header and (already allowlisted) alg:
   * by `kid`; else by `x5t#S256` / `x5t` where keys carry them; else every key fit for the alg,
   * at most {@link MAX_UNNAMED_CANDIDATES}. Header keys (`jwk`, `jku`, `x5u`, `x5c`) are never used.
   */
  select(header: JoseHeader, alg: Algorithm): KeyMatch {
    const kid = header.kid;
    if (typeof kid === 'string') {
      const named = this.#byKid.get(kid);
      // Stryker disable next-line StringLiteral: the cache key; no other explanation is cached under the empty key
      if (named === undefined) return { rejections: this.#explainOnce('kid', () => 'kid differs'), unknownKid: kid };
      return this.#fit(named, alg);
    }
    const s256 = header['x5t#S256'];
    const s1 = header.x5t;
    if (typeof s256 === 'string' && this.keys.some((k) => k.x5tS256 !== undefined)) {
      return this.#fit(
        this.keys.filter((k) => k.x5tS256 === s256),
        alg,
        'x5t#S256 differs',
      );
    }
    if (typeof s1 === 'string' && this.keys.some((k) => k.x5t !== undefined)) {
      return this.#fit(
        this.keys.filter((k) => k.x5t === s1),
        alg,
        'x5t differs',
      );
    }
    const fit = this.keys.filter((k) => k.algorithms.has(alg as never));
    if (fit.length === 0) return { rejections: this.#explainOnce(`alg:${alg}`, (k) => unfitReason(k, alg)) };
    // Stryker disable next-line ConditionalExpression,EqualityOperator: slicing a list of at most 3 to 3 gives the same keys
    return { keys: fit.length > MAX_UNNAMED_CANDIDATES ? fit.slice(0, MAX_UNNAMED_CANDIDATES) : fit };
  }

  #fit(candidates: readonly VerificationKey[], alg: Algorithm, missReason?: string): KeyMatch {
    let allFit = true;
    for (const k of candidates) if (!k.algorithms.has(alg as never)) allFit = false;
    if (allFit && candidates.length > 0) {
      return { keys: candidates.length > MAX_SAME_ID_CANDIDATES ? candidates.slice(0, MAX_SAME_ID_CANDIDATES) : candidates };
    }
    const fit = candidates.filter((k) => k.algorithms.has(alg as never));
    // Stryker disable next-line ConditionalExpression,EqualityOperator: slicing a fresh list of at most 3 to 3 gives the same keys
    if (fit.length > 0) return { keys: fit.length > MAX_SAME_ID_CANDIDATES ? fit.slice(0, MAX_SAME_ID_CANDIDATES) : fit };
    const miss = missReason ?? 'does not match';
    const base = this.#explainOnce(`miss:${miss}`, () => miss);
    // Stryker disable next-line ConditionalExpression: speed only, the loop below would copy base unchanged
    if (candidates.length === 0) return { rejections: base };
    // A copy of the shared list with the candidates' own reasons: no per-token rebuild of every entry.
    const out = base.slice();
    for (const k of candidates) {
      let lo = 0;
      let hi = out.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (out[mid]!.index < k.index) lo = mid + 1;
        else hi = mid;
      }
      out[lo] = { index: k.index, ...(k.kid !== undefined ? { kid: k.kid } : {}), reason: unfitReason(k, alg) };
    }
    return { rejections: out };
  }

  /** {@link #explain} for a reason that depends only on the key set and `cacheKey`: built once, shared, frozen. */
  #explainOnce(cacheKey: string, reason: (k: VerificationKey) => string): readonly KeyRejection[] {
    let out = this.#explained.get(cacheKey);
    if (out === undefined) {
      out = this.#explain(reason);
      this.#explained.set(cacheKey, out);
    }
    return out;
  }

  /** Every key and every skipped entry with its reason, in JWKS order (a merge: both lists are in index order). */
  #explain(reason: (k: VerificationKey) => string): KeyRejection[] {
    const skipped = (this.#skippedRejections ??= this.skipped.map((s) => ({ ...s, reason: `skipped at import: ${s.reason}` })));
    const out: KeyRejection[] = [];
    let j = 0;
    for (const k of this.keys) {
      // Stryker disable next-line EqualityOperator: a key and a skipped entry never share an index
      while (j < skipped.length && skipped[j]!.index < k.index) out.push(skipped[j++]!);
      out.push({ index: k.index, ...(k.kid !== undefined ? { kid: k.kid } : {}), reason: reason(k) });
    }
    while (j < skipped.length) out.push(skipped[j++]!);
    return out;
  }
}

function unfitReason(k: VerificationKey, alg: Algorithm): string {
  // Stryker disable next-line ConditionalExpression: a key whose alg is the token's always fits (checked at import), so it never gets here
  if (k.alg !== undefined && k.alg !== alg) return `key is for alg ${k.alg}, token uses ${alg}`;
  return `kty ${k.kty}${k.crv ? ` crv ${k.crv}` : ''} cannot verify ${alg}`;
}

/** Builds the {@link KeyNotFoundError} for a failed match, listing every key and why it was passed over. */
export function keyNotFound(header: JoseHeader, alg: string, rejections: readonly KeyRejection[], source: string): KeyNotFoundError {
  const by =
    typeof header.kid === 'string'
      ? `kid ${describeValue(header.kid)}`
      : typeof header['x5t#S256'] === 'string'
        ? `x5t#S256 ${describeValue(header['x5t#S256'])}`
        : typeof header.x5t === 'string'
          ? `x5t ${describeValue(header.x5t)}`
          : 'no kid';
  const detail = rejections.length
    ? rejections
        .slice(0, 10)
        .map((r) => `#${r.index}${r.kid !== undefined ? ` (kid ${describeValue(r.kid)})` : ''}: ${r.reason}`)
        .join('; ')
    : 'the key set is empty';
  const more = rejections.length > 10 ? `; and ${rejections.length - 10} more` : '';
  return new KeyNotFoundError(`no key in ${source} for ${alg} token with ${by}: ${detail}${more}`, rejections);
}
