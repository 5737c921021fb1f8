import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearerChallenge, createIntrospector, errorResponse, RequestError, VerifyError, type VerifiedRequest } from '../../src/index.js';
import { quoteString, descriptionValue } from '../../src/http/challenge.js';
import { json, startServer } from '../support/jwks-server.js';
import { bearer, startFixture } from './helpers.js';

async function failure(p: Promise<unknown>): Promise<RequestError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RequestError, `expected a RequestError, got ${String(err)}`);
  return err;
}

test('challenge values are RFC 9110 quoted-strings; error_description keeps to the RFC 6750 §3 set', () => {
  assert.equal(quoteString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(bearerChallenge({ realm: 'my "api"' }), 'Bearer realm="my \\"api\\""');
  assert.equal(descriptionValue('say "hi" \\ é\n'), "say 'hi' / ??");
  assert.match(descriptionValue('x'.repeat(1000)), /^x{197}\.\.\.$/);
  assert.equal(
    bearerChallenge({ realm: 'r', error: 'insufficient_scope', description: 'd', scope: ['a', 'b'] }),
    'Bearer realm="r", error="insufficient_scope", error_description="d", scope="a b"',
  );
  assert.equal(bearerChallenge({}), 'Bearer');
});

test('errorResponse: status table (RFC 6750 §3.1; 503 for unreachable servers, 500 for configuration)', () => {
  const cases: [VerifyError | Error, number, string | undefined][] = [
    [new VerifyError('ERR_CREDENTIALS_MISSING', 'x'), 401, 'Bearer realm="r"'],
    [new VerifyError('ERR_INVALID_REQUEST', 'x'), 400, 'invalid_request'],
    [new VerifyError('ERR_EXPIRED', 'x'), 401, 'invalid_token'],
    [new VerifyError('ERR_INACTIVE', 'x'), 401, 'invalid_token'],
    [new VerifyError('ERR_TYP', 'x'), 401, 'invalid_token'],
    [new VerifyError('ERR_SCOPE', 'x'), 403, 'insufficient_scope'],
    [new VerifyError('ERR_FORBIDDEN', 'x'), 403, 'insufficient_scope'],
    [new VerifyError('ERR_JWKS_FETCH', 'x'), 503, undefined],
    [new VerifyError('ERR_DISCOVERY', 'x'), 503, undefined],
    [new VerifyError('ERR_INTROSPECTION', 'x'), 503, undefined],
    [new VerifyError('ERR_CONFIG', 'secret config detail'), 500, undefined],
    [new TypeError('bug'), 500, undefined],
  ];
  for (const [err, status, challenge] of cases) {
    const r = errorResponse(err, { realm: 'r', scope: ['read'] });
    assert.equal(r.status, status, String(err));
    const h = r.headers['WWW-Authenticate'];
    if (challenge === undefined) assert.equal(h, undefined);
    else if (challenge.startsWith('Bearer')) assert.equal(h, challenge);
    else assert.match(h!, new RegExp(`error="${challenge}"`));
    assert.ok(!JSON.stringify(r.body).includes('secret config detail'));
  }
  assert.match(errorResponse(new VerifyError('ERR_SCOPE', 'x'), { scope: ['a', 'b'] }).headers['WWW-Authenticate']!, /scope="a b"$/);
});

test('verifyRequest takes a Fetch Request, an IncomingMessage-like record, or Headers', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  const v = f.verifier();
  const token = await f.accessToken();
  const shapes: unknown[] = [
    new Request('http://127.0.0.1/x', { headers: bearer(token) }),
    { method: 'GET', url: '/x', headers: { Authorization: `Bearer ${token}` } },
    { method: 'GET', url: '/x', headers: new Headers(bearer(token)) },
  ];
  for (const r of shapes) {
    const auth = await v.verifyRequest(r as Request);
    assert.equal(auth.payload.sub, 'alice');
    assert.equal(auth.token, token);
    assert.equal(auth.scheme, 'Bearer');
    assert.equal(auth.via, 'jwt');
  }
  // A record with two spellings of Authorization carries two credentials.
  const two = await failure(v.verifyRequest({ headers: { authorization: `Bearer ${token}`, AUTHORIZATION: `Bearer ${token}` } }));
  assert.equal(two.code, 'ERR_INVALID_REQUEST');
  // A Fetch request's form body is read from a clone, so the handler can still read it.
  const post = new Request('http://127.0.0.1/x', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `access_token=${token}`,
  });
  const auth = await v.verifyRequest(post, { allowBodyToken: true });
  assert.equal(auth.source, 'body');
  assert.equal(await post.text(), `access_token=${token}`);
  const big = new Request('http://127.0.0.1/x', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a='.padEnd(70_000, 'x'),
  });
  assert.equal((await failure(v.verifyRequest(big, { allowBodyToken: true }))).code, 'ERR_INVALID_REQUEST');
  const notObject = await failure(v.verifyRequest(null as unknown as Request));
  assert.equal(notObject.status, 500);
});

test('scopes: requiredScopes (all of) and anyScopes (one of), from scope or scp (array or string)', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  const v = f.verifier();
  const req = async (claims: Record<string, unknown>) => ({ headers: bearer(await f.accessToken(claims)) });
  const ok = async (claims: Record<string, unknown>, o: object): Promise<VerifiedRequest> => v.verifyRequest(await req(claims), o);
  assert.deepEqual((await ok({ scope: 'a b' }, { requiredScopes: ['a', 'b'] })).scopes, ['a', 'b']);
  await ok({ scope: undefined, scp: ['a', 'b'] }, { requiredScopes: ['b'] });
  await ok({ scope: undefined, scp: 'a b' }, { requiredScopes: ['a', 'b'] });
  await ok({ scope: 'x' }, { anyScopes: ['y', 'x'] });
  const all = await failure(v.verifyRequest(await req({ scope: 'a' }), { realm: 'r', requiredScopes: ['a', 'b'] }));
  assert.equal(all.code, 'ERR_SCOPE');
  assert.equal(all.status, 403);
  assert.match(all.headers['WWW-Authenticate']!, /scope="a b", DPoP realm="r", algs="ES256 EdDSA"$/);
  const any = await failure(v.verifyRequest(await req({ scope: 'a' }), { anyScopes: ['b', 'c'] }));
  assert.equal(any.code, 'ERR_SCOPE');
  const none = await failure(v.verifyRequest(await req({ scope: undefined }), { requiredScopes: ['a'] }));
  assert.equal(none.status, 403);
  const badScp = await failure(v.verifyRequest(await req({ scope: undefined, scp: [1] }), {}));
  assert.equal(badScp.code, 'ERR_CLAIM_INVALID');
  assert.equal(badScp.status, 401);
});

test('claims check: true admits, false or a string refuses with 403 insufficient_scope (ERR_FORBIDDEN)', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  const v = f.verifier();
  const token = await f.accessToken({ permissions: ['read:items'] });
  const has = (p: string) => (claims: Record<string, unknown>) => Array.isArray(claims.permissions) && claims.permissions.includes(p);
  await v.verifyRequest({ headers: bearer(token) }, { claims: has('read:items') });
  for (const check of [
    has('write:items'),
    () => 'needs write:items',
    () => {
      throw new Error('boom');
    },
  ]) {
    const e = await failure(v.verifyRequest({ headers: bearer(token) }, { claims: check }));
    assert.equal(e.code, 'ERR_FORBIDDEN');
    assert.equal(e.status, 403);
    assert.match(e.headers['WWW-Authenticate']!, /error="insufficient_scope"/);
  }
});

test('bad options are ERR_CONFIG (500) before anything else', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  const v = f.verifier();
  for (const o of [
    { realm: 'a\r\nb' },
    { requiredScopes: ['a b'] },
    { anyScopes: [] },
    { introspect: 'sometimes' },
    { claims: 'x' },
    { allowQueryToken: 'yes' },
    { introspect: 'always' },
  ]) {
    const e = await failure(v.verifyRequest({ headers: bearer(await f.accessToken()) }, o as object));
    assert.equal(e.code, 'ERR_CONFIG', JSON.stringify(o));
    assert.equal(e.status, 500);
    assert.equal(e.headers['WWW-Authenticate'], undefined);
  }
});

test('the verifier option introspection is checked at createVerifier (ERR_CONFIG)', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  assert.throws(() => f.verifier({ introspection: { endpoint: 'http://127.0.0.1:1/x', clientId: '', clientSecret: 's' } }), {
    code: 'ERR_CONFIG',
  });
  assert.throws(() => f.verifier({ introspection: 'yes' as never }), { code: 'ERR_CONFIG' });
  // https is required (loopback excepted) unless the verifier or the introspection options allow http.
  assert.throws(
    () => f.verifier({ allowHttp: false, introspection: { endpoint: 'http://as.test.example/x', clientId: 'c', clientSecret: 's' } }),
    { code: 'ERR_CONFIG' },
  );
});

test('introspection: opaque tokens are introspected (RFC 7662), JWTs too with introspect "always"', async (t) => {
  const f = await startFixture();
  const as = await startServer();
  t.after(async () => {
    await f.close();
    await as.close();
  });
  const active = new Map<string, Record<string, unknown>>();
  let down = false;
  as.route('/introspect', (req, res) => {
    if (down) return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? '';
      json(active.get(token) ?? { active: false })(req, res);
    });
  });
  const exp = Math.floor(Date.now() / 1000) + 300;
  active.set('opaque-1', { active: true, sub: 'bob', scope: 'read', client_id: 'c', exp, token_type: 'Bearer' });
  active.set('refresh-1', { active: true, sub: 'bob', scope: 'read', token_type: 'refresh_token' });
  const v = f.verifier({ introspection: { endpoint: `${as.origin}/introspect`, clientId: 'rs', clientSecret: 's3cret' } });
  const auth = await v.verifyRequest({ headers: bearer('opaque-1') }, { requiredScopes: ['read'] });
  assert.equal(auth.via, 'introspection');
  assert.equal(auth.payload.sub, 'bob');
  assert.equal((await failure(v.verifyRequest({ headers: bearer('opaque-1') }, { requiredScopes: ['write'] }))).status, 403);
  const inactive = await failure(v.verifyRequest({ headers: bearer('unknown') }));
  assert.equal(inactive.code, 'ERR_INACTIVE');
  assert.equal(inactive.status, 401);
  assert.equal((await failure(v.verifyRequest({ headers: bearer('refresh-1') }))).status, 401);
  // A JWT is verified locally by default: no introspection request.
  const before = as.count('/introspect');
  const jwt = await f.accessToken();
  await v.verifyRequest({ headers: bearer(jwt) });
  assert.equal(as.count('/introspect'), before);
  // introspect: 'always': the JWT is valid locally but revoked at the server.
  const revoked = await failure(v.verifyRequest({ headers: bearer(jwt) }, { introspect: 'always' }));
  assert.equal(revoked.code, 'ERR_INACTIVE');
  assert.equal(as.count('/introspect'), before + 1);
  active.set(jwt, { active: true, sub: 'alice', scope: 'read' });
  const both = await v.verifyRequest({ headers: bearer(jwt) }, { introspect: 'always' });
  assert.equal(both.via, 'jwt');
  assert.ok(both.via === 'jwt' && both.introspection?.active === true);
  // introspect: 'never': an opaque token is just a malformed JWT.
  assert.equal((await failure(v.verifyRequest({ headers: bearer('opaque-1') }, { introspect: 'never' }))).code, 'ERR_MALFORMED');
  // The endpoint unreachable: 503.
  down = true;
  const outage = await failure(v.verifyRequest({ headers: bearer('opaque-1') }));
  assert.equal(outage.code, 'ERR_INTROSPECTION');
  assert.equal(outage.status, 503);
  // An Introspector instance is taken as is.
  down = false;
  const shared = createIntrospector({ endpoint: `${as.origin}/introspect`, clientId: 'rs', clientSecret: 's3cret', allowHttp: true });
  const v2 = f.verifier({ introspection: shared });
  await v2.verifyRequest({ headers: bearer('opaque-1') });
  assert.equal(shared.stats().requests, 1);
});
