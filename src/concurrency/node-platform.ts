/**
 * Installs node:crypto (Node.js, Deno, Bun): on import, and again by `installNodeCrypto` from the
 * Node entry's `createVerifier` (src/index.ts), so a bundler that drops side-effect-only imports
 * cannot leave it out. The edge entry (src/edge.ts) never reaches this module, so its bundle holds no
 * `node:` import (test/runtimes/edge-bundle.test.ts, and the `edge-no-node` depcruise rule).
 */
import { createHash, createHmac, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { installNodePlatform, nodePlatform, type KeyHolder, type NodePlatform } from '../jose/backend.js';
import { claimInlineSlot, verifyPiledUp, verifyWithKeys, type KeyHolder as NodeKeyHolder } from './dispatch.js';

// On this platform every key holder carries its KeyObject (keys/jwk.ts and issuers.ts create it).
const withKeyObjects = (keys: readonly KeyHolder[]): readonly NodeKeyHolder[] => keys as readonly NodeKeyHolder[];

const platform: NodePlatform = {
  digest: (name, data) =>
    name === 'shake256-114' ? createHash('shake256', { outputLength: 114 }).update(data).digest() : createHash(name).update(data).digest(),
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest(),
  importPublicKey(material): KeyObject {
    const key = createPublicKey({ key: material as JsonWebKey, format: 'jwk' });
    // Node builds JWK RSA and EC keys as OpenSSL "legacy" keys, which OpenSSL 3 re-checks against
    // its provider copy on every operation (1-2% of a verify, more with threads sharing the key);
    // SPKI import yields a native key. OKP keys are native already.
    if (material.kty === 'OKP') return key;
    return createPublicKey({ key: key.export({ format: 'der', type: 'spki' }), format: 'der', type: 'spki' });
  },
  secretKey: (bytes) => createSecretKey(bytes),
  claimInlineSlot,
  verifyWithKeys: (spec, keys, data, signature) => verifyWithKeys(spec, withKeyObjects(keys), data, signature),
  verifyPiledUp: (spec, keys, data, signature, done, useWorker) =>
    verifyPiledUp(spec, withKeyObjects(keys), data, signature, done, useWorker),
};

/** Installs node:crypto as the platform and the backend (idempotent: the backend is switched only once). */
export function installNodeCrypto(): void {
  if (nodePlatform() !== platform) installNodePlatform(platform);
}

installNodeCrypto();
