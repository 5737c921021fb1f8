import { constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { BenchAlg } from './options.js';
import { freshKeyPair } from '../../test/support/fresh-key-pair.js';

/**
 * Keys and token pools for the benchmark. Every contender verifies the same tokens, signed by
 * `jose` (an independent implementation), each with kid, iss, aud, sub, iat and exp, no nonce.
 */

export const ISSUER = 'https://login.example.com';
export const AUDIENCE = 'bench-client';

export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

export interface AlgFixture {
  readonly alg: BenchAlg;
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  readonly jwk: PublicJwk;
  /** Distinct valid tokens. */
  readonly tokens: readonly string[];
  /** Same header and signature as tokens[0], payload changed: must be rejected. */
  readonly tampered: string;
  /** Validly signed, wrong `aud`: must be rejected (claims are really checked). */
  readonly wrongAudience: string;
  /** Validly signed, `exp` in the past: must be rejected. */
  readonly expired: string;
}

function generateKeys(alg: BenchAlg): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return freshKeyPair('rsa', { modulusLength: 2048 });
    case 'ES256':
      return freshKeyPair('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return freshKeyPair('ed25519');
  }
}

interface Claims {
  readonly sub: string;
  readonly aud?: string;
  readonly iat?: number;
  readonly exp?: number;
}

async function signWithJose(alg: BenchAlg, kid: string, privateKey: KeyObject, c: Claims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: c.sub })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(c.aud ?? AUDIENCE)
    .setIssuedAt(c.iat ?? now - 5)
    .setExpirationTime(c.exp ?? now + 3600)
    .sign(privateKey);
}

/** Replaces the payload segment, keeping header and signature. */
function tamper(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  payload.sub = 'attacker';
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

export async function createFixture(alg: BenchAlg, poolSize: number): Promise<AlgFixture> {
  const { publicKey, privateKey } = generateKeys(alg);
  const kid = `bench-${alg.toLowerCase()}`;
  const jwk: PublicJwk = { ...(publicKey.export({ format: 'jwk' }) as { kty: string }), kid, alg, use: 'sig' };
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  // Signed in batches: jose signs through WebCrypto, which runs on the threadpool.
  const tokens: string[] = [];
  for (let i = 0; i < poolSize; i += 64) {
    const batch: Promise<string>[] = [];
    for (let j = i; j < Math.min(poolSize, i + 64); j++) batch.push(signWithJose(alg, kid, privateKey, { sub: `user-${j}-${alg}` }));
    tokens.push(...(await Promise.all(batch)));
  }
  const now = Math.floor(Date.now() / 1000);
  return {
    alg,
    kid,
    publicKey,
    privateKey,
    publicPem,
    jwk,
    tokens,
    tampered: tamper(tokens[0]!),
    wrongAudience: await signWithJose(alg, kid, privateKey, { sub: 'wrong-aud', aud: 'some-other-client' }),
    expired: await signWithJose(alg, kid, privateKey, { sub: 'expired', iat: now - 7200, exp: now - 3600 }),
  };
}

/** node:crypto signing parameters per alg (the memory check signs 100k tokens; jose would be slow). */
function signKey(alg: BenchAlg, privateKey: KeyObject): { digest: string | null; key: KeyObject | Parameters<typeof cryptoSign>[2] } {
  switch (alg) {
    case 'RS256':
      return { digest: 'sha256', key: privateKey };
    case 'PS256':
      return { digest: 'sha256', key: { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case 'ES256':
      return { digest: 'sha256', key: { key: privateKey, dsaEncoding: 'ieee-p1363' } };
    case 'EdDSA':
      return { digest: null, key: privateKey };
  }
}

/** Signs `count` distinct ID tokens with node:crypto directly (fast; used by the memory check). */
export function signManyFast(fixture: Pick<AlgFixture, 'alg' | 'kid' | 'privateKey'>, count: number, tag = 'mem'): string[] {
  const header = Buffer.from(JSON.stringify({ alg: fixture.alg, kid: fixture.kid, typ: 'JWT' })).toString('base64url');
  const { digest, key } = signKey(fixture.alg, fixture.privateKey);
  const now = Math.floor(Date.now() / 1000);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: `${tag}-${i}`, iat: now - 5, exp: now + 3600 })).toString(
      'base64url',
    );
    const input = `${header}.${payload}`;
    const sig = cryptoSign(digest, Buffer.from(input, 'latin1'), key);
    out[i] = `${input}.${sig.toString('base64url')}`;
  }
  return out;
}
