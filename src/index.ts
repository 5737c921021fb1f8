/**
 * oidc-verifier: verify OpenID Connect ID tokens and JWT access tokens.
 * The public API is src/api.ts; this entry (Node.js, Deno, Bun) installs node:crypto first.
 * @packageDocumentation
 */
import { installNodeCrypto } from './concurrency/node-platform.js';
import { createVerifier as createApiVerifier, type Verifier } from './http/request-verifier.js';
import type { VerifierOptions } from './options.js';

installNodeCrypto();

/**
 * Creates a verifier. Options are checked at once: bad ones throw {@link VerifyError} `ERR_CONFIG`.
 * (It installs node:crypto itself too, so a bundler that drops this module's top-level statement
 * through `sideEffects` cannot leave keys without their node:crypto `KeyObject`s.)
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://login.example.com', audience: 'my-client-id' });
 * const { payload } = await verifier.verifyIdToken(idToken, { nonce });
 */
export function createVerifier(options: VerifierOptions): Verifier {
  installNodeCrypto();
  return createApiVerifier(options);
}

export * from './api.js';
