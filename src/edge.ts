/**
 * The package entry for runtimes where node:crypto is missing or wrong (the `workerd`, `worker`
 * and `browser` export conditions): the same API as the main entry, with signatures verified by
 * WebCrypto (asynchronous only; the `*Sync` methods fail with `ERR_CONFIG`). Nothing it reaches
 * imports a `node:` module: keys are held as their validated JWK members and imported into
 * `CryptoKey`s per alg, hashes come from WebCrypto's `crypto.subtle.digest` (src/jose/digest.ts).
 * @packageDocumentation
 */
import { useWebCrypto } from './jose/backend.js';
import { createVerifier as createNodeVerifier } from './http/request-verifier.js';

useWebCrypto();

/**
 * {@link createNodeVerifier | createVerifier} on the WebCrypto backend. It switches the backend
 * itself too, so a bundler that drops this module's top-level statement (`sideEffects`) cannot
 * leave node:crypto in place.
 */
export const createVerifier: typeof createNodeVerifier = (options) => {
  useWebCrypto();
  return createNodeVerifier(options);
};

export * from './api.js';
