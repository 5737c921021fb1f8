/**
 * oidc-verifier: verify OpenID Connect ID tokens and JWT access tokens.
 * The public API is src/api.ts; this entry (Node.js, Deno, Bun) installs node:crypto first.
 * @packageDocumentation
 */
import { installNodeCrypto } from './jose/node-platform.js';
import { createVerifier as createApiVerifier } from './http/request-verifier.js';

installNodeCrypto();

/**
 * {@link createApiVerifier | createVerifier} on node:crypto. It installs node:crypto itself too, so a
 * bundler that drops this module's top-level statement (`sideEffects`) cannot leave it out.
 */
export const createVerifier: typeof createApiVerifier = (options) => {
  installNodeCrypto();
  return createApiVerifier(options);
};

export * from './api.js';
