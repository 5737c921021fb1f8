// One scope-set parser (RFC 6749 §3.3) for JWT access tokens, introspection responses and request
// authorization: the three agree on what a `scope` value grants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, processIntrospectionResponse, VerifyError } from '../../src/index.js';
import { missingScopes, parseScope } from '../../src/claims/scopes.js';
import { ISSUER, NOW_MS, NOW_S, makeIssuer } from '../support/sign.js';

test('parseScope: space-separated tokens, empty ones (repeated or edge spaces) are no scopes', () => {
  assert.deepEqual([...parseScope('read write')], ['read', 'write']);
  assert.deepEqual([...parseScope('  read   write ')], ['read', 'write']);
  assert.deepEqual([...parseScope('read read')], ['read']);
  assert.deepEqual([...parseScope('')], []);
});

test('missingScopes keeps the order of the required ones', () => {
  assert.deepEqual(missingScopes(parseScope('b'), ['c', 'b', 'a']), ['c', 'a']);
  assert.deepEqual(missingScopes(parseScope('a b'), []), []);
});

test('repeated spaces never grant the empty scope: not in access tokens, not in introspection responses', async () => {
  const es = await makeIssuer('ES256');
  const api = 'https://api.example.com';
  const verifier = createVerifier({ issuer: ISSUER, audience: api, jwks: es.jwks, now: () => NOW_MS });
  const claims = { iss: ISSUER, sub: 'u1', aud: api, exp: NOW_S + 300, iat: NOW_S, jti: 'j1', client_id: 'c1', scope: 'read  write' };
  const token = await es.sign(claims, { typ: 'at+jwt' });
  assert.equal((await verifier.verifyAccessToken(token, { requiredScopes: ['read', 'write'] })).payload.jti, 'j1');
  await assert.rejects(
    verifier.verifyAccessToken(token, { requiredScopes: [''] }),
    (e: unknown) => e instanceof VerifyError && e.code === 'ERR_SCOPE',
  );
  const body = { active: true, scope: 'read  write' };
  assert.equal(
    processIntrospectionResponse({ url: 'https://as.example/introspect', body }, { requiredScopes: ['write'] }).scope,
    'read  write',
  );
  assert.throws(
    () => processIntrospectionResponse({ url: 'https://as.example/introspect', body }, { requiredScopes: [''] }),
    (e: unknown) => e instanceof VerifyError && e.code === 'ERR_SCOPE',
  );
  verifier.close();
});
