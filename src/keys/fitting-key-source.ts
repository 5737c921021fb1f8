import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import { keyFitsAlgorithm, type VerificationKey } from './jwk.js';
import { keyNotFound } from './key-set.js';
import type { KeySource } from './key-source.js';

/** Only keys made by importJwk carry the algorithm set; anything else a custom source returns is unfit. */
function fits(k: VerificationKey, alg: Algorithm): boolean {
  return typeof k === 'object' && k !== null && k.algorithms instanceof Set && keyFitsAlgorithm(k, alg);
}

/**
 * Binds alg to key type and curve for a key source the library did not build: a custom source
 * that hands back an unfit key (a secp256k1 key for ES256, an RS256-only JWK for PS256) must not
 * have it used. The library's own sources select through {@link KeySet}, which already does this.
 */
export function fittingKeySource(source: KeySource): KeySource {
  const fitting = (header: JoseHeader, alg: Algorithm, keys: readonly VerificationKey[]): readonly VerificationKey[] => {
    const list: readonly VerificationKey[] = Array.isArray(keys) ? keys : [];
    const usable = list.filter((k) => fits(k, alg));
    if (usable.length > 0) return usable.length === list.length ? list : usable;
    throw keyNotFound(
      header,
      alg,
      list.map((k, i) => ({
        index: typeof k?.index === 'number' ? k.index : i,
        ...(typeof k?.kid === 'string' ? { kid: k.kid } : {}),
        reason: `cannot verify ${alg}`,
      })),
      'the key source',
    );
  };
  const wrapped: KeySource = {
    get synchronous() {
      return source.synchronous;
    },
    getKeys(header, alg) {
      const keys = source.getKeys(header, alg);
      return keys instanceof Promise ? keys.then((k) => fitting(header, alg, k)) : fitting(header, alg, keys);
    },
  };
  if (source.advertisedAlgorithms) wrapped.advertisedAlgorithms = () => source.advertisedAlgorithms!();
  if (source.warmUp) wrapped.warmUp = () => source.warmUp!();
  if (source.stats) wrapped.stats = () => source.stats!();
  if (source.close) wrapped.close = () => source.close!();
  return wrapped;
}
