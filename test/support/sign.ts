/**
 * Test issuers: key pairs for every JWS algorithm the library verifies, and ID tokens signed by an
 * implementation independent of the project's verify code.
 *
 * - `jose` (devDependency) signs for RS*, PS*, ES256/384/512, EdDSA (Ed25519), HS*. The key pairs
 *   come from node:crypto through `freshKeyPair` (exporting a just-generated key can deadlock in
 *   Node 20) and are imported as WebCrypto keys for jose.
 * - jose 6 implements neither ES256K (WebCrypto has no secp256k1) nor Ed448, so those two are
 *   signed with node:crypto's `sign` here, with the JWS assembled by this file (never by src/).
 *
 * Key pairs are generated once per process and kind (RSA keygen is slow) and shared by every caller.
 */
import { createHash, createHmac, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import { CompactSign, type CryptoKey, type JWK } from 'jose';
import { freshKeyPair } from './fresh-key-pair.js';
import type { Algorithm } from '../../src/jose/algorithms.js';

/** What jose signs with here: the library's algorithms except the RFC 9864 alias (jose signs "EdDSA"). */
export type SigningAlgorithm = Exclude<Algorithm, 'Ed25519'>;

export type AsymmetricSigningAlgorithm = Exclude<SigningAlgorithm, 'HS256' | 'HS384' | 'HS512'>;

/** Every kind of issuer key: EdDSA appears twice, once per curve. */
export interface IssuerKind {
  readonly alg: SigningAlgorithm;
  /** For EdDSA: Ed25519 (default) or Ed448. */
  readonly crv?: 'Ed25519' | 'Ed448';
}

export const ALL_KINDS: readonly IssuerKind[] = [
  { alg: 'RS256' },
  { alg: 'RS384' },
  { alg: 'RS512' },
  { alg: 'PS256' },
  { alg: 'PS384' },
  { alg: 'PS512' },
  { alg: 'ES256' },
  { alg: 'ES384' },
  { alg: 'ES512' },
  { alg: 'ES256K' },
  { alg: 'EdDSA', crv: 'Ed25519' },
  { alg: 'EdDSA', crv: 'Ed448' },
  { alg: 'HS256' },
  { alg: 'HS384' },
  { alg: 'HS512' },
];

export const ASYMMETRIC_KINDS: readonly IssuerKind[] = ALL_KINDS.filter((k) => !k.alg.startsWith('HS'));
export const SYMMETRIC_KINDS: readonly IssuerKind[] = ALL_KINDS.filter((k) => k.alg.startsWith('HS'));

/** A readable label: the alg, plus the curve for EdDSA. */
export function kindLabel(kind: IssuerKind): string {
  return kind.alg === 'EdDSA' ? `EdDSA/${kind.crv ?? 'Ed25519'}` : kind.alg;
}

/** Claims payload: an object (JSON-encoded), or raw text/bytes used verbatim as the payload. */
export type Claims = Record<string, unknown> | string | Uint8Array;
/** Header members to add or replace; a member set to `undefined` is removed (e.g. `{ kid: undefined }`). */
export type HeaderOverrides = Record<string, unknown>;

/** A published public JWK: always has kty, kid, alg and use. */
export type PublicJwk = JWK & { kty: string; kid: string; alg: string; use: 'sig' };

export interface TestIssuer {
  readonly alg: SigningAlgorithm;
  readonly crv?: 'Ed25519' | 'Ed448';
  readonly kid: string;
  /**
   * Public JWK with `kid`, `alg` and `use: "sig"`. For HS* it is undefined: a client secret is never
   * published in a JWKS.
   */
  readonly jwk: PublicJwk | undefined;
  /** `{ keys: [jwk] }`, or `{ keys: [] }` for HS*. */
  readonly jwks: { keys: PublicJwk[] };
  /** node:crypto public key (asymmetric only). */
  readonly publicKey: KeyObject | undefined;
  /** The client secret (HS* only). */
  readonly secret: string | undefined;
  /** Signs `claims` with header `{ alg, typ: 'JWT', kid, ...overrides }`. */
  sign(claims: Claims, header?: HeaderOverrides): Promise<string>;
  /** Raw signature over an arbitrary signing input (`b64(header).b64(payload)`), for crafted tokens. */
  signRaw(signingInput: string): Promise<Buffer>;
}

const enc = new TextEncoder();

export function b64u(data: Uint8Array | string): string {
  return Buffer.from(typeof data === 'string' ? enc.encode(data) : data).toString('base64url');
}

/** Serialises a header/payload as given: objects are JSON-encoded, strings/bytes taken verbatim. */
export function segment(part: Claims): string {
  if (typeof part === 'string' || part instanceof Uint8Array) return b64u(part);
  return b64u(JSON.stringify(part));
}

/** Assembles a compact JWS from parts without checking anything (for malformed and attack tokens). */
export function compose(header: Claims, payload: Claims, signature: Uint8Array | string = ''): string {
  const sig = typeof signature === 'string' ? signature : b64u(signature);
  return `${segment(header)}.${segment(payload)}.${sig}`;
}

function payloadBytes(claims: Claims): Uint8Array {
  if (claims instanceof Uint8Array) return claims;
  return enc.encode(typeof claims === 'string' ? claims : JSON.stringify(claims));
}

function buildHeader(base: Record<string, unknown>, overrides: HeaderOverrides = {}): Record<string, unknown> {
  const h: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete h[k];
    else h[k] = v;
  }
  return h;
}

const cache = new Map<string, Promise<TestIssuer>>();

/**
 * The process-wide test issuer for `alg` (and curve for EdDSA). Cached: every call with the same
 * kind returns the same keys. Use `fresh: true` for a second, distinct key of the same kind
 * (e.g. "signed by another key"), also cached under `name`.
 */
export function makeIssuer(alg: SigningAlgorithm, options: { crv?: 'Ed25519' | 'Ed448'; name?: string } = {}): Promise<TestIssuer> {
  const crv = alg === 'EdDSA' ? (options.crv ?? 'Ed25519') : undefined;
  const id = `${alg}${crv ? `-${crv}` : ''}${options.name ? `-${options.name}` : ''}`;
  let p = cache.get(id);
  if (!p) {
    p = createIssuer(alg, crv, `test-${id}`);
    // A failed keygen must not be cached as a permanent rejection.
    p.catch(() => cache.delete(id));
    cache.set(id, p);
  }
  return p;
}

/** Same as {@link makeIssuer} for an {@link IssuerKind}. */
export function issuerFor(kind: IssuerKind, name?: string): Promise<TestIssuer> {
  return makeIssuer(kind.alg, { ...(kind.crv ? { crv: kind.crv } : {}), ...(name ? { name } : {}) });
}

async function createIssuer(alg: SigningAlgorithm, crv: 'Ed25519' | 'Ed448' | undefined, kid: string): Promise<TestIssuer> {
  if (alg === 'HS256' || alg === 'HS384' || alg === 'HS512') return hmacIssuer(alg, kid);
  if (alg === 'ES256K' || (alg === 'EdDSA' && crv === 'Ed448')) return nodeIssuer(alg, crv, kid);
  return joseIssuer(alg, kid);
}

function hmacIssuer(alg: 'HS256' | 'HS384' | 'HS512', kid: string): TestIssuer {
  // Deterministic per alg and long enough for every HS size (RFC 7518 §3.2: key ≥ hash output).
  const secret = createHash('sha512').update(`client-secret-${kid}`).digest('base64url');
  const key = enc.encode(secret);
  return {
    alg,
    kid,
    jwk: undefined,
    jwks: { keys: [] },
    publicKey: undefined,
    secret,
    async sign(claims, header) {
      const h = buildHeader({ alg, typ: 'JWT' }, header);
      return new CompactSign(payloadBytes(claims)).setProtectedHeader(h as { alg: string }).sign(key);
    },
    async signRaw(signingInput) {
      return createHmac(`sha${alg.slice(2)}`, key)
        .update(signingInput)
        .digest();
    },
  };
}

/** WebCrypto import parameters jose expects of a CryptoKey for the alg (RFC 7518). */
function webCryptoParams(alg: Exclude<AsymmetricSigningAlgorithm, 'ES256K'>): { name: string; hash?: string; namedCurve?: string } {
  const bits = alg.slice(-3);
  if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5', hash: `SHA-${bits}` };
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', hash: `SHA-${bits}` };
  if (alg.startsWith('ES')) return { name: 'ECDSA', namedCurve: bits === '512' ? 'P-521' : `P-${bits}` };
  return { name: 'Ed25519' };
}

async function joseIssuer(alg: Exclude<AsymmetricSigningAlgorithm, 'ES256K'>, kid: string): Promise<TestIssuer> {
  // Generated by node:crypto as DER (see freshKeyPair: exporting a just-generated key can deadlock
  // in Node 20), then imported as the CryptoKey jose signs with.
  const params = webCryptoParams(alg);
  const pair = alg.startsWith('ES')
    ? freshKeyPair('ec', { namedCurve: params.namedCurve! })
    : alg === 'EdDSA'
      ? freshKeyPair('ed25519')
      : freshKeyPair('rsa', { modulusLength: 2048 });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pair.privateDer, params, false, ['sign']);
  const pubJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const jwk: PublicJwk = { ...pubJwk, kty: pubJwk.kty!, kid, alg, use: 'sig' };
  const nodePublic = pair.publicKey;
  return {
    alg,
    kid,
    jwk,
    jwks: { keys: [jwk] },
    publicKey: nodePublic,
    secret: undefined,
    async sign(claims, header) {
      const h = buildHeader({ alg, typ: 'JWT', kid }, header);
      return new CompactSign(payloadBytes(claims)).setProtectedHeader(h as { alg: string }).sign(privateKey);
    },
    async signRaw(signingInput) {
      return rawSignWithJose(alg, privateKey, signingInput);
    },
  };
}

/**
 * jose signs only what it serialises itself; a raw signature over arbitrary input (a header that
 * is not JSON, a payload jose would re-encode) uses jose's key with the WebCrypto parameters jose
 * itself uses for the alg (RFC 7518), never src/.
 */
async function rawSignWithJose(alg: string, key: CryptoKey, signingInput: string): Promise<Buffer> {
  const bits = Number(alg.slice(-3));
  const params = alg.startsWith('RS')
    ? { name: 'RSASSA-PKCS1-v1_5' }
    : alg.startsWith('PS')
      ? { name: 'RSA-PSS', saltLength: bits / 8 }
      : alg.startsWith('ES')
        ? { name: 'ECDSA', hash: `SHA-${bits}` }
        : { name: 'Ed25519' };
  const sig = await webcrypto.subtle.sign(params, key, enc.encode(signingInput));
  return Buffer.from(sig);
}

function nodeIssuer(alg: 'ES256K' | 'EdDSA', crv: 'Ed25519' | 'Ed448' | undefined, kid: string): TestIssuer {
  const pair = alg === 'ES256K' ? freshKeyPair('ec', { namedCurve: 'secp256k1' }) : freshKeyPair('ed448');
  const exported = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const jwk: PublicJwk = { ...exported, kty: exported.kty!, kid, alg, use: 'sig' };
  const digest = alg === 'ES256K' ? 'sha256' : null;
  const rawSign = (input: Uint8Array | string): Buffer =>
    cryptoSign(digest, Buffer.from(input), alg === 'ES256K' ? { key: pair.privateKey, dsaEncoding: 'ieee-p1363' } : pair.privateKey);
  return {
    alg,
    ...(crv ? { crv } : {}),
    kid,
    jwk,
    jwks: { keys: [jwk] },
    publicKey: pair.publicKey,
    secret: undefined,
    async sign(claims, header) {
      const h = buildHeader({ alg, typ: 'JWT', kid }, header);
      const input = `${segment(h)}.${b64u(payloadBytes(claims))}`;
      return `${input}.${b64u(rawSign(input))}`;
    },
    async signRaw(signingInput) {
      return rawSign(signingInput);
    },
  };
}

/** Fixed values for ID token tests. */
export const ISSUER = 'https://issuer.test.example';
export const AUDIENCE = 'client-abc';
/** A fixed "now" for tests: 2024-01-01T00:00:00Z, in seconds. */
export const NOW_S = 1_704_067_200;
export const NOW_MS = NOW_S * 1000;

/** A valid ID token claim set at {@link NOW_S}, with overrides (a member set to `undefined` is removed). */
export function idTokenClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return buildHeader({ iss: ISSUER, sub: 'user-123', aud: AUDIENCE, iat: NOW_S - 10, exp: NOW_S + 600, auth_time: NOW_S - 20 }, overrides);
}

/** Token variants that must fail signature verification: payload changed, a signature bit flipped, signature truncated. */
export function tamperedVariants(token: string): { name: string; token: string }[] {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  const changed = b64u(JSON.stringify({ ...payload, sub: `${String(payload.sub)}-x` }));
  const sig = Buffer.from(s, 'base64url');
  const flipped = Buffer.from(sig);
  flipped[flipped.length >> 1]! ^= 0x01;
  const lastFlipped = Buffer.from(sig);
  lastFlipped[lastFlipped.length - 1]! ^= 0x80;
  return [
    { name: 'payload changed', token: `${h}.${changed}.${s}` },
    { name: 'signature bit flipped (middle)', token: `${h}.${p}.${b64u(flipped)}` },
    { name: 'signature bit flipped (last byte)', token: `${h}.${p}.${b64u(lastFlipped)}` },
    { name: 'signature truncated by one byte', token: `${h}.${p}.${b64u(sig.subarray(0, sig.length - 1))}` },
    { name: 'signature empty', token: `${h}.${p}.` },
  ];
}
