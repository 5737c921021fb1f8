import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { errorResponse, RequestError } from '../../src/index.js';
import { startNodeApp } from '../adapters/apps.js';
import { bearer, send, standardSuite, startFixture, REALM } from './helpers.js';
import { dpopSuite } from './dpop-suite.js';

standardSuite('node:http', startNodeApp);
dpopSuite('node:http', startNodeApp);

test('node:http: the error body names the RFC 6750 error and a fixed description', async (t) => {
  const f = await startFixture();
  const app = await startNodeApp(f.verifier(), { realm: REALM, requiredScopes: ['read'] });
  t.after(async () => {
    await app.close();
    await f.close();
  });
  const expired = await f.accessToken({ exp: Math.floor(Date.now() / 1000) - 10 });
  const a = await send(`${app.origin}/items`, { headers: bearer(expired) });
  assert.equal(a.status, 401);
  assert.deepEqual(a.json(), { error: 'invalid_token', error_description: 'The access token expired' });
  const none = await send(`${app.origin}/items`);
  assert.deepEqual(none.json(), { error: 'unauthorized', error_description: 'Authentication required' });
});

test('node:http: form-body credentials are read only when enabled, never with GET', async (t) => {
  const f = await startFixture();
  const verifier = f.verifier();
  // Express-style: the body was parsed before verification.
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const allow = req.url!.startsWith('/allow');
      verifier.verifyRequest({ method: req.method!, url: req.url!, headers: req.headers, body }, { allowBodyToken: allow }).then(
        (auth) => res.end(JSON.stringify({ sub: auth.payload.sub, source: auth.source })),
        (err: unknown) => {
          const r = errorResponse(err);
          res.writeHead(r.status, r.headers).end(JSON.stringify(r.body));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await f.close();
  });
  const token = await f.accessToken();
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const ok = await send(`${origin}/allow`, { method: 'POST', headers: form, body: `access_token=${token}&x=1` });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json().source, 'body');
  const off = await send(`${origin}/deny`, { method: 'POST', headers: form, body: `access_token=${token}` });
  assert.equal(off.status, 401);
  const json = await send(`${origin}/allow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `access_token=${token}`,
  });
  assert.equal(json.status, 401, 'only application/x-www-form-urlencoded bodies (RFC 6750 §2.2)');
  const both = await send(`${origin}/allow`, { method: 'POST', headers: { ...form, ...bearer(token) }, body: `access_token=${token}` });
  assert.equal(both.status, 400);
  const twice = await send(`${origin}/allow`, { method: 'POST', headers: form, body: `access_token=${token}&access_token=${token}` });
  assert.equal(twice.status, 400);
});

test('RequestError keeps the code and the cause of the underlying failure', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  const v = f.verifier();
  const err = await v.verifyRequest(new Request('http://127.0.0.1/x', { headers: bearer(await f.accessToken({ aud: 'nope' })) })).then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RequestError);
  assert.equal(err.code, 'ERR_AUDIENCE');
  assert.equal(err.status, 401);
  assert.equal(err.error, 'invalid_token');
  assert.ok(err.cause instanceof Error);
});
