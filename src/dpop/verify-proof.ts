import { DpopError, VerifyError, describeValue, type DpopErrorKind } from '../errors.js';
import { ASYMMETRIC_ALGORITHMS, algorithmSpec, isAlgorithm, type AsymmetricAlgorithm } from '../jose/algorithms.js';
import { parseCompactJws } from '../jose/compact.js';
import { nodePlatform } from '../jose/backend.js';
import { sha256Base64url, sha256Base64urlAsync, syncHashError } from '../jose/digest.js';
import { verifySignatureWebCrypto } from '../jose/webcrypto.js';
import type { JoseHeader, Jwk, JwtPayload } from '../jose/types.js';
import { importJwk, keyFitsAlgorithm, type VerificationKey } from '../keys/jwk.js';
import { claimOnce, replayKey, type ReplayStore } from '../replay/replay-store.js';
import { normalizeHtu } from './htu.js';
import type { DpopNonceChecker } from './nonce.js';
import { jwkThumbprintAsync } from './thumbprint.js';

/** Options of {@link verifyDpopProof}. */
export interface DpopProofOptions {
  /** The value of the request's one `DPoP` header. */
  readonly proof: string;
  /** The request's HTTP method, as sent (`GET`, `POST`, ...). */
  readonly method: string;
  /** The request's absolute URL; query and fragment are ignored. */
  readonly url: string | URL;
  /** The access token sent with the proof, for the `ath` check (§4.3 check 12). */
  readonly accessToken?: string;
  /** The access token's `cnf.jkt`: the proof key's thumbprint must equal it (§4.3 check 12). */
  readonly expectedJkt?: string;
  /** Clock in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Allowed clock skew in seconds, added to `iatWindow`. Default 0. */
  readonly clockTolerance?: number;
  /** How far `iat` may be from now, in seconds, either way. Default 60. */
  readonly iatWindow?: number;
  /** Allowed proof algorithms (asymmetric only). Default: every asymmetric algorithm. */
  readonly algorithms?: readonly AsymmetricAlgorithm[];
  /** Where proof `jti`s are remembered (keyed by key thumbprint and `jti`). Required. */
  readonly replayStore: ReplayStore;
  /** Server nonces (§8, §9): when given, every proof must carry a nonce it accepts. */
  readonly nonce?: DpopNonceChecker;
  /** Maximum proof length in characters. Default 8192. */
  readonly maxLength?: number;
}

/** A DPoP proof that passed every check. */
export interface VerifiedDpopProof {
  readonly header: JoseHeader;
  readonly payload: JwtPayload;
  /** The proof key (public members as sent). */
  readonly jwk: Jwk;
  /** Its RFC 7638 SHA-256 thumbprint, what `cnf.jkt` holds. */
  readonly jkt: string;
}

const DEFAULT_IAT_WINDOW = 60;
const DEFAULT_MAX_LENGTH = 8192;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Imported proof keys: a DPoP client signs every proof with one key, and importing an EC JWK costs
 * about 1 ms (three times the signature check). Keyed by the RFC 7638 thumbprint (which fixes
 * the key material) plus the members that change what importJwk accepts; bounded, oldest first out.
 */
const keyCache = new Map<string, VerificationKey>();
const KEY_CACHE_SIZE = 1000;

function importProofKey(jwk: Record<string, unknown>, jkt: string): VerificationKey | string {
  const id = `${jkt} ${JSON.stringify([jwk.alg, jwk.use, jwk.key_ops])}`;
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  const imported = importJwk(jwk, 0);
  if ('reason' in imported) return imported.reason;
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, imported.key);
  return imported.key;
}

function invalid(message: string, kind: DpopErrorKind = 'invalid_dpop_proof', nonce?: string): DpopError {
  return new DpopError(kind, `DPoP proof: ${message}`, nonce !== undefined ? { nonce } : undefined);
}

/**
 * base64url SHA-256 of the access token's ASCII bytes: the `ath` value (RFC 9449 §4.2).
 * Synchronous, so it needs node:crypto: without it (the edge entry) it throws `ERR_CONFIG`; use
 * {@link accessTokenHashAsync} there.
 */
export function accessTokenHash(accessToken: string): string {
  if (nodePlatform() === undefined) throw syncHashError('accessTokenHash', 'accessTokenHashAsync');
  return sha256Base64url(accessToken);
}

/** {@link accessTokenHash} on any runtime: node:crypto where installed, else WebCrypto's `crypto.subtle.digest`. */
export function accessTokenHashAsync(accessToken: string): Promise<string> {
  return sha256Base64urlAsync(accessToken);
}

/**
 * Verifies a DPoP proof JWT as a resource server must (RFC 9449 §4.3 checks 1-12, §7.1, §11.1):
 *
 * - a compact JWS with `typ` `dpop+jwt`, an allowlisted asymmetric `alg` (never `none` or HMAC),
 *   and a `jwk` header holding a public key only, which verifies the signature;
 * - `htm` equal to `method`; `htu` equal to `url` without query and fragment, both normalised
 *   (RFC 3986 §6.2.2, §6.2.3);
 * - `iat` within `iatWindow` (plus `clockTolerance`) of now;
 * - with `accessToken`: `ath` equal to its SHA-256 hash; with `expectedJkt`: the key's
 *   thumbprint equal to it (the token's `cnf.jkt`);
 * - with `nonce`: a `nonce` claim the source accepts, else `use_dpop_nonce` with a fresh nonce;
 * - last, `jti` claimed once in `replayStore` (until the proof's `iat` window closes).
 *
 * Failures are {@link DpopError} (`ERR_DPOP`, `dpopError` for the challenge), or `ERR_REPLAY_STORE`
 * when the store cannot answer. Messages never contain the proof or the token.
 */
export async function verifyDpopProof(o: DpopProofOptions): Promise<VerifiedDpopProof> {
  if (typeof o !== 'object' || o === null) throw new VerifyError('ERR_CONFIG', 'DPoP options must be an object');
  if (typeof o.replayStore !== 'object' || o.replayStore === null || typeof o.replayStore.claim !== 'function') {
    throw new VerifyError('ERR_CONFIG', 'DPoP proof verification needs a replayStore');
  }
  if (o.now !== undefined && typeof o.now !== 'function') throw new VerifyError('ERR_CONFIG', 'now must be a function returning ms');
  if (
    o.nonce !== undefined &&
    (typeof o.nonce !== 'object' || o.nonce === null || typeof o.nonce.check !== 'function' || typeof o.nonce.current !== 'function')
  ) {
    throw new VerifyError('ERR_CONFIG', 'nonce must have check(nonce) and current() methods');
  }
  if (o.algorithms !== undefined && !Array.isArray(o.algorithms)) throw new VerifyError('ERR_CONFIG', 'algorithms must be an array');
  const iatWindow = o.iatWindow ?? DEFAULT_IAT_WINDOW;
  const tolerance = o.clockTolerance ?? 0;
  if (!(iatWindow >= 0) || !(tolerance >= 0)) throw new VerifyError('ERR_CONFIG', 'iatWindow and clockTolerance must be numbers >= 0');
  const allowed: readonly string[] = o.algorithms ?? ASYMMETRIC_ALGORITHMS;
  if (typeof o.method !== 'string' || o.method.length === 0) throw new VerifyError('ERR_CONFIG', 'DPoP check needs the request method');
  const target = normalizeHtu(o.url);
  // The URL is built from request headers (Host), so a bad one is the request's fault, not a 500.
  if (target === undefined) throw invalid('the request URL is not an absolute http(s) URL without user info');

  // §4.3 checks 1-2: one well-formed JWT.
  if (typeof o.proof !== 'string' || o.proof.length === 0) throw invalid('missing');
  let jws;
  try {
    jws = parseCompactJws(o.proof, o.maxLength ?? DEFAULT_MAX_LENGTH);
  } catch (err) {
    throw new DpopError('invalid_dpop_proof', `DPoP proof: ${(err as Error).message}`);
  }
  const { header, payload } = jws;

  // Checks 4-5: typ, then an asymmetric allowlisted alg.
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') {
    throw invalid(`typ must be "dpop+jwt", got ${describeValue(header.typ)}`);
  }
  const spec = algorithmSpec(header.alg);
  if (spec === undefined || spec.family === 'hmac' || !isAlgorithm(header.alg) || !allowed.includes(header.alg)) {
    throw invalid(`alg ${describeValue(header.alg)} is not allowed: expected one of ${allowed.join(', ')}`);
  }
  const alg = header.alg as AsymmetricAlgorithm;

  // Checks 6-7: a public jwk that verifies the signature.
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid('header has no "jwk" object');
  const jwkObj = jwk as Record<string, unknown>;
  const priv = PRIVATE_MEMBERS.filter((m) => Object.hasOwn(jwkObj, m));
  if (priv.length > 0) throw invalid(`jwk holds private key members (${priv.join(', ')}): only a public key may be sent`);
  const jkt = await jwkThumbprintAsync(jwkObj);
  if (jkt === undefined) throw invalid(`jwk is not a usable RSA, EC or OKP public key (kty ${describeValue(jwkObj.kty)})`);
  const key = importProofKey(jwkObj, jkt);
  if (typeof key === 'string') throw invalid(`jwk cannot be used: ${key}`);
  if (!keyFitsAlgorithm(key, alg))
    throw invalid(`jwk (kty ${String(jwkObj.kty)}${typeof jwkObj.crv === 'string' ? ` crv ${jwkObj.crv}` : ''}) cannot verify ${alg}`);
  // node:crypto where the Node entry installed it (the proof's key then has its KeyObject), else WebCrypto.
  const node = nodePlatform();
  const ok =
    node !== undefined && key.keyObject !== undefined
      ? node.verifyWithKeys(spec, [key], jws.signingInput, jws.signature) === 0
      : await verifySignatureWebCrypto(spec, key, jws.signingInput, jws.signature);
  if (!ok) throw invalid('signature does not verify with its jwk');

  // Check 3: required claims.
  const { jti, htm, htu, iat } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0) throw invalid('"jti" must be a non-empty string');
  if (typeof htm !== 'string') throw invalid('"htm" must be a string');
  if (typeof htu !== 'string') throw invalid('"htu" must be a string');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('"iat" must be a number');

  // Check 8: method (case-sensitive, RFC 9110 §9.1).
  if (htm !== o.method) throw invalid(`"htm" ${describeValue(htm, 16)} does not match the request method ${describeValue(o.method, 16)}`);
  // Check 9: URI without query and fragment, normalised. A proof htu that carries them never matches.
  const proofHtu = /[?#]/.test(htu) ? undefined : normalizeHtu(htu);
  if (proofHtu !== target) throw invalid(`"htu" ${describeValue(htu)} does not match the request URL ${describeValue(target)}`);

  // Check 11: creation time within the window.
  const nowS = (o.now ?? Date.now)() / 1000;
  const slack = iatWindow + tolerance;
  if (Math.abs(nowS - iat) > slack) {
    throw invalid(`"iat" ${iat} is ${Math.round(nowS - iat)} s from now, beyond the ${slack} s window`);
  }

  // Check 12: binding to the access token.
  if (o.accessToken !== undefined) {
    const ath = (payload as Record<string, unknown>).ath;
    if (typeof ath !== 'string') throw invalid('"ath" is required with an access token');
    if (ath !== (await accessTokenHashAsync(o.accessToken))) throw invalid('"ath" does not match the hash of the access token');
  }
  if (o.expectedJkt !== undefined && jkt !== o.expectedJkt) {
    throw invalid(`key thumbprint ${describeValue(jkt)} does not match the access token's cnf.jkt ${describeValue(o.expectedJkt)}`);
  }

  // Check 10: server nonce (§8 at the authorization server, §9 at the resource server).
  if (o.nonce !== undefined) {
    const nonce = (payload as Record<string, unknown>).nonce;
    if (typeof nonce !== 'string') throw invalid('a server nonce is required', 'use_dpop_nonce', await o.nonce.current());
    if (!(await o.nonce.check(nonce))) throw invalid('the nonce is not (or no longer) accepted', 'use_dpop_nonce', await o.nonce.current());
  }

  // §11.1: the jti once per key, remembered until the proof could no longer pass the iat check.
  const expiresAtMs = Math.ceil((iat + slack) * 1000) + 1;
  if (!(await claimOnce(o.replayStore, await replayKey('dpop', jkt, jti), expiresAtMs))) {
    throw invalid('"jti" was already used (replayed proof)');
  }
  // No private member was found above, so the header's jwk is the public key as sent.
  return { header, payload, jwk: jwkObj as Jwk, jkt };
}
