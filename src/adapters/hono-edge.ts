/**
 * `oidc-verifier/hono` under the `workerd`, `worker` and `browser` export conditions: the Hono
 * adapter with signatures verified by WebCrypto.
 * @packageDocumentation
 */
import { useWebCrypto } from '../jose/backend.js';
import { requireToken as requireTokenNode } from './hono.js';

useWebCrypto();

/** {@link requireTokenNode | requireToken}, switching this process to the WebCrypto backend first. */
export const requireToken: typeof requireTokenNode = (verifier, options) => {
  useWebCrypto();
  return requireTokenNode(verifier, options);
};

export * from './hono.js';
