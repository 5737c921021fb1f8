// Multi-issuer and tenant templates with remote keys: a token's unverified `iss` picks the issuer
// among the configured ones before any request; templates discover per tenant.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, type VerifierStats } from '../../src/index.js';
import { json, jwks, makeKey, rejectsWith, startServer, type TestKey, type TestServer } from '../support/jwks-server.js';

/** The per-issuer entries of `stats()` (without the verified-signature cache's `cache`). */
function issuerStats(v: { stats(): VerifierStats }): Omit<VerifierStats, 'cache'> {
  const { cache: _cache, ...issuers } = v.stats();
  return issuers;
}

let a: TestServer;
let b: TestServer;
let tenantIdp: TestServer;
let keyA: TestKey;
let keyB: TestKey;
let keyT: TestKey;
const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

function exp(): number {
  return Math.floor(Date.now() / 1000) + 600;
}

before(async () => {
  [a, b, tenantIdp] = await Promise.all([startServer(), startServer(), startServer()]);
  [keyA, keyB, keyT] = await Promise.all([makeKey('a1'), makeKey('b1', 'RS256'), makeKey('t1')]);
  a.route('/.well-known/openid-configuration', json({ issuer: a.origin, jwks_uri: `${a.origin}/jwks` }));
  a.route('/jwks', json(jwks(keyA)));
  b.route('/.well-known/openid-configuration', json({ issuer: b.origin, jwks_uri: `${b.origin}/keys` }));
  b.route('/keys', json(jwks(keyB)));
  // A multi-tenant IdP: per-tenant discovery documents, one shared JWKS.
  tenantIdp.route(
    `/${TENANT}/v2.0/.well-known/openid-configuration`,
    json({ issuer: `${tenantIdp.origin}/${TENANT}/v2.0`, jwks_uri: `${tenantIdp.origin}/common/keys` }),
  );
  tenantIdp.route('/common/keys', json(jwks(keyT)));
});

after(async () => {
  await Promise.all([a.close(), b.close(), tenantIdp.close()]);
});

describe('multi-issuer with remote keys', () => {
  it('each issuer uses its own discovery and keys; an unknown iss fails with ERR_ISSUER and no request', async () => {
    const verifier = createVerifier({
      issuers: [
        { issuer: a.origin, audience: 'client-a' },
        { issuer: b.origin, audience: 'client-b', algorithms: ['RS256'] },
      ],
    });
    const before = a.total() + b.total();
    await rejectsWith(
      verifier.verifyIdToken(await keyA.sign({ iss: 'https://unknown.example', aud: 'client-a', sub: 's', exp: exp() })),
      'ERR_ISSUER',
    );
    assert.equal(a.total() + b.total(), before, 'an unknown issuer must cost no request');

    const ra = await verifier.verifyIdToken(await keyA.sign({ iss: a.origin, aud: 'client-a', sub: 's', exp: exp() }));
    assert.equal(ra.issuer, a.origin);
    const rb = await verifier.verifyIdToken(await keyB.sign({ iss: b.origin, aud: 'client-b', sub: 's', exp: exp() }));
    assert.equal(rb.issuer, b.origin);
    assert.equal(a.count('/jwks'), 1);
    assert.equal(b.count('/keys'), 1);
    // A's key presented as B's: B's key set decides, so the token is refused.
    await rejectsWith(
      verifier.verifyIdToken(await keyA.sign({ iss: b.origin, aud: 'client-b', sub: 's', exp: exp() })),
      'ERR_ALG_NOT_ALLOWED',
    );
    assert.deepEqual(Object.keys(issuerStats(verifier)).sort(), [a.origin, b.origin].sort());
    verifier.close();
  });

  it('the synchronous methods refuse a remote issuer with ERR_CONFIG naming the async method, and send nothing', async () => {
    const verifier = createVerifier({ issuer: a.origin, audience: 'client-a' });
    const before = a.total();
    const token = await keyA.sign({ iss: a.origin, aud: 'client-a', sub: 's', exp: exp() });
    for (const call of [
      () => verifier.verifyIdTokenSync(token),
      () => verifier.verifyAccessTokenSync(token),
      () => verifier.verifyLogoutTokenSync(token),
    ]) {
      assert.throws(call, (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ERR_CONFIG');
        assert.match(e.message, /synchronous verification needs static keys \(jwks\) for http:\/\/127\.0\.0\.1:\d+; use the async method/);
        return true;
      });
    }
    assert.equal(a.total(), before, 'a refused sync call costs no request');
    verifier.close();
  });

  it('tenant templates: the tenant must equal tid and be accepted before discovery runs for it', async () => {
    const verifier = createVerifier({
      issuer: `${tenantIdp.origin}/{tenantid}/v2.0`,
      audience: 'client-t',
      tenants: [TENANT],
    });
    const other = 'aaaaaaaa-0000-0000-0000-000000000000';
    await rejectsWith(
      verifier.verifyIdToken(
        await keyT.sign({ iss: `${tenantIdp.origin}/${other}/v2.0`, tid: other, aud: 'client-t', sub: 's', exp: exp() }),
      ),
      'ERR_ISSUER',
    );
    await rejectsWith(
      verifier.verifyIdToken(
        await keyT.sign({ iss: `${tenantIdp.origin}/${TENANT}/v2.0`, tid: other, aud: 'client-t', sub: 's', exp: exp() }),
      ),
      'ERR_ISSUER',
    );
    assert.equal(tenantIdp.total(), 0, 'rejected tenants cost no request');
    const r = await verifier.verifyIdToken(
      await keyT.sign({ iss: `${tenantIdp.origin}/${TENANT}/v2.0`, tid: TENANT, aud: 'client-t', sub: 's', exp: exp() }),
    );
    assert.equal(r.issuer, `${tenantIdp.origin}/${TENANT}/v2.0`);
    assert.equal(tenantIdp.count(`/${TENANT}/v2.0/.well-known/openid-configuration`), 1);
    assert.equal(tenantIdp.count('/common/keys'), 1);
    verifier.close();
  });
});
