import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireToken } from '../../src/adapters/express.js';
import { bearer, send, standardSuite, startFixture } from '../http/helpers.js';
import { startExpress4, startExpress5 } from './apps.js';
import { dpopSuite } from '../http/dpop-suite.js';

// Express's default error handler, as shipped: err.status and err.headers are enough.
standardSuite('express 5', startExpress5);
standardSuite('express 4', startExpress4);
dpopSuite('express 5', startExpress5);
dpopSuite('express 4', startExpress4);

for (const [name, start] of [
  ['express 5', startExpress5],
  ['express 4', startExpress4],
] as const) {
  test(`${name}: a custom error handler reshapes the body; form-body tokens after express.urlencoded`, async (t) => {
    const f = await startFixture();
    const app = await start(f.verifier(), { realm: 'api', requiredScopes: ['read'] }, true);
    t.after(async () => {
      await app.close();
      await f.close();
    });
    const a = await send(`${app.origin}/items`, { headers: bearer(await f.accessToken({ scope: 'x' })) });
    assert.equal(a.status, 403);
    assert.deepEqual(a.json(), { error: 'insufficient_scope', error_description: 'The access token lacks a required scope', custom: true });
    assert.match(String(a.headers['www-authenticate']), /scope="read"/);
    const b = await send(`${app.origin}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${await f.accessToken()}`,
    });
    assert.equal(b.status, 200, b.body);
    assert.deepEqual(b.json(), { sub: 'alice', via: 'jwt', source: 'body' });
  });
}

test('express: bad options throw ERR_CONFIG at setup, not per request', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  assert.throws(() => requireToken(f.verifier(), { requiredScopes: ['a b'] }), { code: 'ERR_CONFIG' });
});
