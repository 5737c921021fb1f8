import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchError } from '../../src/errors.js';
import { fetchJson, processJsonResponse, type FetchLike } from '../../src/remote/http.js';
import { checkUrl, isLoopbackHost } from '../../src/remote/url-policy.js';
import { hang, json, rejectsWith, startServer, type TestServer } from '../support/jwks-server.js';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(() => srv.close());

const get = (path: string, extra: Partial<Parameters<typeof fetchJson>[1]> = {}) =>
  fetchJson(srv.origin + path, { code: 'ERR_JWKS_FETCH', ...extra });

describe('fetchJson', () => {
  test('returns the parsed object, the headers and the status', async () => {
    srv.route('/ok', json({ a: 1, __proto__x: 2 }, { 'cache-control': 'max-age=60' }));
    const res = await get('/ok');
    assert.deepEqual(res.body, { a: 1, __proto__x: 2 });
    assert.equal(res.headers.get('cache-control'), 'max-age=60');
    assert.equal(res.status, 200);
    assert.equal(res.url, `${srv.origin}/ok`);
  });

  test('drops __proto__ members', async () => {
    srv.route('/proto', json('{"__proto__":{"polluted":true},"b":2}'));
    const res = await get('/proto');
    assert.equal(Object.getPrototypeOf(res.body), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.hasOwn(res.body, '__proto__'), false);
    assert.equal(res.body.b, 2);
  });

  test('a non-2xx status fails with the given code, the URL and the status', async () => {
    srv.route('/500', json({ error: 'x' }, {}, 500));
    const err = await rejectsWith(get('/500'), 'ERR_JWKS_FETCH');
    assert.ok(err instanceof FetchError);
    assert.equal(err.status, 500);
    assert.equal(err.url, `${srv.origin}/500`);
    assert.match(err.message, /JWKS request to http:\/\/127\.0\.0\.1:\d+\/500 failed: HTTP 500/);
    const d = await rejectsWith(fetchJson(`${srv.origin}/500`, { code: 'ERR_DISCOVERY' }), 'ERR_DISCOVERY');
    assert.match(d.message, /^discovery request/);
    await rejectsWith(fetchJson(`${srv.origin}/500`, { code: 'ERR_INTROSPECTION' }), 'ERR_INTROSPECTION');
  });

  test('a server that never answers times out', async () => {
    srv.route('/hang', hang);
    const err = await rejectsWith(get('/hang', { timeout: 150 }), 'ERR_JWKS_FETCH');
    assert.match(err.message, /timed out after 150 ms/);
  });

  test('a body that never ends times out', async () => {
    srv.route('/slow-body', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":');
    });
    const err = await rejectsWith(get('/slow-body', { timeout: 150 }), 'ERR_JWKS_FETCH');
    assert.match(err.message, /timed out/);
  });

  test('a fetch that ignores the abort signal still cannot hang the caller', async () => {
    const deaf: FetchLike = (url, init) => fetch(url, { ...init, signal: null });
    const err = await rejectsWith(get('/hang', { timeout: 150, fetch: deaf }), 'ERR_JWKS_FETCH');
    assert.match(err.message, /timed out/);
  });

  test('not JSON, JSON but not an object, invalid UTF-8, empty body', async () => {
    srv.route('/html', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>oops</html>');
    });
    srv.route('/array', json('[1,2]'));
    srv.route('/latin1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
    });
    srv.route('/empty', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
    });
    const html = await rejectsWith(get('/html'), 'ERR_JWKS_FETCH');
    assert.match(html.message, /expected a JSON response .*got Content-Type "text\/html"/);
    assert.equal((html as FetchError).reason, 'content_type');
    // Introspection does not require the JSON media type: the body rule alone applies.
    assert.match(
      (await rejectsWith(get('/html', { code: 'ERR_INTROSPECTION' }), 'ERR_INTROSPECTION')).message,
      /body is not JSON \(content-type text\/html\)/,
    );
    assert.match((await rejectsWith(get('/array'), 'ERR_JWKS_FETCH')).message, /JSON but not an object/);
    assert.match((await rejectsWith(get('/latin1'), 'ERR_JWKS_FETCH')).message, /not valid UTF-8/);
    assert.match((await rejectsWith(get('/empty'), 'ERR_JWKS_FETCH')).message, /not JSON/);
  });

  test('an oversized body is refused by Content-Length and by streamed size', async () => {
    const big = JSON.stringify({ keys: [], pad: 'x'.repeat(2000) });
    srv.route('/big-declared', json(big, { 'content-length': String(Buffer.byteLength(big)) }));
    let streamedClosed = false;
    srv.route('/big-chunked', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"pad":"');
      const timer = setInterval(() => res.write('x'.repeat(1024)), 5);
      res.on('close', () => {
        streamedClosed = true;
        clearInterval(timer);
      });
      req.on('close', () => clearInterval(timer));
    });
    const a = await rejectsWith(get('/big-declared', { maxResponseSize: 1024 }), 'ERR_JWKS_FETCH');
    assert.match(a.message, /too large: Content-Length \d+ exceeds the 1024-byte limit/);
    const b = await rejectsWith(get('/big-chunked', { maxResponseSize: 16 * 1024 }), 'ERR_JWKS_FETCH');
    assert.match(b.message, /too large: more than 16384 bytes/);
    // The connection is torn down rather than drained.
    for (let i = 0; i < 100 && !streamedClosed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(streamedClosed, true);
    // The default cap is 512 KiB.
    srv.route('/600k', json({ pad: 'x'.repeat(600 * 1024) }));
    assert.match((await rejectsWith(get('/600k'), 'ERR_JWKS_FETCH')).message, /524288/);
  });

  test('follows up to 3 redirects, each hop re-checked; relative Location works', async () => {
    const redirect = (to: string, status = 302) => json('', { location: to }, status);
    srv.route('/r1', redirect('/r2', 301));
    srv.route('/r2', redirect(`${srv.origin}/r3`, 307));
    srv.route('/r3', redirect('r4', 308));
    srv.route('/r4', json({ done: true }));
    const res = await get('/r1');
    assert.deepEqual(res.body, { done: true });
    assert.equal(res.url, `${srv.origin}/r4`);

    srv.route('/r0', redirect('/r1'));
    const before = srv.count('/r4');
    const err = await rejectsWith(get('/r0'), 'ERR_JWKS_FETCH');
    assert.match(err.message, /more than 3 redirects/);
    assert.equal(srv.count('/r4'), before, 'the 4th hop is never requested');
    await rejectsWith(get('/r1', { maxRedirects: 0 }), 'ERR_JWKS_FETCH');
  });

  test('a redirect to plain http on a non-loopback host, or to another scheme, is refused', async () => {
    let calls = 0;
    const counting: FetchLike = (url, init) => {
      calls++;
      return fetch(url, init);
    };
    srv.route('/to-http', json('', { location: 'http://idp.example.com/jwks' }, 302));
    srv.route('/to-file', json('', { location: 'file:///etc/passwd' }, 302));
    srv.route('/no-location', json('', {}, 302));
    const a = await rejectsWith(get('/to-http', { fetch: counting }), 'ERR_JWKS_FETCH');
    assert.match(a.message, /plain http is only allowed for loopback hosts.*at redirect hop 1: http:\/\/idp\.example\.com\/jwks/);
    assert.equal(calls, 1, 'the refused hop is never requested');
    assert.match((await rejectsWith(get('/to-file'), 'ERR_JWKS_FETCH')).message, /scheme file: is not allowed/);
    assert.match((await rejectsWith(get('/no-location'), 'ERR_JWKS_FETCH')).message, /without a Location/);
  });

  test('POST requests are never redirected', async () => {
    srv.route('/post-redirect', json('', { location: '/ok' }, 307));
    const err = await rejectsWith(
      fetchJson(`${srv.origin}/post-redirect`, { code: 'ERR_INTROSPECTION', method: 'POST', body: 'token=x' }),
      'ERR_INTROSPECTION',
    );
    assert.match(err.message, /not followed for a POST/);
  });

  test('plain http to a non-loopback host is refused before any request', async () => {
    let calls = 0;
    const counting: FetchLike = (url, init) => {
      calls++;
      return fetch(url, init);
    };
    const err = await rejectsWith(fetchJson('http://idp.example.com/jwks', { code: 'ERR_JWKS_FETCH', fetch: counting }), 'ERR_JWKS_FETCH');
    assert.match(err.message, /allowHttp: true/);
    await rejectsWith(fetchJson('ftp://idp.example.com/jwks', { code: 'ERR_JWKS_FETCH', fetch: counting }), 'ERR_JWKS_FETCH');
    await rejectsWith(fetchJson('not a url', { code: 'ERR_JWKS_FETCH', fetch: counting }), 'ERR_JWKS_FETCH');
    assert.equal(calls, 0);
  });

  test('a connection refused is a network error with the code', async () => {
    const closed = await startServer();
    const origin = closed.origin;
    await closed.close();
    const err = await rejectsWith(fetchJson(`${origin}/jwks`, { code: 'ERR_JWKS_FETCH' }), 'ERR_JWKS_FETCH');
    assert.match(err.message, /network error/);
  });
});

describe('processJsonResponse (no network)', () => {
  const opts = { code: 'ERR_DISCOVERY' as const, url: 'https://idp.example/x' };
  test('accepts a 2xx JSON object', async () => {
    const res = await processJsonResponse(new Response('{"a":1}', { status: 200, headers: { 'content-type': 'application/json' } }), opts);
    assert.deepEqual(res.body, { a: 1 });
  });
  test('refuses 404 and 204, and a declared length above the cap', async () => {
    const e404 = await rejectsWith(
      processJsonResponse(new Response('nope', { status: 404, statusText: 'Not Found' }), opts),
      'ERR_DISCOVERY',
    );
    assert.match(e404.message, /HTTP 404 Not Found/);
    await rejectsWith(processJsonResponse(new Response(null, { status: 204 }), opts), 'ERR_DISCOVERY');
    const big = new Response('{}', { status: 200, headers: { 'content-length': '999999', 'content-type': 'application/json' } });
    assert.match((await rejectsWith(processJsonResponse(big, { ...opts, maxResponseSize: 10 }), 'ERR_DISCOVERY')).message, /too large/);
  });
  test('names the OAuth error of a non-2xx JSON body (RFC 6749 §5.2), bounded', async () => {
    const body = JSON.stringify({ error: 'invalid_client', error_description: 'client authentication failed' });
    const e401 = await rejectsWith(
      processJsonResponse(new Response(body, { status: 401 }), { ...opts, code: 'ERR_INTROSPECTION' }),
      'ERR_INTROSPECTION',
    );
    assert.match(e401.message, /HTTP 401: error "invalid_client" \("client authentication failed"\)/);
    assert.equal((e401 as FetchError).status, 401);
    // A huge error body is not read past the bound, and a non-OAuth body adds nothing.
    const huge = await rejectsWith(processJsonResponse(new Response('x'.repeat(1_000_000), { status: 500 }), opts), 'ERR_DISCOVERY');
    assert.match(huge.message, /HTTP 500$/);
  });
});

describe('url policy', () => {
  test('loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['128.0.0.1', '10.0.0.1', 'localhost.example.com', 'example.com', '[::2]', '127.0.0.1.nip.io']) {
      assert.equal(isLoopbackHost(h), false, h);
    }
    // URL canonicalises numeric IPv4 forms before the check.
    assert.ok(checkUrl('http://2130706433/jwks', false) instanceof URL);
    assert.ok(checkUrl('http://[::1]:8080/jwks', false) instanceof URL);
  });
  test('https always; http only for loopback or allowHttp; no credentials', () => {
    assert.ok(checkUrl('https://idp.example.com/jwks', false) instanceof URL);
    assert.equal(typeof checkUrl('http://idp.example.com/jwks', false), 'string');
    assert.ok(checkUrl('http://idp.example.com/jwks', true) instanceof URL);
    assert.match(checkUrl('https://user:pw@idp.example.com/', false) as string, /credentials/);
    assert.match(checkUrl('javascript:alert(1)', true) as string, /scheme/);
  });
});
