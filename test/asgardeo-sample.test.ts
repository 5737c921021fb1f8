/**
 * The REAL sample ID token and JWKS of Asgardeo's "Validate ID tokens" guide (copied verbatim into
 * test/fixtures/asgardeo-sample.json): an RS256 token from Asgardeo whose header carries a `kid` that
 * matches the JWKS and an `x5t` that is not a SHA-1 thumbprint at all.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createVerifier, VerifyError, type ErrorCode, type Jwks, type VerifierOptions } from '../src/index.js';

interface Sample {
  token: string;
  jwks: Jwks;
  issuer: string;
  audience: string;
  iat: number;
  decodedPayload: Record<string, unknown>;
}

const sample = JSON.parse(readFileSync(new URL('./fixtures/asgardeo-sample.json', import.meta.url), 'utf8')) as Sample;
const ISSUER = 'https://api.asgardeo.io/t/bifrost/oauth2/token';
const AUDIENCE = 'Wsoq8t4nHW80gSnPfyDvRbiC__Ea';
const NOW = 1629968400_000;
const EXP = 1629971944;
const [H, P, S] = sample.token.split('.') as [string, string, string];

function verifier(extra: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: sample.jwks, now: () => NOW, ...extra });
}

async function fails(options: Partial<VerifierOptions>, token: string, code: ErrorCode, message?: RegExp): Promise<void> {
  const v = verifier(options);
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof VerifyError, `expected VerifyError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    assert.ok(!e.message.includes(S.slice(0, 24)), 'message leaks the signature');
    return true;
  };
  await assert.rejects(v.verifyIdToken(token), check);
  assert.throws(() => v.verifyIdTokenSync(token), check);
}

function withPayload(change: (p: Record<string, unknown>) => void): string {
  const p = JSON.parse(Buffer.from(P, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(p);
  return `${H}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${S}`;
}

describe('Asgardeo sample sample token', () => {
  test('the fixture is the published pair (decoded payload as printed in the guide)', () => {
    assert.equal(sample.issuer, ISSUER);
    assert.equal(sample.audience, AUDIENCE);
    assert.deepEqual(JSON.parse(Buffer.from(P, 'base64url').toString('utf8')), sample.decodedPayload);
    const header = JSON.parse(Buffer.from(H, 'base64url').toString('utf8')) as Record<string, string>;
    assert.equal(header.alg, 'RS256');
    assert.equal(header.kid, sample.jwks.keys[0]!.kid);
    // The x5t is base64url of a 64-character hex string, not a 20-byte SHA-1 thumbprint.
    assert.equal(Buffer.from(header.x5t!, 'base64url').length, 64);
  });

  test('validates at 1629968400 s (async and sync)', async () => {
    const v = verifier();
    const r = await v.verifyIdToken(sample.token);
    assert.equal(r.payload.sub, 'Alica@bifrost.com');
    assert.equal(r.payload.iss, ISSUER);
    assert.equal(r.payload.aud, AUDIENCE);
    assert.equal(r.header.alg, 'RS256');
    assert.deepEqual(r.key, { kid: sample.jwks.keys[0]!.kid, alg: 'RS256' });
    assert.deepEqual(v.verifyIdTokenSync(sample.token).payload, r.payload);
  });

  test('validates with the clock at iat exactly, and with algorithms: ["RS256"]', async () => {
    await verifier({ now: () => sample.iat * 1000 }).verifyIdToken(sample.token);
    await verifier({ algorithms: ['RS256'] }).verifyIdToken(sample.token);
    await verifier({ audience: ['other', AUDIENCE] }).verifyIdToken(sample.token);
  });

  test('expired: clock at and after exp', async () => {
    await fails({ now: () => EXP * 1000 }, sample.token, 'ERR_EXPIRED', /exp/);
    await fails({ now: () => (EXP + 3600) * 1000 }, sample.token, 'ERR_EXPIRED');
    await fails({ now: () => Date.now() }, sample.token, 'ERR_EXPIRED');
  });

  test('clockTolerance extends exp by exactly its seconds', async () => {
    await verifier({ now: () => (EXP + 59) * 1000, clockTolerance: 60 }).verifyIdToken(sample.token);
    await fails({ now: () => (EXP + 60) * 1000, clockTolerance: 60 }, sample.token, 'ERR_EXPIRED');
  });

  test('before nbf / iat', async () => {
    await fails({ now: () => (sample.iat - 60) * 1000 }, sample.token, 'ERR_NOT_BEFORE');
  });

  test('maxTokenAge', async () => {
    await fails({ maxTokenAge: 30 }, sample.token, 'ERR_IAT', /too old/);
    await verifier({ maxTokenAge: 60 }).verifyIdToken(sample.token);
  });

  test('wrong audience', async () => {
    await fails({ audience: 'another-client' }, sample.token, 'ERR_AUDIENCE', /Wsoq8t4nHW80gSnPfyDvRbiC__Ea/);
  });

  test('wrong issuer (including near misses)', async () => {
    for (const issuer of [
      'https://api.asgardeo.io/t/other/oauth2/token',
      'https://api.asgardeo.io/t/bifrost/oauth2/token/',
      'https://api.asgardeo.io/t/bifrost/oauth2',
      'http://api.asgardeo.io/t/bifrost/oauth2/token',
      'https://API.asgardeo.io/t/bifrost/oauth2/token',
    ]) {
      await fails({ issuer }, sample.token, 'ERR_ISSUER', /iss/);
    }
  });

  test('nonce expected but the token has none', async () => {
    const v = verifier();
    await assert.rejects(
      v.verifyIdToken(sample.token, { nonce: 'n-0S6_WzA2Mj' }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_NONCE',
    );
  });

  test('tampered: payload changed', async () => {
    await fails(
      {},
      withPayload((p) => (p.sub = 'Mallory@bifrost.com')),
      'ERR_SIGNATURE_INVALID',
    );
    await fails(
      {},
      withPayload((p) => (p.exp = EXP + 86400)),
      'ERR_SIGNATURE_INVALID',
    );
    await fails(
      {},
      withPayload(() => {}),
      'ERR_SIGNATURE_INVALID',
    ); // same claims, re-serialised
  });

  test('tampered: signature bit flipped, truncated, extended, emptied', async () => {
    const sig = Buffer.from(S, 'base64url');
    const flip = (i: number): string => {
      const b = Buffer.from(sig);
      b[i]! ^= 0x01;
      return `${H}.${P}.${b.toString('base64url')}`;
    };
    await fails({}, flip(0), 'ERR_SIGNATURE_INVALID');
    await fails({}, flip(128), 'ERR_SIGNATURE_INVALID');
    await fails({}, flip(255), 'ERR_SIGNATURE_INVALID');
    await fails({}, `${H}.${P}.${sig.subarray(0, 255).toString('base64url')}`, 'ERR_SIGNATURE_INVALID');
    await fails({}, `${H}.${P}.${Buffer.concat([sig, Buffer.from([0])]).toString('base64url')}`, 'ERR_SIGNATURE_INVALID');
    await fails({}, `${H}.${P}.${Buffer.concat([Buffer.from([0]), sig]).toString('base64url')}`, 'ERR_SIGNATURE_INVALID');
    await fails({}, `${H}.${P}.`, 'ERR_SIGNATURE_INVALID');
  });

  test('tampered: header kid changed → ERR_KEY_NOT_FOUND; header alg changed → not accepted', async () => {
    const header = JSON.parse(Buffer.from(H, 'base64url').toString('utf8')) as Record<string, unknown>;
    const enc = (h: Record<string, unknown>): string => Buffer.from(JSON.stringify(h)).toString('base64url');
    await fails({}, `${enc({ ...header, kid: 'other' })}.${P}.${S}`, 'ERR_KEY_NOT_FOUND');
    await fails({}, `${enc({ ...header, alg: 'PS256' })}.${P}.${S}`, 'ERR_KEY_NOT_FOUND'); // the JWK says alg RS256
    await fails({}, `${enc({ ...header, alg: 'none' })}.${P}.`, 'ERR_ALG_NOT_ALLOWED');
    await fails({}, `${enc({ ...header, alg: 'HS256' })}.${P}.${S}`, 'ERR_ALG_NOT_ALLOWED');
    // Dropping the malformed x5t changes the signed header: the signature no longer matches.
    const { x5t: _drop, ...noX5t } = header;
    await fails({}, `${enc(noX5t)}.${P}.${S}`, 'ERR_SIGNATURE_INVALID');
  });

  test('not canonical: padding appended to the signature is ERR_MALFORMED, not a second valid spelling', async () => {
    await fails({}, `${sample.token}=`, 'ERR_MALFORMED');
    await fails({}, `${H}.${P}.${S.replaceAll('-', '+').replaceAll('_', '/')}`, 'ERR_MALFORMED');
  });

  test('the published JWKS refuses other algorithms for its key (alg RS256 in the JWK)', async () => {
    await fails({ algorithms: ['PS256'] }, sample.token, 'ERR_ALG_NOT_ALLOWED');
  });
});
