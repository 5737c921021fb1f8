/**
 * Installs node:crypto (Node.js, Deno, Bun): imported for its side effect by the Node entry
 * (src/index.ts). The edge entry (src/edge.ts) never reaches this module, so its bundle holds no
 * `node:` import (test/runtimes/edge-bundle.test.ts, and the `edge-no-node` depcruise rule).
 */
import { createHash, createHmac, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { installNodePlatform, type KeyHolder } from './backend.js';
import { runInline, verifyPiledUp, verifyWithKeys, type KeyHolder as NodeKeyHolder } from './dispatch.js';

// On this platform every key holder carries its KeyObject (keys/jwk.ts and issuers.ts create it).
const withKeyObjects = (keys: readonly KeyHolder[]): readonly NodeKeyHolder[] => keys as readonly NodeKeyHolder[];

installNodePlatform({
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
  runInline,
  verifyWithKeys: (spec, keys, data, signature) => verifyWithKeys(spec, withKeyObjects(keys), data, signature),
  verifyPiledUp: (spec, keys, data, signature, done, useWorker) =>
    verifyPiledUp(spec, withKeyObjects(keys), data, signature, done, useWorker),
});
