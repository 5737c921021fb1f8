import { decodeBase64url } from '../jose/base64url.js';
import { utf8Text } from '../jose/bytes.js';
import { VerifyError, describeValue } from '../errors.js';
import { TOKEN_PROFILES, type TokenProfileName } from '../claims/token-profiles.js';
import { ALGORITHMS, SYMMETRIC_ALGORITHMS, type Algorithm, type AlgorithmSpec } from '../jose/algorithms.js';
import { signatureBackend, unavailableReason } from '../jose/backend.js';
import { parseCompactJws, type ParsedJws } from '../jose/compact.js';
import { parseJsonObject } from '../jose/json.js';
import type { JoseHeader, JwtPayload } from '../jose/types.js';
import type { CacheEntry } from '../cache/verified-signature-cache.js';
import type { IssuerContext, IssuerRegistry } from '../issuers.js';

/**
 * A token after the cheap checks (format, `alg`, issuer), before any key or network is touched.
 */

/** A token that passed the cheap checks, with what the signature check needs. */
export interface Prepared {
  readonly token: string;
  /** Taken from a verified-signature cache entry (no signature bytes): confirm the entry or parse again. */
  readonly entry: CacheEntry | undefined;
  readonly jws: ParsedJws;
  readonly alg: Algorithm;
  readonly spec: AlgorithmSpec;
  readonly ctx: IssuerContext;
}

function describeKid(header: JoseHeader): string {
  return typeof header.kid === 'string' ? ` with kid ${describeValue(header.kid)}` : '';
}

/** The error of a signature no candidate key verified. */
export function signatureError(p: Prepared, tried: number): VerifyError {
  return new VerifyError(
    'ERR_SIGNATURE_INVALID',
    `signature of ${p.alg} token${describeKid(p.jws.header)} is invalid (checked against ${tried} key${tried === 1 ? '' : 's'})`,
  );
}

/**
 * Cheap checks first: format, alg, issuer. Nothing here touches keys or the network. With a
 * verified-signature cache `entry`, the token's header serves again and its payload is decoded again.
 */
export function prepareToken(
  token: string,
  profile: TokenProfileName,
  maxTokenLength: number,
  issuers: IssuerRegistry,
  entry?: CacheEntry,
): Prepared {
  // A cached token passed every format check before: its header serves again, its payload is
  // decoded again (each result owns its payload), and no signature bytes are needed.
  const payload = entry !== undefined ? cachedPayload(token, entry) : undefined;
  const jws: ParsedJws =
    payload !== undefined
      ? { header: entry!.header, payload, signingInput: NO_BYTES, signature: NO_BYTES }
      : parseCompactJws(token, maxTokenLength);
  const alg = jws.header.alg;
  if (alg.length === 4 && alg.toLowerCase() === 'none') {
    throw new VerifyError('ERR_ALG_NOT_ALLOWED', 'alg "none" (unsecured JWS) is never accepted');
  }
  const ctx = issuers.select(jws.payload);
  // OIDC Core §10.1: the client secret signs ID tokens only. Access and logout tokens come from the
  // issuer's asymmetric keys, whatever `algorithms` allows.
  if (!TOKEN_PROFILES[profile].hmac && (SYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
    const asymmetric = [...ctx.allowed].filter((a) => !(SYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
    throw new VerifyError(
      'ERR_ALG_NOT_ALLOWED',
      `alg ${JSON.stringify(alg)} is not allowed for ${TOKEN_PROFILES[profile].article}: HMAC with the client secret is for ID tokens only (OIDC Core §10.1); ${asymmetric.length > 0 ? `expected one of ${asymmetric.join(', ')}` : 'no asymmetric algorithm is configured'}`,
    );
  }
  if (!ctx.allowed.has(alg)) {
    throw new VerifyError(
      'ERR_ALG_NOT_ALLOWED',
      `alg ${JSON.stringify(alg)} is not allowed for ${ctx.issuer}: expected one of ${[...ctx.allowed].join(', ')}`,
    );
  }
  const gap = unavailableReason(alg);
  if (gap !== undefined) {
    throw new VerifyError('ERR_ALG_NOT_ALLOWED', `alg ${alg} cannot be verified on ${signatureBackend().runtime}: ${gap}`);
  }
  return { token, entry: payload !== undefined ? entry : undefined, jws, alg: alg as Algorithm, spec: ALGORITHMS[alg as Algorithm], ctx };
}

const NO_BYTES = new Uint8Array(0);

/** The payload of a token that verified before, decoded again from its (canonical, UTF-8) segment. */
function cachedPayload(token: string, entry: CacheEntry): JwtPayload | undefined {
  const bytes = decodeBase64url(token.slice(entry.payloadStart, entry.payloadEnd), true);
  return bytes === undefined ? undefined : parseJsonObject(utf8Text(bytes));
}
