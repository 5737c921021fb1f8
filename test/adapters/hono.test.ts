// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { requireToken } from '../../src/adapters/hono.js';
import { bearer, DPOP_CHALLENGE, send, standardSuite, startFixture } from '../http/helpers.js';
import { startHono } from './apps.js';
import { dpopSuite } from '../http/dpop-suite.js';

standardSuite('hono', (v, o) => startHono(v, o));
dpopSuite('hono', (v, o) => startHono(v, o));

test('hono: app.onError reshapes the body; a form-body token leaves the body readable', async (t) => {
  const f = await startFixture();
  const app = await startHono(f.verifier(), { realm: 'api', requiredScopes: ['read'] }, true);
  t.after(async () => {
    await app.close();
    await f.close();
  });
  const a = await send(`${app.origin}/items`, { headers: bearer(await f.accessToken({ exp: 1 })) });
  assert.equal(a.status, 401);
  assert.deepEqual(a.json(), { error: 'invalid_token', error_description: 'The access token expired', custom: true });
  assert.match(String(a.headers['www-authenticate']), /^Bearer realm="api", error="invalid_token"/);
  const b = await send(`${app.origin}/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `access_token=${await f.accessToken()}&x=1`,
  });
  assert.equal(b.status, 200, b.body);
  assert.deepEqual(b.json(), { sub: 'alice', via: 'jwt', source: 'body', body: '1' });
});

test('hono: the middleware runs on a Fetch Request alone (app.request, no server)', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  const app = new Hono();
  app.get('/items', requireToken(f.verifier(), { realm: 'api' }), (c) => c.text(c.get('auth').payload.sub ?? ''));
  const ok = await app.request('/items', { headers: bearer(await f.accessToken()) });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'alice');
  const none = await app.request('/items');
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), `Bearer realm="api", ${DPOP_CHALLENGE}`);
});
