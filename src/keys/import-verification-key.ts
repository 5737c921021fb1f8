import { VerifyError } from '../errors.js';
import { importJwk, type VerificationKey } from './jwk.js';

/**
 * Imports one public JWK (RFC 7517) into a {@link VerificationKey}, for your own
 * `KeySource`: the same checks as a key set (public members only, key size, curve,
 * `use`/`key_ops`/`alg` fit). Import each key once and keep the result; a key the library cannot
 * or must not use throws `ERR_CONFIG` with the reason.
 *
 * @example
 * const key = importVerificationKey(jwkFromMyKeyStore);
 * const keySource: KeySource = { synchronous: true, getKeys: () => [key] };
 */
export function importVerificationKey(jwk: unknown): VerificationKey {
  const r = importJwk(jwk, 0);
  if ('reason' in r) throw new VerifyError('ERR_CONFIG', `this JWK cannot verify signatures: ${r.reason}`);
  return r.key;
}
