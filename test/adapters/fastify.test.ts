import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { oidcVerifier, requireToken } from '../../src/adapters/fastify.js';
import { bearer, DPOP_CHALLENGE, send, standardSuite, startFixture } from '../http/helpers.js';
import { startFastify } from './apps.js';
import { dpopSuite } from '../http/dpop-suite.js';

standardSuite('fastify', (v, o) => startFastify(v, o));
dpopSuite('fastify', (v, o) => startFastify(v, o));

test('fastify: setErrorHandler reshapes the body; per-route scopes add to the plugin defaults; form body', async (t) => {
  const f = await startFixture();
  const app = await startFastify(f.verifier(), { realm: 'api', requiredScopes: ['read'] }, true);
  t.after(async () => {
    await app.close();
    await f.close();
  });
  const a = await send(`${app.origin}/items`, { headers: bearer(await f.accessToken({ scope: 'write' })) });
  assert.equal(a.status, 403);
  assert.deepEqual(a.json(), { error: 'insufficient_scope', error_description: 'The access token lacks a required scope', custom: true });
  assert.equal(
    a.headers['www-authenticate'],
    `Bearer realm="api", error="insufficient_scope", error_description="The access token lacks a required scope", scope="read", ${DPOP_CHALLENGE}`,
  );
  const b = await send(`${app.origin}/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `access_token=${await f.accessToken()}`,
  });
  assert.equal(b.status, 200, b.body);
  assert.deepEqual(b.json(), { sub: 'alice', via: 'jwt', source: 'body' });
});

test('fastify: the default error path answers with status and WWW-Authenticate, never 500', async (t) => {
  const f = await startFixture();
  const app = Fastify();
  const verifier = f.verifier();
  await app.register(oidcVerifier, { verifier, realm: 'api', requiredScopes: ['read'] });
  app.get('/a', { preHandler: app.requireToken({ requiredScopes: ['admin'] }) }, async (request) => ({ sub: request.auth?.payload.sub }));
  // Standalone preHandler, without the plugin.
  app.get('/b', { preHandler: requireToken(verifier, { realm: 'b' }) }, async (request) => ({ sub: request.auth?.payload.sub }));
  t.after(async () => {
    await app.close();
    await f.close();
  });
  const read = await f.accessToken({ scope: 'read' });
  const a = await app.inject({ url: '/a', headers: bearer(read) });
  assert.equal(a.statusCode, 403);
  assert.match(String(a.headers['www-authenticate']), /scope="read admin", DPoP realm="api", algs="ES256 EdDSA"$/);
  assert.equal(a.json().code, 'ERR_SCOPE');
  const b = await app.inject({ url: '/b', headers: bearer(read) });
  assert.equal(b.statusCode, 200);
  assert.equal(b.json().sub, 'alice');
  const none = await app.inject({ url: '/b' });
  assert.equal(none.statusCode, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="b", DPoP realm="b", algs="ES256 EdDSA"');
});

test('fastify: the plugin refuses a missing verifier or bad options at registration', async () => {
  const app = Fastify();
  await assert.rejects(async () => void (await app.register(oidcVerifier, {} as never).ready()), { code: 'ERR_CONFIG' });
  const f = await startFixture();
  try {
    const app2 = Fastify();
    await assert.rejects(async () => void (await app2.register(oidcVerifier, { verifier: f.verifier(), realm: 'a\nb' }).ready()), {
      code: 'ERR_CONFIG',
    });
  } finally {
    await f.close();
  }
});
