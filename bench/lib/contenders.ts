import { constants, verify as cryptoVerify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { JwtVerifier } from 'aws-jwt-verify';
import jsonwebtoken from 'jsonwebtoken';
import { createVerifier } from '../../src/index.js';
import { AUDIENCE, ISSUER, type AlgFixture } from './tokens.js';
import type { BenchAlg } from './options.js';

/**
 * The contenders. Each `verify` resolves (or returns) on a valid token and throws / rejects on an
 * invalid one, so one harness can time and check them all. `sync` ones return a plain value:
 * they cannot overlap, so "64 in flight" is the same as sequential for them.
 */
export interface Contender {
  readonly name: string;
  readonly sync: boolean;
  /** Whether it runs in the concurrent table (sync peers show their sequential numbers there). */
  readonly concurrent: boolean;
  readonly verify: (token: string) => unknown;
}

export interface Unsupported {
  readonly name: string;
  readonly unsupported: string;
}

export type ContenderEntry = Contender | Unsupported;

export function isUnsupported(c: ContenderEntry): c is Unsupported {
  return 'unsupported' in c;
}

export const RAW = 'raw crypto.verify';
export const RAW_POOL = 'raw threadpool';
export const OIDC = 'oidc-verifier';
export const OIDC_SYNC = 'oidc-verifier (sync)';
/** Peers the targets say oidc-verifier must beat (raw baselines are not peers). */
export const PEERS = ['jose (local JWKS)', 'jose (KeyObject)', 'fast-jwt', 'aws-jwt-verify', 'jsonwebtoken'] as const;

function rawKeyInput(alg: BenchAlg, key: KeyObject): KeyObject | VerifyKeyObjectInput {
  switch (alg) {
    case 'PS256':
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    case 'ES256':
      return { key, dsaEncoding: 'ieee-p1363' };
    default:
      return key;
  }
}

interface Decoded {
  readonly payload: Record<string, unknown>;
  readonly data: Buffer;
  readonly signature: Buffer;
}

/**
 * The floor any JWT library pays: split, base64url + JSON decode of header and payload, alg check,
 * and the basic claims (iss, aud, exp, iat). Not hardened (no canonical base64url, no crit, no
 * key selection): it is the speed limit, not a verifier to use.
 */
function rawDecode(token: string, alg: string): Decoded {
  const d1 = token.indexOf('.');
  const d2 = token.indexOf('.', d1 + 1);
  if (d1 < 0 || d2 < 0) throw new Error('malformed');
  const header = JSON.parse(Buffer.from(token.slice(0, d1), 'base64url').toString('utf8')) as Record<string, unknown>;
  if (header.alg !== alg) throw new Error('alg');
  const payload = JSON.parse(Buffer.from(token.slice(d1 + 1, d2), 'base64url').toString('utf8')) as Record<string, unknown>;
  return { payload, data: Buffer.from(token.slice(0, d2), 'latin1'), signature: Buffer.from(token.slice(d2 + 1), 'base64url') };
}

function rawClaims(payload: Record<string, unknown>): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  if (payload.iss !== ISSUER) throw new Error('iss');
  const aud = payload.aud;
  if (aud !== AUDIENCE && !(Array.isArray(aud) && aud.includes(AUDIENCE))) throw new Error('aud');
  if (typeof payload.exp !== 'number' || payload.exp <= now) throw new Error('exp');
  if (typeof payload.iat !== 'number' || payload.iat > now) throw new Error('iat');
  return payload;
}

function digestOf(alg: BenchAlg): string | null {
  return alg === 'EdDSA' ? null : 'sha256';
}

export function createContenders(f: AlgFixture): ContenderEntry[] {
  const { alg, jwk, publicKey, publicPem } = f;
  const digest = digestOf(alg);
  const keyInput = rawKeyInput(alg, publicKey);
  const list: ContenderEntry[] = [];

  list.push({
    name: RAW,
    sync: true,
    concurrent: true, // re-measured in the concurrent rounds: it is the baseline of their ratios
    verify(token: string) {
      const d = rawDecode(token, alg);
      if (!cryptoVerify(digest, d.data, keyInput, d.signature)) throw new Error('signature');
      return rawClaims(d.payload);
    },
  });

  list.push({
    name: RAW_POOL,
    sync: false,
    concurrent: true,
    verify(token: string) {
      return new Promise((resolve, reject) => {
        const d = rawDecode(token, alg);
        cryptoVerify(digest, d.data, keyInput, d.signature, (err, ok) => {
          if (err || !ok) reject(err ?? new Error('signature'));
          else {
            try {
              resolve(rawClaims(d.payload));
            } catch (e) {
              reject(e instanceof Error ? e : new Error(String(e)));
            }
          }
        });
      });
    },
  });

  // The verified-signature cache is off here: these tables compare the crypto path on distinct
  // tokens (the pool cycles, so a cache would turn them into repeats). bench/cache.ts measures it.
  const oidc = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] }, cache: false });
  list.push({ name: OIDC, sync: false, concurrent: true, verify: (token: string) => oidc.verifyIdToken(token) });
  list.push({ name: OIDC_SYNC, sync: true, concurrent: false, verify: (token: string) => oidc.verifyIdTokenSync(token) });

  const joseOpts = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
  const localJwks = createLocalJWKSet({ keys: [jwk] });
  list.push({ name: PEERS[0], sync: false, concurrent: true, verify: (token: string) => jwtVerify(token, localJwks, joseOpts) });
  list.push({ name: PEERS[1], sync: false, concurrent: true, verify: (token: string) => jwtVerify(token, publicKey, joseOpts) });

  // fast-jwt: its fastest correct setup is the synchronous verifier with a fixed PEM key; the
  // result cache stays off (the default) so every call really verifies.
  const fast = createFastJwtVerifier({ key: publicPem, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: false });
  list.push({ name: PEERS[2], sync: true, concurrent: false, verify: (token: string) => fast(token) });

  // aws-jwt-verify 5: RS256/384/512, ES256/384/512 and EdDSA, no PS*. verifySync with the JWKS
  // cached up front (its async verify does the same work behind a promise).
  if (alg === 'PS256') list.push({ name: PEERS[3], unsupported: 'aws-jwt-verify supports no PS* algorithm' });
  else {
    const aws = JwtVerifier.create({ issuer: ISSUER, audience: AUDIENCE, jwksUri: `${ISSUER}/jwks` });
    aws.cacheJwks({ keys: [jwk] } as unknown as Parameters<typeof aws.cacheJwks>[0]);
    list.push({ name: PEERS[3], sync: true, concurrent: false, verify: (token: string) => aws.verifySync(token) });
  }

  // jsonwebtoken 9 refuses Ed25519 keys ("Unknown key type").
  if (alg === 'EdDSA') list.push({ name: PEERS[4], unsupported: 'jsonwebtoken 9 has no EdDSA' });
  else {
    const opts: jsonwebtoken.VerifyOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE };
    list.push({ name: PEERS[4], sync: true, concurrent: false, verify: (token: string) => jsonwebtoken.verify(token, publicKey, opts) });
  }
  return list;
}
