import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { requireToken } from '../../src/adapters/hono.js';
import { errorResponse, RequestError, type Verifier, type VerifyRequestOptions } from '../../src/index.js';
import { bearer, send, standardSuite, startFixture, type App } from '../http/helpers.js';

async function startHono(verifier: Verifier, options: VerifyRequestOptions, customErrors = false): Promise<App> {
  const app = new Hono();
  app.get('/open', (c) => c.json({}));
  // c.get('auth') is typed through ContextVariableMap: no cast.
  app.get('/items', requireToken(verifier, options), (c) => c.json({ sub: c.get('auth').payload.sub }));
  app.post('/items', requireToken(verifier, { ...options, allowBodyToken: true }), async (c) => {
    // The middleware read a clone: the handler can still read the body.
    const form = await c.req.parseBody();
    return c.json({ sub: c.get('auth').payload.sub, source: c.get('auth').source, body: form.x });
  });
  if (customErrors) {
    app.onError((err, c) => {
      const r = errorResponse(err);
      return c.json({ ...r.body, custom: err instanceof RequestError }, r.status as 400, r.headers);
    });
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

standardSuite('hono', (v, o) => startHono(v, o));

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
  const b = await send(`${app.origin}/items`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${await f.accessToken()}&x=1` });
  assert.equal(b.status, 200, b.body);
  assert.deepEqual(b.json(), { sub: 'alice', source: 'body', body: '1' });
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
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"');
});
