// Node side of the suite's hash part (test/runtimes/suite-hashes.ts): ID tokens with at_hash /
// c_hash / s_hash computed here with node:crypto (independently of src/), a DPoP-bound access
// token with a proof from the `dpop` package, a nonce from the Node nonce source, and the known
// vectors; then the assertions every runtime's answer must pass.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { createDpopNonceSource } from '../../src/index.js';
import type { TestIssuer } from '../support/sign.js';
import { OIDC_ACCESS_TOKEN, OIDC_AT_HASH, RFC7638_KEY, RFC7638_THUMBPRINT } from '../support/spec-vectors.js';
import type { HashIdTokenCase, HashSuiteInput, HashSuiteOutput } from './suite-hashes.js';

const DPOP_URL = 'https://api.runtimes.test/items';

/** OIDC Core §3.1.3.6 with node:crypto: the left half of the alg's hash, base64url. */
function leftHash(value: string, alg: string): string {
  const name = alg === 'EdDSA' ? 'sha512' : `sha${alg.slice(2)}`;
  const d = createHash(name).update(value, 'utf8').digest();
  return d.subarray(0, d.length / 2).toString('base64url');
}

/** The ID token kinds checked: one per hash (SHA-256, -384, -512) plus RSA-PSS and Ed25519. */
const HASH_ALGS = ['RS256', 'PS256', 'ES384', 'ES512', 'EdDSA'];

export async function hashFixture(issuers: readonly TestIssuer[], issuer: string, audience: string): Promise<HashSuiteInput> {
  const now = Math.floor(Date.now() / 1000);
  const base = { iss: issuer, sub: 'alice', aud: audience, iat: now, exp: now + 600, nonce: 'n-h' };
  const at = 'access-token-ü';
  const code = 'Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk';
  const state = 'af0ifjsldkj';
  const idTokens: HashIdTokenCase[] = [];
  const used: TestIssuer[] = [];
  for (const alg of HASH_ALGS) {
    const iss = issuers.find((i) => i.alg === alg && i.crv !== 'Ed448')!;
    used.push(iss);
    const hashes = { at_hash: leftHash(at, alg), c_hash: leftHash(code, alg), s_hash: leftHash(state, alg) };
    const token = await iss.sign({ ...base, ...hashes });
    idTokens.push({ name: `all-${alg}`, token, nonce: 'n-h', accessToken: at, code, state });
    if (alg === 'RS256') {
      idTokens.push({ name: 'at_hash-mismatch', token, nonce: 'n-h', accessToken: `${at}x`, code, state });
      idTokens.push({ name: 'c_hash-mismatch', token, nonce: 'n-h', accessToken: at, code: `${code}x`, state });
      idTokens.push({ name: 's_hash-mismatch', token, nonce: 'n-h', accessToken: at, code, state: `${state}x` });
      idTokens.push({ name: 'no-values', token, nonce: 'n-h' });
    }
  }
  const rs = used[0]!;
  const holder = await generateKeyPair('ES256');
  const jkt = await calculateThumbprint(holder.publicKey);
  const accessToken = await rs.sign(
    { iss: issuer, sub: 'alice', aud: audience, iat: now, exp: now + 600, jti: `at-${now}`, client_id: 'c1', cnf: { jkt } },
    { typ: 'at+jwt' },
  );
  const proof = await generateProof(holder, DPOP_URL, 'GET', undefined, accessToken);
  const secret = 's'.repeat(40);
  const nonceNow = Date.now();
  const nonce = createDpopNonceSource({ secret, now: () => nonceNow }).current();
  const nonceProof = await generateProof(holder, DPOP_URL, 'POST', nonce);
  return {
    issuer,
    audience,
    jwks: { keys: used.map((i) => i.jwk!) },
    idTokens,
    dpop: { accessToken, proof, method: 'GET', url: DPOP_URL },
    nonceProof: { proof: nonceProof, method: 'POST', url: DPOP_URL, secret, nonceNow, nonce },
    vectors: { jwk: RFC7638_KEY, thumbprint: RFC7638_THUMBPRINT, accessToken: OIDC_ACCESS_TOKEN, alg: 'RS256', atHash: OIDC_AT_HASH },
  };
}

/**
 * The answers every runtime must give; `edge`: the runtime loaded the edge entry (no node:crypto),
 * so the synchronous helpers must fail with ERR_CONFIG naming `runtime` and their async alternative.
 */
export function assertHashes(input: HashSuiteInput, out: HashSuiteOutput, runtime: string, edge: boolean): void {
  for (const alg of HASH_ALGS) assert.deepEqual(out.idTokens[`all-${alg}`], { ok: true, value: 'alice' }, alg);
  assert.equal(out.idTokens['at_hash-mismatch']?.code, 'ERR_AT_HASH');
  assert.equal(out.idTokens['c_hash-mismatch']?.code, 'ERR_C_HASH');
  assert.equal(out.idTokens['s_hash-mismatch']?.code, 'ERR_S_HASH');
  assert.deepEqual(out.idTokens['no-values'], { ok: true, value: 'alice' });
  const jkt = JSON.parse(Buffer.from(input.dpop.accessToken.split('.')[1]!, 'base64url').toString()).cnf.jkt as string;
  assert.deepEqual(out.dpop, { ok: true, value: jkt }, 'the DPoP-bound token with ath and cnf.jkt verifies');
  assert.equal(out.dpopReplay.code, 'ERR_DPOP', 'the same proof again is a replay');
  assert.match(out.dpopReplay.message ?? '', /already used/);
  assert.deepEqual(out.nonceProof, { ok: true, value: jkt }, 'the nonce made on Node is accepted by the async source');
  assert.equal(out.nonceCurrent, input.nonceProof.nonce, "the async source's nonce equals Node's");
  const v = input.vectors;
  assert.deepEqual(out.async, {
    thumbprint: v.thumbprint,
    atHash: v.atHash,
    ath: createHash('sha256').update(v.accessToken).digest('base64url'),
  });
  if (!edge) {
    assert.deepEqual(out.sync.hashClaimValue, { ok: true, value: v.atHash });
    assert.deepEqual(out.sync.jwkThumbprint, { ok: true, value: v.thumbprint });
    assert.equal(out.sync.accessTokenHash?.value, out.async.ath);
    assert.equal(out.sync.createDpopNonceSource?.ok, true);
    return;
  }
  for (const name of ['hashClaimValue', 'jwkThumbprint', 'accessTokenHash', 'createDpopNonceSource']) {
    assert.deepEqual(
      out.sync[name],
      { ok: false, code: 'ERR_CONFIG', message: `${name} is synchronous and needs node:crypto; on ${runtime} use ${name}Async` },
      name,
    );
  }
}
