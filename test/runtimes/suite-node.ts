/**
 * The node:crypto half of the cross-runtime suite (Node, Deno, Bun): signature.ts inline and on
 * the threadpool, and PEM keys through createPublicKey. Kept out of suite.ts so that one imports no
 * `node:` module and runs in workerd without nodejs_compat and in a browser.
 */
import { createPublicKey } from 'node:crypto';
import { installNodeCrypto } from '../../src/concurrency/node-platform.js';
import { verifySignature, verifySignatureAsync } from '../../src/jose/signature.js';
import type { NodeHooks } from './suite.js';

// Called, not only imported: bundlers drop side-effect-only imports of this package's modules.
installNodeCrypto();

export const nodeHooks: NodeHooks = {
  verify: (mode, spec, key, msg, sig) =>
    mode === 'node'
      ? Promise.resolve(verifySignature(spec, key, msg, sig))
      : new Promise((resolve) => verifySignatureAsync(spec, key, msg, sig, resolve)),
  pemKey(pem) {
    try {
      const keyObject = createPublicKey(pem);
      return { keyObject, jwk: keyObject.export({ format: 'jwk' }) };
    } catch {
      return undefined;
    }
  },
};
