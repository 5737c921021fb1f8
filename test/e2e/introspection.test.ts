/**
 * The demo provider's introspection (RFC 7662) and revocation (RFC 7009) endpoints, first as bare
 * HTTP (the fixture: opaque access tokens introspect as active, then inactive after revocation;
 * JWT access tokens are refused, as the notes say), then through the library's introspection
 * client (`createIntrospector` from the package entry point) with tokens from a real
 * authorization code flow: endpoint discovered from the issuer, active response, required scopes,
 * revocation, wrong secret, JWT access tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAuthorizationFlow, type FlowResult } from '../../src/demo/flow.js';
import { startDemoProvider, type DemoProvider } from '../../src/demo/provider.js';
import { createIntrospector, FetchError, type IntrospectorOptions } from '../../src/index.js';
import { assertCode } from './helpers.js';

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

describe('the introspection client against the demo provider', () => {
  let op: DemoProvider;

  /** The demo client introspects its own tokens; the endpoint comes from discovery. */
  const introspector = (extra: Partial<IntrospectorOptions> = {}) =>
    createIntrospector({ issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, ...extra });

  async function opaqueToken(): Promise<string> {
    const flow = await runAuthorizationFlow(op.client);
    assert.equal(flow.tokens.access_token.split('.').length, 1, 'opaque access token');
    return flow.tokens.access_token;
  }

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
    op = await startDemoProvider({ alg: 'RS256', quiet: true });
  });
  after(() => op.close());

  test('discovers the endpoint; an active token gives sub, client_id, scope, iss, token_type, exp', async () => {
    const token = await opaqueToken();
    const i = introspector({ requiredScopes: ['openid'] });
    assert.equal(await i.endpoint(), `${op.issuer}/token/introspection`);
    const r = await i.introspect(token, { tokenTypeHint: 'access_token', requiredScopes: ['profile', 'email'] });
    assert.equal(r.active, true);
    assert.equal(r.sub, 'alice');
    assert.equal(r.client_id, op.clientId);
    assert.equal(r.scope, 'openid profile email');
    assert.equal(r.iss, op.issuer);
    assert.equal(r.token_type, 'Bearer');
    assert.equal(typeof r.exp, 'number');
    assert.ok(r.exp! > Date.now() / 1000);
    assert.equal(i.stats().requests, 1, 'one introspection request (discovery is not counted)');
  });

  test('a scope the token was not granted fails ERR_SCOPE', async () => {
    const token = await opaqueToken();
    await assertCode(introspector().introspect(token, { requiredScopes: [op.resourceScope] }), 'ERR_SCOPE');
  });

  test('revoked at /token/revocation: ERR_INACTIVE on the next call (cache off by default)', async () => {
    const token = await opaqueToken();
    const i = introspector();
    assert.equal((await i.introspect(token)).sub, 'alice');
    await revoke(token);
    await assertCode(i.introspect(token), 'ERR_INACTIVE');
    assert.equal(i.stats().requests, 2);
  });

  test('with the cache on, a revocation counts once the TTL is over (injected clock)', async () => {
    const token = await opaqueToken();
    let now = Date.now();
    const i = introspector({ cache: { ttl: 30_000 }, now: () => now });
    assert.equal((await i.introspect(token)).sub, 'alice');
    await revoke(token);
    assert.equal((await i.introspect(token)).sub, 'alice', 'the cached answer, within the TTL');
    now += 30_001;
    await assertCode(i.introspect(token), 'ERR_INACTIVE');
    assert.deepEqual({ requests: i.stats().requests, cacheHits: i.stats().cacheHits }, { requests: 2, cacheHits: 1 });
  });

  test('an unknown token is inactive', async () => {
    await assertCode(introspector().introspect('not-a-token-this-provider-issued'), 'ERR_INACTIVE');
  });

  test('a wrong client secret: ERR_INTROSPECTION with status 401, the message names the client, not the secret', async () => {
    const token = await opaqueToken();
    const wrong = 'wrong-secret-for-the-demo-client';
    await assert.rejects(introspector({ clientSecret: wrong }).introspect(token), (err: unknown) => {
      assert.ok(err instanceof FetchError, String(err));
      assert.equal(err.code, 'ERR_INTROSPECTION');
      assert.equal(err.status, 401);
      assert.match(err.message, /refused the client credentials of "demo-client"/);
      for (const secret of [wrong, op.clientSecret, token]) assert.ok(!err.message.includes(secret), 'no secret or token in the message');
      return true;
    });
  });

  test('client_secret_post works too (the provider accepts it at introspection for this client)', async () => {
    const token = await opaqueToken();
    const r = await introspector({ clientAuthMethod: 'client_secret_post' }).introspect(token);
    assert.equal(r.sub, 'alice');
    assert.equal(r.client_id, op.clientId);
  });

  test('a JWT access token (resource indicator) is refused by the provider: ERR_INTROSPECTION with status 400', async () => {
    const flow = await runAuthorizationFlow({ ...op.client, resource: op.resource, scope: `openid ${op.resourceScope}` });
    assert.equal(flow.tokens.access_token.split('.').length, 3);
    await assert.rejects(introspector().introspect(flow.tokens.access_token), (err: unknown) => {
      assert.ok(err instanceof FetchError, String(err));
      assert.equal(err.code, 'ERR_INTROSPECTION');
      assert.equal(err.status, 400);
      return true;
    });
  });
});
