import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { CompactSign, exportJWK, generateKeyPair as joseKeyPair, type CryptoKey, type JWK } from 'jose';
import {
  createDpopNonceSource,
  createMemoryReplayStore,
  DpopError,
  jwkThumbprint,
  verifyDpopProof,
  VerifyError,
  type DpopProofOptions,
} from '../../src/index.js';
import { normalizeHtu } from '../../src/dpop/htu.js';
import { RFC7638_KEY, RFC7638_THUMBPRINT } from '../support/spec-vectors.js';

const URL_ = 'https://api.example.com/resource';
const AT = 'an-access-token.with.dots';
let es: KeyPair;
let jkt: string;
/** A second key and its public/private JWKs, for hand-made proofs. */
let crafted: { privateKey: CryptoKey; publicJwk: JWK; privateJwk: JWK };

function opts(proof: string, over: Partial<DpopProofOptions> = {}): DpopProofOptions {
  return { proof, method: 'GET', url: URL_, replayStore: createMemoryReplayStore(), ...over };
}

async function expectDpop(
  p: Promise<unknown>,
  kind: 'invalid_dpop_proof' | 'use_dpop_nonce',
  pattern?: RegExp,
  secrets: string[] = [],
): Promise<DpopError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    assert.ok(e instanceof DpopError, String(e));
    assert.equal(e.code, 'ERR_DPOP');
    assert.equal(e.dpopError, kind, e.message);
    if (pattern) assert.match(e.message, pattern);
    for (const s of secrets) assert.ok(!e.message.includes(s), 'message must not contain the proof or token');
    return true;
  });
  return caught as DpopError;
}

/** A proof signed by `crafted` with any header and claims (for cases the dpop package never makes). */
async function craft(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array = crafted.privateKey,
): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  return new CompactSign(payload).setProtectedHeader(header as { alg: string }).sign(key);
}

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { jti: `j-${Math.random()}`, htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000), ...over };
}

before(async () => {
  es = await generateKeyPair('ES256');
  jkt = await calculateThumbprint(es.publicKey);
  const pair = await joseKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(pair.privateKey);
  const { d: _d, ...publicJwk } = privateJwk;
  crafted = { privateKey: pair.privateKey, publicJwk, privateJwk };
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example and the dpop package', async () => {
    assert.equal(jwkThumbprint(RFC7638_KEY), RFC7638_THUMBPRINT);
    const header = JSON.parse(Buffer.from((await generateProof(es, URL_, 'GET')).split('.')[0]!, 'base64url').toString()) as {
      jwk: Record<string, unknown>;
    };
    assert.equal(jwkThumbprint(header.jwk), jkt);
    assert.equal(jwkThumbprint({ kty: 'oct', k: 'abc' }), undefined);
    assert.equal(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'a' }), undefined);
  });
});

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  it('accepts a proof made by the dpop package, for every algorithm it signs with', async () => {
    for (const alg of ['ES256', 'PS256', 'RS256', 'Ed25519'] as const) {
      const kp = alg === 'ES256' ? es : await generateKeyPair(alg);
      const proof = await generateProof(kp, URL_, 'POST', undefined, AT);
      const r = await verifyDpopProof(
        opts(proof, { method: 'POST', accessToken: AT, expectedJkt: await calculateThumbprint(kp.publicKey) }),
      );
      assert.equal(r.jkt, await calculateThumbprint(kp.publicKey), alg);
      assert.equal(r.payload.htm, 'POST');
    }
  });

  it('htm must equal the method (case-sensitive)', async () => {
    const proof = await generateProof(es, URL_, 'POST');
    await expectDpop(verifyDpopProof(opts(proof, { method: 'GET' })), 'invalid_dpop_proof', /htm/);
    await expectDpop(verifyDpopProof(opts(await generateProof(es, URL_, 'get'))), 'invalid_dpop_proof', /htm/);
  });

  it('htu must equal the request URL without query and fragment; a proof htu with a query never matches', async () => {
    await expectDpop(
      verifyDpopProof(opts(await generateProof(es, `${URL_}?a=1`, 'GET'), { url: `${URL_}?a=1` })),
      'invalid_dpop_proof',
      /htu/,
    );
    await expectDpop(verifyDpopProof(opts(await generateProof(es, `${URL_}#f`, 'GET'))), 'invalid_dpop_proof', /htu/);
    await expectDpop(verifyDpopProof(opts(await generateProof(es, 'https://api.example.com/other', 'GET'))), 'invalid_dpop_proof', /htu/);
    await expectDpop(verifyDpopProof(opts(await generateProof(es, 'http://api.example.com/resource', 'GET'))), 'invalid_dpop_proof', /htu/);
    await expectDpop(
      verifyDpopProof(opts(await generateProof(es, 'https://api.example.com:8443/resource', 'GET'))),
      'invalid_dpop_proof',
      /htu/,
    );
    // the request's own query and fragment are ignored
    await verifyDpopProof(opts(await generateProof(es, URL_, 'GET'), { url: `${URL_}?page=2#top` }));
  });

  it('htu is compared after RFC 3986 §6 normalisation', async () => {
    const same: [string, string][] = [
      ['HTTPS://API.Example.COM/resource', URL_],
      ['https://api.example.com:443/resource', URL_],
      ['http://api.example.com:80/x', 'http://api.example.com/x'],
      ['https://api.example.com/a/%7euser', 'https://api.example.com/a/~user'],
      ['https://api.example.com/a%2fb', 'https://api.example.com/a%2Fb'],
      ['https://api.example.com/%41%62c', 'https://api.example.com/Abc'],
      ['https://api.example.com', 'https://api.example.com/'],
      ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ];
    for (const [proofHtu, requestUrl] of same) {
      assert.equal(normalizeHtu(proofHtu), normalizeHtu(requestUrl), `${proofHtu} ~ ${requestUrl}`);
      await verifyDpopProof(opts(await generateProof(es, proofHtu, 'GET'), { url: requestUrl }));
    }
    const different: [string, string][] = [
      ['https://api.example.com/a%2Fb', 'https://api.example.com/a/b'],
      ['https://api.example.com/A', 'https://api.example.com/a'],
      ['https://user@api.example.com/', 'https://api.example.com/'],
    ];
    for (const [proofHtu, requestUrl] of different) {
      await expectDpop(verifyDpopProof(opts(await generateProof(es, proofHtu, 'GET'), { url: requestUrl })), 'invalid_dpop_proof', /htu/);
    }
    assert.equal(normalizeHtu('ftp://api.example.com/'), undefined);
    assert.equal(normalizeHtu('not a url'), undefined);
  });

  it('iat must be within the window (default 60 s, plus clockTolerance)', async () => {
    const proof = await generateProof(es, URL_, 'GET');
    await expectDpop(verifyDpopProof(opts(proof, { now: () => Date.now() + 120_000 })), 'invalid_dpop_proof', /iat/);
    await expectDpop(verifyDpopProof(opts(proof, { now: () => Date.now() - 120_000 })), 'invalid_dpop_proof', /iat/);
    await expectDpop(verifyDpopProof(opts(proof, { now: () => Date.now() + 20_000, iatWindow: 5 })), 'invalid_dpop_proof', /iat/);
    await verifyDpopProof(opts(proof, { now: () => Date.now() + 20_000, iatWindow: 5, clockTolerance: 30 }));
  });

  it('a replayed jti is refused (same key); the store is shared across calls', async () => {
    const store = createMemoryReplayStore();
    const proof = await generateProof(es, URL_, 'GET');
    await verifyDpopProof(opts(proof, { replayStore: store }));
    await expectDpop(verifyDpopProof(opts(proof, { replayStore: store })), 'invalid_dpop_proof', /jti/);
    // the same jti under another key is another proof
    const jti = 'shared-jti';
    await verifyDpopProof(opts(await generateProof(es, URL_, 'GET', undefined, undefined, { jti }), { replayStore: store }));
    await verifyDpopProof(
      opts(await craft({ alg: 'ES256', typ: 'dpop+jwt', jwk: crafted.publicJwk }, claims({ jti })), { replayStore: store }),
    );
  });

  it('ath must be the SHA-256 of the access token; cnf.jkt must be the proof key thumbprint', async () => {
    const proof = await generateProof(es, URL_, 'GET', undefined, AT);
    await expectDpop(verifyDpopProof(opts(proof, { accessToken: `${AT}x` })), 'invalid_dpop_proof', /ath/, [AT, proof]);
    await expectDpop(verifyDpopProof(opts(await generateProof(es, URL_, 'GET'), { accessToken: AT })), 'invalid_dpop_proof', /ath/);
    const otherJkt = jwkThumbprint(crafted.publicJwk)!;
    await expectDpop(verifyDpopProof(opts(proof, { accessToken: AT, expectedJkt: otherJkt })), 'invalid_dpop_proof', /cnf\.jkt/, [
      AT,
      proof,
    ]);
    const ok = await verifyDpopProof(opts(proof, { accessToken: AT, expectedJkt: jkt }));
    assert.equal(ok.payload.ath, createHash('sha256').update(AT).digest('base64url'));
  });

  it('refuses a jwk with private members, HS256, alg none, a wrong typ, a missing jwk, a signature by another key', async () => {
    await expectDpop(
      verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'dpop+jwt', jwk: crafted.privateJwk }, claims()))),
      'invalid_dpop_proof',
      /private/,
    );
    const secret = new TextEncoder().encode('x'.repeat(32));
    const hs = await craft(
      { alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } },
      claims(),
      secret,
    );
    await expectDpop(verifyDpopProof(opts(hs)), 'invalid_dpop_proof', /alg "HS256"/);
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: crafted.publicJwk })}.${b64(claims())}.`;
    await expectDpop(verifyDpopProof(opts(none)), 'invalid_dpop_proof', /alg "none"/);
    await expectDpop(
      verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'JWT', jwk: crafted.publicJwk }, claims()))),
      'invalid_dpop_proof',
      /typ/,
    );
    await expectDpop(verifyDpopProof(opts(await craft({ alg: 'ES256', jwk: crafted.publicJwk }, claims()))), 'invalid_dpop_proof', /typ/);
    await expectDpop(verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'dpop+jwt' }, claims()))), 'invalid_dpop_proof', /jwk/);
    const esJwk = JSON.parse(Buffer.from((await generateProof(es, URL_, 'GET')).split('.')[0]!, 'base64url').toString()).jwk as JWK;
    await expectDpop(
      verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'dpop+jwt', jwk: esJwk }, claims()))),
      'invalid_dpop_proof',
      /signature/,
    );
    // imported keys are cached by thumbprint, but a jwk "alg" that does not fit is still refused
    await verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'dpop+jwt', jwk: crafted.publicJwk }, claims())));
    await expectDpop(
      verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'dpop+jwt', jwk: { ...crafted.publicJwk, alg: 'ES384' } }, claims()))),
      'invalid_dpop_proof',
      /jwk/,
    );
    await expectDpop(
      verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'dpop+jwt', jwk: { ...crafted.publicJwk, use: 'enc' } }, claims()))),
      'invalid_dpop_proof',
      /jwk/,
    );
    // an allowlist narrower than the proof's alg
    await expectDpop(
      verifyDpopProof(opts(await generateProof(es, URL_, 'GET'), { algorithms: ['EdDSA'] })),
      'invalid_dpop_proof',
      /alg "ES256"/,
    );
    // HMAC over the hand-made key is refused even when the caller lists it
    await expectDpop(verifyDpopProof(opts(hs, { algorithms: ['HS256' as never] })), 'invalid_dpop_proof', /alg/);
  });

  it('refuses missing claims and malformed proofs without throwing anything but DpopError', async () => {
    for (const drop of ['jti', 'htm', 'htu', 'iat']) {
      const c = claims();
      delete c[drop];
      await expectDpop(
        verifyDpopProof(opts(await craft({ alg: 'ES256', typ: 'dpop+jwt', jwk: crafted.publicJwk }, c))),
        'invalid_dpop_proof',
        new RegExp(drop),
      );
    }
    for (const bad of ['', 'a.b', 'a.b.c', '...', 'x'.repeat(10_000), `${'e30'}.${'e30'}.`]) {
      await expectDpop(verifyDpopProof(opts(bad)), 'invalid_dpop_proof');
    }
    await expectDpop(
      verifyDpopProof(opts(await generateProof(es, URL_, 'GET'), { url: 'not a url' })),
      'invalid_dpop_proof',
      /request URL/,
    );
  });

  it('server nonces: missing or stale is use_dpop_nonce with a fresh nonce; current and previous windows pass', async () => {
    let t = Date.now();
    const source = createDpopNonceSource({ secret: 's'.repeat(32), window: 60, now: () => t });
    const first = source.current();
    assert.match(first, /^[A-Za-z0-9_-]{32}$/);
    const missing = await expectDpop(verifyDpopProof(opts(await generateProof(es, URL_, 'GET'), { nonce: source })), 'use_dpop_nonce');
    assert.equal(missing.nonce, first);
    await verifyDpopProof(opts(await generateProof(es, URL_, 'GET', first), { nonce: source }));
    t += 60_000; // next window: the previous nonce still passes
    await verifyDpopProof(opts(await generateProof(es, URL_, 'GET', first), { nonce: source }));
    t += 60_000; // two windows on: stale
    const stale = await expectDpop(verifyDpopProof(opts(await generateProof(es, URL_, 'GET', first), { nonce: source })), 'use_dpop_nonce');
    assert.notEqual(stale.nonce, first);
    assert.equal(source.check(stale.nonce!), true);
    // a forged nonce (right window, wrong MAC) and garbage fail
    const forged = Buffer.from(stale.nonce!, 'base64url');
    forged[20]! ^= 1;
    assert.equal(source.check(forged.toString('base64url')), false);
    assert.equal(source.check('x'), false);
    const otherSecret = createDpopNonceSource({ secret: 't'.repeat(32), window: 60, now: () => t });
    assert.equal(source.check(otherSecret.current()), false);
    assert.throws(
      () => createDpopNonceSource({ secret: 'short' }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
  });
});

describe('verifyDpopProof: bad options are ERR_CONFIG, never another error', () => {
  it('rejects with ERR_CONFIG', async () => {
    const proof = await generateProof(es, URL_, 'GET');
    for (const bad of [
      { replayStore: undefined },
      { method: '' },
      { now: 5 },
      { nonce: { check: () => true } },
      { iatWindow: -1 },
      { algorithms: 'ES256' },
    ]) {
      await assert.rejects(
        verifyDpopProof(opts(proof, bad as never)),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
        JSON.stringify(Object.keys(bad)),
      );
    }
    await assert.rejects(verifyDpopProof(null as never), (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG');
  });
});
