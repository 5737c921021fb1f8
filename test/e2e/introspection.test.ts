/**
 * The demo provider's introspection (RFC 7662) and revocation (RFC 7009) endpoints.
 *
 * The library has no introspection client yet (src/remote has none), so these tests only prove the
 * fixture the client's end-to-end tests will use: opaque access tokens introspect as active, then
 * inactive after revocation; JWT access tokens are refused by both endpoints, as the notes say.
 * When the client lands, its tests belong here, against the same provider.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAuthorizationFlow, type FlowResult } from '../../src/demo/flow.js';
import { startDemoProvider, type DemoProvider } from '../../src/demo/provider.js';

describe('introspection and revocation endpoints of the demo provider', () => {
  let op: DemoProvider;
  let opaque: FlowResult;
  let jwt: FlowResult;

  function post(path: string, form: Record<string, string>, secret = op.clientSecret): Promise<Response> {
    const basic = Buffer.from(`${encodeURIComponent(op.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    return fetch(`${op.issuer}${path}`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams(form),
    });
  }

  before(async () => {
    op = await startDemoProvider({ alg: 'ES256', quiet: true });
    opaque = await runAuthorizationFlow(op.client);
    jwt = await runAuthorizationFlow({ ...op.client, resource: op.resource, scope: `openid ${op.resourceScope}` });
  });
  after(() => op.close());

  test('an opaque access token is active, then inactive once revoked', async () => {
    const token = opaque.tokens.access_token;
    assert.equal(token.split('.').length, 1, 'without a resource indicator the access token is opaque');
    const active = (await (await post('/token/introspection', { token })).json()) as Record<string, unknown>;
    assert.equal(active.active, true);
    assert.equal(active.client_id, op.clientId);
    assert.equal(active.sub, 'alice');
    assert.equal(active.iss, op.issuer);
    const revoked = await post('/token/revocation', { token, token_type_hint: 'access_token' });
    assert.equal(revoked.status, 200);
    const after = (await (await post('/token/introspection', { token })).json()) as Record<string, unknown>;
    assert.deepEqual(after, { active: false });
  });

  test('a wrong client secret is refused with invalid_client', async () => {
    const res = await post('/token/introspection', { token: 'anything' }, 'wrong-secret');
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error?: string }).error, 'invalid_client');
  });

  test('JWT access tokens are not introspectable (verify them locally instead)', async () => {
    const res = await post('/token/introspection', { token: jwt.tokens.access_token });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error?: string }).error, 'unsupported_token_type');
  });
});
