/**
 * DPoP in verifyRequest without a server in between: request shapes, the proof URL rules, option
 * checks, the status table additions, and introspected tokens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { DpopError, errorResponse, RequestError, VerifyError, type ReplayStore } from '../../src/index.js';
import { json, startServer } from '../support/jwks-server.js';
import { bearer, DPOP_CHALLENGE, startFixture } from './helpers.js';

async function failure(p: Promise<unknown>): Promise<RequestError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RequestError, `expected a RequestError, got ${String(err)}`);
  return err;
}

async function setup() {
  const f = await startFixture();
  const key = await generateKeyPair('ES256');
  const jkt = await calculateThumbprint(key.publicKey);
  const token = (): Promise<string> => f.accessToken({ cnf: { jkt } });
  const proof = (url: string, method: string, at: string): Promise<string> => generateProof(key, url, method, undefined, at);
  return { f, key, jkt, token, proof };
}

test('a Fetch Request with DPoP: scheme "DPoP" in the result; two proofs joined by Headers are 400', async (t) => {
  const { f, token, proof } = await setup();
  t.after(() => f.close());
  const v = f.verifier();
  const at = await token();
  const url = 'https://api.test.example/items?x=1';
  const ok = await v.verifyRequest(
    new Request(url, {
      method: 'DELETE',
      headers: { authorization: `DPoP ${at}`, dpop: await proof('https://api.test.example/items', 'DELETE', at) },
    }),
  );
  assert.equal(ok.scheme, 'DPoP');
  assert.equal(ok.source, 'header');
  assert.equal(ok.via, 'jwt');
  assert.equal((await v.verifyRequest({ headers: bearer(await f.accessToken()) })).scheme, 'Bearer');

  const headers = new Headers({ authorization: `DPoP ${at}` });
  const p = await proof(url, 'GET', at);
  headers.append('dpop', p);
  headers.append('dpop', p);
  const two = await failure(v.verifyRequest(new Request(url, { headers })));
  assert.equal(two.code, 'ERR_DPOP');
  assert.equal(two.status, 400);
  assert.equal(two.error, 'invalid_dpop_proof');
  // Node records: repeated lines in rawHeaders
  const raw = await failure(
    v.verifyRequest({
      url: '/items',
      headers: { host: 'api.test.example', authorization: `DPoP ${at}`, dpop: p },
      rawHeaders: ['Host', 'api.test.example', 'Authorization', `DPoP ${at}`, 'DPoP', p, 'dpop', p],
    }),
  );
  assert.equal(raw.status, 400);
  // a malformed DPoP Authorization header is invalid_request, in the DPoP challenge when only DPoP is accepted
  const bad = await failure(
    v.verifyRequest(new Request(url, { headers: { authorization: 'DPoP a b', dpop: p } }), { dpop: 'required', realm: 'api' }),
  );
  assert.equal(bad.status, 400);
  assert.equal(
    bad.headers['WWW-Authenticate'],
    'DPoP realm="api", error="invalid_request", error_description="The request is malformed", algs="ES256 EdDSA"',
  );
});

test('the proof URL of a Node request: http:// + Host + url, https:// on a TLS socket, Express originalUrl, no Host is 400', async (t) => {
  const { f, token, proof } = await setup();
  t.after(() => f.close());
  const v = f.verifier();
  const at = await token();
  const req = async (
    over: Record<string, unknown>,
    proofUrl: string,
    headers: Record<string, string> = { host: 'api.test.example:8080' },
  ) =>
    v.verifyRequest({
      method: 'GET',
      url: '/items',
      ...over,
      headers: { ...headers, authorization: `DPoP ${at}`, dpop: await proof(proofUrl, 'GET', at) },
    });
  assert.equal((await req({}, 'http://api.test.example:8080/items')).scheme, 'DPoP');
  assert.equal((await failure(req({}, 'https://api.test.example:8080/items'))).status, 401);
  await req({ socket: { encrypted: true } }, 'https://api.test.example:8080/items');
  await req({ url: '/items', originalUrl: '/api/items' }, 'http://api.test.example:8080/api/items');
  await req({}, 'http://api.test.example:8080/items', { ':authority': 'api.test.example:8080' });
  const noHost = await failure(req({}, 'http://api.test.example/items', {}));
  assert.equal(noHost.code, 'ERR_INVALID_REQUEST');
  assert.equal(noHost.status, 400);
  assert.match(noHost.message, /Host/);
  const badHost = await failure(req({}, 'http://api.test.example/items', { host: 'a b' }));
  assert.equal(badHost.status, 400);
  // a Bearer request never needs the URL: no Host is fine
  assert.equal((await v.verifyRequest({ headers: bearer(await f.accessToken()) })).scheme, 'Bearer');
});

test('trusted forwarded headers: RFC 7239 quoting, last value wins, bad values are 400', async (t) => {
  const { f, token, proof } = await setup();
  t.after(() => f.close());
  const v = f.verifier();
  const at = await token();
  const call = async (headers: Record<string, string>, proofUrl: string, trustForwarded: never[]) =>
    v.verifyRequest(
      {
        method: 'GET',
        url: '/items',
        headers: { host: 'internal:8080', ...headers, authorization: `DPoP ${at}`, dpop: await proof(proofUrl, 'GET', at) },
      },
      { trustForwarded },
    );
  const fwd = ['forwarded'] as never[];
  await call({ forwarded: 'for="[2001:db8::1]:4711";proto=https;host="api.test.example"' }, 'https://api.test.example/items', fwd);
  await call({ forwarded: 'proto=http;host=evil.example, proto=https;host="api.test.example"' }, 'https://api.test.example/items', fwd);
  // a quoted comma does not end the element
  await call({ forwarded: 'proto=https;host=c.example;for="192.0.2.1,x"' }, 'https://c.example/items', fwd);
  await call({ forwarded: 'for=192.0.2.1' }, 'http://internal:8080/items', fwd);
  assert.equal(
    (await failure(call({ forwarded: 'proto=https;host="api.test.example' }, 'https://api.test.example/items', fwd))).status,
    400,
  );
  assert.equal((await failure(call({ forwarded: 'proto=ftp' }, 'https://internal:8080/items', fwd))).status, 400);
  const xf = ['x-forwarded-proto', 'x-forwarded-host'] as never[];
  await call({ 'x-forwarded-proto': 'http, https', 'x-forwarded-host': 'api.test.example' }, 'https://api.test.example/items', xf);
  assert.equal((await failure(call({ 'x-forwarded-host': 'evil.example,' }, 'https://evil.example/items', xf))).status, 400);
  const uri = ['x-original-uri'] as never[];
  assert.equal((await failure(call({ 'x-original-uri': 'items' }, 'http://internal:8080/items', uri))).status, 400);
  await call({ 'x-original-uri': '/v2/items?q=1' }, 'http://internal:8080/v2/items', uri);
});

test('bad DPoP request options are ERR_CONFIG (500)', async (t) => {
  const f = await startFixture();
  t.after(() => f.close());
  const v = f.verifier();
  for (const o of [
    { dpop: 'sometimes' },
    { dpop: true },
    { preventReplay: 'yes' },
    { origin: 'https://api.example.com/v1' },
    { origin: 'ftp://api.example.com' },
    { origin: 'https://user@api.example.com' },
    { origin: 'api.example.com' },
    { trustForwarded: ['x-real-ip'] },
    { trustForwarded: 'forwarded' },
    { origin: 'https://api.example.com', trustForwarded: ['x-forwarded-host'] },
    { preventReplay: true }, // the verifier has no replayStore
  ]) {
    const e = await failure(v.verifyRequest({ headers: bearer(await f.accessToken()) }, o as object));
    assert.equal(e.code, 'ERR_CONFIG', JSON.stringify(o));
    assert.equal(e.status, 500);
  }
  await v.verifyRequest(
    { headers: bearer(await f.accessToken()) },
    { origin: 'https://api.example.com/', trustForwarded: ['x-original-uri', 'x-original-method'] },
  );
});

test('a replay store whose claim rejects: 503, never accepted, never 500', async (t) => {
  const { f, token, proof } = await setup();
  t.after(() => f.close());
  let claims = 0;
  const broken: ReplayStore = {
    claim: () => {
      claims++;
      return Promise.reject(new Error('connection refused'));
    },
  };
  const v = f.verifier({ replayStore: broken });
  const at = await token();
  const url = 'https://api.test.example/items';
  const e = await failure(
    v.verifyRequest(new Request(url, { headers: { authorization: `DPoP ${at}`, dpop: await proof(url, 'GET', at) } })),
  );
  assert.equal(e.code, 'ERR_REPLAY_STORE');
  assert.equal(e.status, 503);
  assert.equal(e.headers['WWW-Authenticate'], undefined);
  const b = await failure(v.verifyRequest({ headers: bearer(await f.accessToken()) }, { preventReplay: true }));
  assert.equal(b.status, 503);
  assert.equal(claims, 2);
  assert.deepEqual(errorResponse(b).body, {
    error: 'temporarily_unavailable',
    error_description: 'The replay check is temporarily unavailable',
  });
});

test('errorResponse: DPoP rows of the status table', () => {
  const nonce = errorResponse(new DpopError('use_dpop_nonce', 'x', { nonce: 'n0nce' }), { realm: 'r', dpopAlgorithms: ['ES256'] });
  assert.equal(nonce.status, 401);
  assert.equal(nonce.headers['DPoP-Nonce'], 'n0nce');
  assert.equal(
    nonce.headers['WWW-Authenticate'],
    'DPoP realm="r", error="use_dpop_nonce", error_description="A DPoP nonce from the resource server is required", algs="ES256"',
  );
  assert.deepEqual(nonce.body, { error: 'use_dpop_nonce', error_description: 'A DPoP nonce from the resource server is required' });
  const proof = errorResponse(new DpopError('invalid_dpop_proof', 'x'), { schemes: ['Bearer', 'DPoP'] });
  assert.equal(proof.status, 401);
  assert.equal(proof.headers['WWW-Authenticate'], 'DPoP error="invalid_dpop_proof", error_description="The DPoP proof is invalid", Bearer');
  assert.equal(proof.headers['DPoP-Nonce'], undefined);
  assert.equal(errorResponse(new VerifyError('ERR_REPLAY_STORE', 'x')).status, 503);
  const replay = errorResponse(new VerifyError('ERR_REPLAY', 'x'), { realm: 'r', schemes: ['Bearer', 'DPoP'], dpopAlgorithms: ['ES256'] });
  assert.equal(replay.status, 401);
  assert.equal(
    replay.headers['WWW-Authenticate'],
    'Bearer realm="r", error="invalid_token", error_description="The access token was already used", DPoP realm="r", algs="ES256"',
  );
  const missing = errorResponse(new VerifyError('ERR_CREDENTIALS_MISSING', 'x'), {
    realm: 'api',
    schemes: ['Bearer', 'DPoP'],
    dpopAlgorithms: ['ES256', 'EdDSA'],
  });
  assert.equal(missing.headers['WWW-Authenticate'], `Bearer realm="api", ${DPOP_CHALLENGE}`);
});

test('introspected tokens: a bound one as Bearer is refused; DPoP with an opaque token is refused', async (t) => {
  const { f, jkt, proof } = await setup();
  const as = await startServer();
  t.after(async () => {
    await f.close();
    await as.close();
  });
  const exp = Math.floor(Date.now() / 1000) + 300;
  const active: Record<string, Record<string, unknown>> = {
    'opaque-bound': { active: true, sub: 'bob', scope: 'read', exp, cnf: { jkt } },
    'opaque-plain': { active: true, sub: 'bob', scope: 'read', exp },
  };
  as.route('/introspect', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      json(active[new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? ''] ?? { active: false })(req, res),
    );
  });
  const v = f.verifier({ introspection: { endpoint: `${as.origin}/introspect`, clientId: 'rs', clientSecret: 's3cret' } });
  assert.equal((await v.verifyRequest({ headers: bearer('opaque-plain') })).via, 'introspection');
  const bound = await failure(v.verifyRequest({ headers: bearer('opaque-bound') }));
  assert.equal(bound.status, 401);
  assert.equal(bound.error, 'invalid_token');
  const url = 'https://api.test.example/items';
  const d = await failure(
    v.verifyRequest(new Request(url, { headers: { authorization: 'DPoP opaque-bound', dpop: await proof(url, 'GET', 'opaque-bound') } })),
  );
  assert.equal(d.code, 'ERR_DPOP');
  assert.equal(d.status, 401);
  assert.equal(d.error, 'invalid_dpop_proof');
});
