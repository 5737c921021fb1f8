/**
 * The hash part of the cross-runtime suite (no `node:` import: it runs in workerd without
 * nodejs_compat and in a browser): `at_hash` / `c_hash` / `s_hash` through the verifier, a
 * DPoP-bound access token (`ath`, `cnf.jkt`, the proof's replay key), a nonce source's HMAC, the
 * async hash helpers against known vectors, and what the synchronous helpers do here (values where
 * node:crypto is installed, `ERR_CONFIG` on the edge entry).
 */
import {
  accessTokenHash,
  accessTokenHashAsync,
  createDpopNonceSource,
  createDpopNonceSourceAsync,
  createMemoryReplayStore,
  hashClaimValue,
  hashClaimValueAsync,
  jwkThumbprint,
  jwkThumbprintAsync,
  verifyDpopProof,
} from '../../src/api.js';
import type { createVerifier as CreateVerifier } from '../../src/index.js';

export interface HashIdTokenCase {
  name: string;
  token: string;
  nonce: string;
  accessToken?: string;
  code?: string;
  state?: string;
}

export interface HashSuiteInput {
  issuer: string;
  audience: string;
  jwks: { keys: Record<string, unknown>[] };
  idTokens: HashIdTokenCase[];
  /** A DPoP-bound access token (`cnf.jkt`) and a proof for it with `ath`. */
  dpop: { accessToken: string; proof: string; method: string; url: string };
  /** A proof carrying a nonce made on Node by createDpopNonceSource with `secret` at `nonceNow`. */
  nonceProof: { proof: string; method: string; url: string; secret: string; nonceNow: number; nonce: string };
  /** Known vectors: RFC 7638 §3.1 (thumbprint), OIDC Core §A.3 (at_hash). */
  vectors: { jwk: Record<string, unknown>; thumbprint: string; accessToken: string; alg: string; atHash: string };
}

export interface HashOutcome {
  ok: boolean;
  value?: string | boolean;
  code?: string;
  message?: string;
}

export interface HashSuiteOutput {
  idTokens: Record<string, HashOutcome>;
  dpop: HashOutcome;
  dpopReplay: HashOutcome;
  nonceProof: HashOutcome;
  nonceCurrent: string;
  async: { thumbprint: string | undefined; atHash: string | undefined; ath: string };
  /** The synchronous helpers: their value, or their error. */
  sync: Record<string, HashOutcome>;
}

async function settle(f: () => unknown): Promise<HashOutcome> {
  try {
    const v = await f();
    return { ok: true, ...(typeof v === 'string' || typeof v === 'boolean' ? { value: v } : {}) };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { ok: false, code: err?.code ?? 'THROWN', message: typeof err?.message === 'string' ? err.message : 'non-Error' };
  }
}

/** Runs the hash part with the `createVerifier` of the entry the runtime loads. */
export async function runHashes(input: HashSuiteInput, createVerifier: typeof CreateVerifier): Promise<HashSuiteOutput> {
  const verifier = createVerifier({ issuer: input.issuer, audience: input.audience, jwks: input.jwks as never });
  const idTokens: Record<string, HashOutcome> = {};
  for (const t of input.idTokens) {
    const { name, token, ...options } = t;
    idTokens[name] = await settle(() => verifier.verifyIdToken(token, options).then((v) => v.payload.sub));
  }
  const d = input.dpop;
  const dpopCall = () => verifier.verifyAccessToken(d.accessToken, { dpop: { proof: d.proof, method: d.method, url: d.url } });
  const dpop = await settle(() => dpopCall().then((v) => (v.payload.cnf as { jkt?: string } | undefined)?.jkt));
  const dpopReplay = await settle(dpopCall);
  verifier.close();

  const n = input.nonceProof;
  const source = createDpopNonceSourceAsync({ secret: n.secret, now: () => n.nonceNow });
  const nonceProof = await settle(() =>
    verifyDpopProof({ proof: n.proof, method: n.method, url: n.url, replayStore: createMemoryReplayStore(), nonce: source }).then(
      (r) => r.jkt,
    ),
  );
  const v = input.vectors;
  return {
    idTokens,
    dpop,
    dpopReplay,
    nonceProof,
    nonceCurrent: await source.current(),
    async: {
      thumbprint: await jwkThumbprintAsync(v.jwk),
      atHash: await hashClaimValueAsync(v.accessToken, v.alg),
      ath: await accessTokenHashAsync(v.accessToken),
    },
    sync: {
      hashClaimValue: await settle(() => hashClaimValue(v.accessToken, v.alg)),
      jwkThumbprint: await settle(() => jwkThumbprint(v.jwk)),
      accessTokenHash: await settle(() => accessTokenHash(v.accessToken)),
      createDpopNonceSource: await settle(() => createDpopNonceSource({ secret: n.secret }).current()),
    },
  };
}
