import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Generates a key pair whose KeyObjects share nothing with node:crypto's key-generation job.
 *
 * In Node 20, exporting a freshly generated key (`export({ format: 'jwk' })`) can deadlock: the
 * export holds the key's mutex while it allocates, and a GC that collects the generation job at
 * that moment locks the same mutex (seen as a benchmark hung in `ExportJWKRsaKey` →
 * `~KeyGenJob`; a loop of 20,000 P-256 pairs hung 3 times out of 3, the same loop through this
 * function never). So the pair is generated as DER and imported again. The verifier itself never
 * generates keys; the demo, the tests and the benchmark do.
 */
export function freshKeyPair(
  type: 'rsa' | 'ec' | 'ed25519' | 'ed448',
  options: { modulusLength?: number; namedCurve?: string } = {},
): { publicKey: KeyObject; privateKey: KeyObject; publicDer: Buffer; privateDer: Buffer } {
  const generate = generateKeyPairSync as unknown as (t: string, o: Record<string, unknown>) => { publicKey: Buffer; privateKey: Buffer };
  const { publicKey: publicDer, privateKey: privateDer } = generate(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return {
    publicKey: createPublicKey({ key: publicDer, format: 'der', type: 'spki' }),
    privateKey: createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' }),
    publicDer,
    privateDer,
  };
}
