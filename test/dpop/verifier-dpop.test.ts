import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import {
  type ClaimError,
  createDpopNonceSource,
  createMemoryReplayStore,
  createVerifier,
  type DpopError,
  VerifyError,
  type ErrorCode,
  type ReplayStore,
  type Verifier,
} from '../../src/index.js';
import { ISSUER, makeIssuer, type TestIssuer } from '../support/sign.js';

const API = 'https://api.example.com';
const URL_ = `${API}/orders`;
let es: TestIssuer;
let holder: KeyPair;
let jkt: string;

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<VerifyError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    assert.ok(e instanceof VerifyError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
  return caught as VerifyError;
}

function accessToken(over: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const c: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'u1',
    aud: API,
    exp: now + 300,
    iat: now,
    jti: `at-${Math.random()}`,
    client_id: 'c1',
    cnf: { jkt },
    ...over,
  };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return es.sign(c, { typ: 'at+jwt' });
}

function make(extra: Record<string, unknown> = {}): Verifier {
  return createVerifier({ issuer: ISSUER, audience: API, jwks: es.jwks, ...extra });
}

before(async () => {
  es = await makeIssuer('ES256');
  holder = await generateKeyPair('ES256');
  jkt = await calculateThumbprint(holder.publicKey);
});

describe('verifyAccessToken with dpop (RFC 9449 §7.1)', () => {
  it('accepts a DPoP-bound token with a matching proof; the proof cannot be replayed (in-memory store per verifier)', async () => {
    const v = make();
    const at = await accessToken();
    const proof = await generateProof(holder, URL_, 'POST', undefined, at);
    const r = await v.verifyAccessToken(at, { dpop: { proof, method: 'POST', url: `${URL_}?x=1` }, scheme: 'DPoP' });
    assert.deepEqual(r.payload.cnf, { jkt });
    const e = await expectCode(v.verifyAccessToken(at, { dpop: { proof, method: 'POST', url: URL_ } }), 'ERR_DPOP');
    assert.equal((e as DpopError).dpopError, 'invalid_dpop_proof');
    // a fresh proof for the same token works
    await v.verifyAccessToken(at, { dpop: { proof: await generateProof(holder, URL_, 'POST', undefined, at), method: 'POST', url: URL_ } });
  });

  it('the token must carry cnf.jkt and it must be the proof key', async () => {
    const v = make();
    const unbound = await accessToken({ cnf: undefined });
    const e = await expectCode(
      v.verifyAccessToken(unbound, {
        dpop: { proof: await generateProof(holder, URL_, 'GET', undefined, unbound), method: 'GET', url: URL_ },
      }),
      'ERR_CLAIM_MISSING',
    );
    assert.equal((e as ClaimError).claim, 'cnf');
    const mtls = await accessToken({ cnf: { 'x5t#S256': 'abc' } });
    await expectCode(
      v.verifyAccessToken(mtls, { dpop: { proof: await generateProof(holder, URL_, 'GET', undefined, mtls), method: 'GET', url: URL_ } }),
      'ERR_CLAIM_MISSING',
    );
    const other = await generateKeyPair('ES256');
    const at = await accessToken();
    await expectCode(
      v.verifyAccessToken(at, { dpop: { proof: await generateProof(other, URL_, 'GET', undefined, at), method: 'GET', url: URL_ } }),
      'ERR_DPOP',
    );
    // a proof for another token (ath)
    await expectCode(
      v.verifyAccessToken(at, {
        dpop: { proof: await generateProof(holder, URL_, 'GET', undefined, await accessToken()), method: 'GET', url: URL_ },
      }),
      'ERR_DPOP',
    );
  });

  it('scheme: a bound token sent as Bearer is refused (RFC 9449 §7.2); DPoP without a proof is refused', async () => {
    const v = make();
    const at = await accessToken();
    const e = await expectCode(v.verifyAccessToken(at, { scheme: 'Bearer' }), 'ERR_CLAIM_INVALID');
    assert.equal((e as ClaimError).claim, 'cnf');
    assert.throws(
      () => v.verifyAccessTokenSync(at, { scheme: 'Bearer' } as never),
      (x: unknown) => x instanceof VerifyError && x.code === 'ERR_CLAIM_INVALID',
    );
    await expectCode(v.verifyAccessToken(at, { scheme: 'DPoP' }), 'ERR_DPOP');
    // an unbound token as Bearer is fine; without a scheme a bound token is not refused
    await v.verifyAccessToken(await accessToken({ cnf: undefined }), { scheme: 'Bearer' });
    await v.verifyAccessToken(at);
    await expectCode(v.verifyAccessToken(at, { scheme: 'Bearer', dpop: { proof: 'x', method: 'GET', url: URL_ } }), 'ERR_CONFIG');
    await expectCode(v.verifyAccessToken(at, { scheme: 'MAC' as never }), 'ERR_CONFIG');
    await expectCode(v.verifyAccessToken(at, { dpop: { proof: 1 } as never }), 'ERR_CONFIG');
    assert.throws(
      () => v.verifyAccessTokenSync(at, { dpop: { proof: 'x', method: 'GET', url: URL_ } } as never),
      (x: unknown) => x instanceof VerifyError && x.code === 'ERR_CONFIG',
    );
  });

  it('the proof is checked only after the token passed: a bad token never reaches the store', async () => {
    const claims: string[] = [];
    const inner = createMemoryReplayStore();
    const store: ReplayStore = { claim: (k, e) => (claims.push(k), inner.claim(k, e)) };
    const v = make({ replayStore: store });
    const expired = await accessToken({ exp: Math.floor(Date.now() / 1000) - 10 });
    await expectCode(
      v.verifyAccessToken(expired, {
        dpop: { proof: await generateProof(holder, URL_, 'GET', undefined, expired), method: 'GET', url: URL_ },
      }),
      'ERR_EXPIRED',
    );
    assert.equal(claims.length, 0);
    const at = await accessToken();
    await v.verifyAccessToken(at, {
      dpop: { proof: await generateProof(holder, URL_, 'GET', undefined, at), method: 'GET', url: URL_ },
      preventReplay: true,
    });
    assert.equal(claims.length, 2, 'the proof jti, then the token jti');
    assert.match(claims[0]!, /^dpop:/);
    assert.match(claims[1]!, /^jti:/);
  });

  it('verifier dpop options: nonce, iatWindow, algorithms', async () => {
    const nonce = createDpopNonceSource({ secret: 'n'.repeat(32) });
    const v = make({ dpop: { nonce, iatWindow: 30, algorithms: ['ES256'] } });
    const at = await accessToken();
    const e = (await expectCode(
      v.verifyAccessToken(at, { dpop: { proof: await generateProof(holder, URL_, 'GET', undefined, at), method: 'GET', url: URL_ } }),
      'ERR_DPOP',
    )) as DpopError;
    assert.equal(e.dpopError, 'use_dpop_nonce');
    assert.equal(typeof e.nonce, 'string');
    await v.verifyAccessToken(at, { dpop: { proof: await generateProof(holder, URL_, 'GET', e.nonce, at), method: 'GET', url: URL_ } });
    const ed = await generateKeyPair('Ed25519');
    const edAt = await accessToken({ cnf: { jkt: await calculateThumbprint(ed.publicKey) } });
    await expectCode(
      v.verifyAccessToken(edAt, { dpop: { proof: await generateProof(ed, URL_, 'GET', nonce.current(), edAt), method: 'GET', url: URL_ } }),
      'ERR_DPOP',
    );
    assert.throws(
      () => make({ dpop: { algorithms: ['HS256'] } }),
      (x: unknown) => x instanceof VerifyError && x.code === 'ERR_CONFIG',
    );
    assert.throws(
      () => make({ dpop: { nonce: {} } }),
      (x: unknown) => x instanceof VerifyError && x.code === 'ERR_CONFIG',
    );
  });
});
