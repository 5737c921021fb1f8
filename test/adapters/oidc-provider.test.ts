/**
 * Every stack against the real oidc-provider: JWT access tokens (RFC 9068) through a resource
 * indicator (RFC 8707), verified locally against the provider's discovered JWKS; opaque access
 * tokens through the provider's introspection endpoint (RFC 7662), with revocation; an ID token
 * presented as an access token. One verifier is shared by all the apps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAuthorizationFlow } from '../../src/demo/flow.js';
import { startDemoProvider, type DemoProvider } from '../../src/demo/provider.js';
import { createVerifier, type Verifier } from '../../src/index.js';
import { bearer, send, type App } from '../http/helpers.js';
import { STACKS } from './apps.js';

describe('adapters against the real oidc-provider', () => {
  let op: DemoProvider;
  let verifier: Verifier;
  const apps: [string, App][] = [];

  async function revoke(token: string): Promise<void> {
    const basic = Buffer.from(`${encodeURIComponent(op.clientId)}:${encodeURIComponent(op.clientSecret)}`).toString('base64');
    const res = await fetch(`${op.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    assert.equal(res.status, 200);
  }

  before(async () => {
    op = await startDemoProvider({ alg: 'ES256', quiet: true });
    verifier = createVerifier({
      issuer: op.issuer,
      audience: op.resource,
      allowHttp: true,
      introspection: { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret },
    });
    for (const [name, start] of STACKS) apps.push([name, await start(verifier, { realm: 'api', anyScopes: [op.resourceScope, 'openid'] })]);
  });
  after(async () => {
    for (const [, app] of apps) await app.close();
    verifier.close();
    await op.close();
  });

  test('a JWT access token (resource indicator): 200 on every stack, verified locally', async () => {
    const flow = await runAuthorizationFlow({ ...op.client, resource: op.resource, scope: `openid ${op.resourceScope}` });
    const token = flow.tokens.access_token;
    assert.equal(token.split('.').length, 3);
    for (const [name, app] of apps) {
      const a = await send(`${app.origin}/items`, { headers: bearer(token) });
      assert.equal(a.status, 200, `${name}: ${a.body}`);
      assert.deepEqual(a.json(), { sub: 'alice', via: 'jwt', source: 'header' }, name);
    }
  });

  test('an opaque access token: 200 through introspection, 401 invalid_token once revoked', async () => {
    const flow = await runAuthorizationFlow(op.client);
    const token = flow.tokens.access_token;
    assert.equal(token.split('.').length, 1, 'opaque');
    for (const [name, app] of apps) {
      const a = await send(`${app.origin}/items`, { headers: bearer(token) });
      assert.equal(a.status, 200, `${name}: ${a.body}`);
      assert.deepEqual(a.json(), { sub: 'alice', via: 'introspection', source: 'header' }, name);
    }
    await revoke(token);
    for (const [name, app] of apps) {
      const a = await send(`${app.origin}/items`, { headers: bearer(token) });
      assert.equal(a.status, 401, `${name}: ${a.body}`);
      assert.match(String(a.headers['www-authenticate']), /^Bearer realm="api", error="invalid_token"/, name);
    }
  });

  test("the provider's ID token presented as an access token: 401 invalid_token", async () => {
    const flow = await runAuthorizationFlow(op.client);
    const idToken = flow.tokens.id_token;
    for (const [name, app] of apps) {
      const a = await send(`${app.origin}/items`, { headers: bearer(idToken) });
      assert.equal(a.status, 401, `${name}: ${a.body}`);
      assert.match(String(a.headers['www-authenticate']), /error="invalid_token"/, name);
    }
  });

  test("a JWT without the route's scope: 403 insufficient_scope", async () => {
    const flow = await runAuthorizationFlow({ ...op.client, resource: op.resource, scope: `openid ${op.resourceScope}` });
    const a = await verifier.verifyRequest({ headers: bearer(flow.tokens.access_token) }, { requiredScopes: ['api:write'] }).then(
      () => assert.fail('accepted'),
      (e: { status?: number; headers?: Record<string, string> }) => e,
    );
    assert.equal(a.status, 403);
    assert.match(a.headers!['WWW-Authenticate']!, /scope="api:write"/);
  });
});
