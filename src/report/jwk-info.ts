import '../concurrency/node-platform.js';
import { X509Certificate } from 'node:crypto';
import { jwkThumbprint } from '../dpop/thumbprint.js';
import { importJwk } from '../keys/jwk.js';
import { isoSeconds } from './time.js';

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly expired: boolean;
  /** Whether the certificate's public key is the JWK's key. */
  readonly matchesKey: boolean;
}

export interface KeyInfo {
  readonly index: number;
  readonly kid?: string;
  readonly kty?: string;
  readonly alg?: string;
  readonly use?: string;
  /** "2048 bits" for RSA, the curve for EC and OKP. */
  readonly size?: string;
  readonly thumbprint?: string;
  readonly x5c?: CertificateInfo;
  readonly x5cError?: string;
  /** Whether this library would use the key to verify signatures, and if not, why. */
  readonly usable: boolean;
  readonly reason?: string;
}

function rsaBits(n: unknown): number | undefined {
  if (typeof n !== 'string') return undefined;
  const buf = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < buf.length && buf[i] === 0) i++;
  if (i === buf.length) return 0;
  return (buf.length - i - 1) * 8 + (32 - Math.clz32(buf[i]!));
}

function certificate(x5c: unknown, jwk: Record<string, unknown>, now: number): { info?: CertificateInfo; error?: string } {
  if (!Array.isArray(x5c) || x5c.length === 0) return {};
  const first: unknown = x5c[0];
  if (typeof first !== 'string') return { error: 'x5c[0] is not a string' };
  try {
    const cert = new X509Certificate(Buffer.from(first, 'base64'));
    const certJwk = cert.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    // Same RFC 7638 required members, same key.
    const certThumbprint = jwkThumbprint(certJwk);
    const matchesKey = certThumbprint !== undefined && certThumbprint === jwkThumbprint(jwk);
    const to = Math.floor(Date.parse(cert.validTo) / 1000);
    return {
      info: {
        subject: cert.subject.replace(/\n/g, ', '),
        issuer: cert.issuer.replace(/\n/g, ', '),
        validFrom: isoSeconds(Math.floor(Date.parse(cert.validFrom) / 1000)) ?? cert.validFrom,
        validTo: isoSeconds(to) ?? cert.validTo,
        expired: to < now,
        matchesKey,
      },
    };
  } catch (err) {
    return { error: `x5c[0] is not a readable certificate: ${(err as Error).message}` };
  }
}

/** One row per key of a JWKS document: identity, strength, thumbprint, certificate, usability. */
export function describeJwks(doc: unknown, now: number): KeyInfo[] {
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) return [];
  return keys.map((raw: unknown, index): KeyInfo => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { index, usable: false, reason: 'not a JSON object' };
    const jwk = raw as Record<string, unknown>;
    const s = (k: string): string | undefined => (typeof jwk[k] === 'string' ? jwk[k] : undefined);
    let size: string | undefined;
    if (jwk.kty === 'RSA') {
      const bits = rsaBits(jwk.n);
      if (bits !== undefined) size = `${bits} bits`;
    } else if (s('crv') !== undefined) size = s('crv');
    else if (jwk.kty === 'oct' && typeof jwk.k === 'string') size = `${Buffer.from(jwk.k, 'base64url').length * 8} bits`;
    const cert = certificate(jwk.x5c, jwk, now);
    const imported = importJwk(jwk, index);
    // No thumbprint for a secret key: its hash would help an offline guess of a weak secret.
    const thumbprint = jwk.kty === 'oct' ? undefined : jwkThumbprint(jwk);
    return {
      index,
      ...(s('kid') !== undefined ? { kid: s('kid') } : {}),
      ...(s('kty') !== undefined ? { kty: s('kty') } : {}),
      ...(s('alg') !== undefined ? { alg: s('alg') } : {}),
      ...(s('use') !== undefined ? { use: s('use') } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(thumbprint !== undefined ? { thumbprint } : {}),
      ...(cert.info ? { x5c: cert.info } : {}),
      ...(cert.error ? { x5cError: cert.error } : {}),
      usable: 'key' in imported,
      ...('reason' in imported ? { reason: imported.reason } : {}),
    };
  });
}
