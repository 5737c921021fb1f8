import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import express5 from 'express';
import express4 from 'express4';
import type { ErrorRequestHandler } from 'express';
import { requireToken } from '../../src/adapters/express.js';
import { errorResponse, type Verifier, type VerifyRequestOptions } from '../../src/index.js';
import { bearer, send, standardSuite, startFixture, type App } from '../http/helpers.js';

type ExpressFactory = typeof express5;

function starter(express: ExpressFactory, customErrors = false) {
  return async (verifier: Verifier, options: VerifyRequestOptions): Promise<App> => {
    const app = express();
    app.set('env', 'test'); // finalhandler logs every error outside env "test"
    app.get('/open', (_req, res) => void res.json({}));
    // Typed req.auth through declaration merging: no cast.
    app.get('/items', requireToken(verifier, options), (req, res) => void res.json({ sub: req.auth?.payload.sub }));
    app.post('/items', express.urlencoded({ extended: false }), requireToken(verifier, { ...options, allowBodyToken: true }), (req, res) => {
      res.json({ sub: req.auth?.payload.sub, source: req.auth?.source });
    });
    if (customErrors) {
      const handler: ErrorRequestHandler = (err, _req, res, _next) => {
        const r = errorResponse(err);
        res.status(r.status).set(r.headers).json({ ...r.body, custom: true });
      };
      app.use(handler);
    }
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    return {
      origin: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  };
}

// Express's default error handler, as shipped: err.status and err.headers are enough.
standardSuite('express 5', starter(express5));
standardSuite('express 4', starter(express4 as unknown as ExpressFactory));

for (const [name, express] of [['express 5', express5], ['express 4', express4 as unknown as ExpressFactory]] as const) {
  test(`${name}: a custom error handler reshapes the body; form-body tokens after express.urlencoded`, async (t) => {
    const f = await startFixture();
    const app = await starter(express, true)(f.verifier(), { realm: 'api', requiredScopes: ['read'] });
    t.after(async () => {
      await app.close();
      await f.close();
    });
    const a = await send(`${app.origin}/items`, { headers: bearer(await f.accessToken({ scope: 'x' })) });
    assert.equal(a.status, 403);
    assert.deepEqual(a.json(), { error: 'insufficient_scope', error_description: 'The access token lacks a required scope', custom: true });
    assert.match(String(a.headers['www-authenticate']), /scope="read"/);
    const b = await send(`${app.origin}/items`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${await f.accessToken()}` });
    assert.equal(b.status, 200, b.body);
    assert.deepEqual(b.json(), { sub: 'alice', source: 'body' });
  });
}

test('express: bad options throw ERR_CONFIG at setup, not per request', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  assert.throws(() => requireToken(f.verifier(), { requiredScopes: ['a b'] }), { code: 'ERR_CONFIG' });
});
