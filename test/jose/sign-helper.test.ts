/**
 * Checks the test issuers themselves (test/helpers/sign.ts) without src/: a token they sign verifies
 * with jose (where jose supports the alg) or plain node:crypto, so a red verifier test means the
 * verifier, not the helper.
 */
import type { KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, verify as cryptoVerify, constants } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { ALL_KINDS, idTokenClaims, issuerFor, kindLabel, makeIssuer, tamperedVariants } from '../support/sign.js';

function nodeVerify(alg: string, key: KeyObject, input: string, sig: Buffer): boolean {
  const bits = alg.slice(-3);
  if (alg === 'EdDSA') return cryptoVerify(null, Buffer.from(input), key, sig);
  if (alg.startsWith('ES'))
    return cryptoVerify(alg === 'ES256K' ? 'sha256' : `sha${bits}`, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, sig);
  if (alg.startsWith('PS')) {
    return cryptoVerify(
      `sha${bits}`,
      Buffer.from(input),
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 },
      sig,
    );
  }
  return cryptoVerify(`sha${bits}`, Buffer.from(input), key, sig);
}

describe('test issuers sign verifiable tokens', () => {
  for (const kind of ALL_KINDS) {
    test(kindLabel(kind), async () => {
      const iss = await issuerFor(kind);
      assert.equal(await issuerFor(kind), iss, 'issuer is cached per process');
      const token = await iss.sign(idTokenClaims(), { extra: 'x', kid: kind.alg.startsWith('HS') ? undefined : iss.kid });
      const [h, p, s] = token.split('.') as [string, string, string];
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(header.alg, kind.alg);
      assert.equal(header.extra, 'x');
      const sig = Buffer.from(s, 'base64url');
      if (iss.secret !== undefined) {
        assert.equal(iss.jwk, undefined);
        assert.deepEqual(iss.jwks, { keys: [] });
        assert.ok(
          createHmac(`sha${kind.alg.slice(2)}`, iss.secret)
            .update(`${h}.${p}`)
            .digest()
            .equals(sig),
          'createHmac(`sha${kind.alg.slice(2)}`, iss.secret).update(`${h}.${p}...',
        );
      } else {
        assert.ok(iss.publicKey, 'iss.publicKey');
        assert.equal(iss.jwk?.kid, iss.kid);
        assert.equal(iss.jwk?.use, 'sig');
        assert.equal(iss.jwk?.d, undefined, 'no private member in the published JWK');
        assert.ok(nodeVerify(kind.alg, iss.publicKey, `${h}.${p}`, sig), 'nodeVerify(kind.alg, iss.publicKey, `${h}.${p}`, sig)');
        if (kind.alg !== 'ES256K' && kind.crv !== 'Ed448') {
          const key = await importJWK(iss.jwk, kind.alg);
          await compactVerify(token, key);
        }
        // signRaw produces a signature over any input that verifies the same way.
        const raw = await iss.signRaw(`${h}.${p}`);
        assert.ok(nodeVerify(kind.alg, iss.publicKey, `${h}.${p}`, raw), 'nodeVerify(kind.alg, iss.publicKey, `${h}.${p}`, raw)');
        for (const v of tamperedVariants(token)) {
          const [vh, vp, vs] = v.token.split('.') as [string, string, string];
          assert.equal(nodeVerify(kind.alg, iss.publicKey, `${vh}.${vp}`, Buffer.from(vs, 'base64url')), false, v.name);
        }
      }
    });
  }

  test('a named issuer is a distinct key of the same kind', async () => {
    const a = await makeIssuer('ES256');
    const b = await makeIssuer('ES256', { name: 'other' });
    assert.notEqual(a.kid, b.kid);
    assert.notDeepEqual(a.jwk, b.jwk);
  });
});
