/** A DPoP key holder for tests: an ES256 key pair from the `dpop` package and its RFC 7638 thumbprint (`cnf.jkt`). */
import { calculateThumbprint, generateKeyPair, type KeyPair } from 'dpop';

export interface Holder {
  readonly key: KeyPair;
  readonly jkt: string;
}

export async function holder(): Promise<Holder> {
  const key = await generateKeyPair('ES256');
  return { key, jkt: await calculateThumbprint(key.publicKey) };
}
