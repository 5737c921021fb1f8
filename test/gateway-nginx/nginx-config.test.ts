/**
 * The nginx config of docs/gateway-nginx.md in a real nginx, in front of a stand-in validator (a
 * node:http server with fixed answers) so that what nginx itself does is pinned apart from the
 * real service: which status and headers reach the client, what the auth subrequest carries, that
 * client-sent identity headers never reach the API, and that a dead replica is retried.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { siteConfig, startNginx, startUpstream, type TestNginx, type TestUpstream } from '../support/nginx.js';

interface Seen {
  method: string;
  url: string;
  originalMethod: string | undefined;
  originalUri: string | undefined;
  host: string | undefined;
  body: number;
}

interface StandIn {
  readonly address: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/** A stand-in validator. `name` goes into X-Auth-Subject; `flaky` drops "Bearer flaky" checks. */
async function standIn(name: string, flaky = false): Promise<StandIn> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = 0;
    req.on('data', (d: Buffer) => (body += d.length));
    req.on('end', () => {
      const h = (k: string): string | undefined => {
        const v = req.headers[k];
        return Array.isArray(v) ? v.join(',') : v;
      };
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        originalMethod: h('x-original-method'),
        originalUri: h('x-original-uri'),
        host: h('host'),
        body,
      });
      const auth = h('authorization');
      const uri = h('x-original-uri') ?? '';
      if (auth === 'Bearer flaky' && flaky) {
        req.socket.destroy(); // a replica dying mid-check
        return;
      }
      if (auth === 'Bearer good' || auth === 'Bearer flaky') {
        res.writeHead(200, { 'x-auth-subject': name, 'x-auth-scope': 'read', 'x-auth-claims': 'e30' });
        res.end();
      } else if (auth === 'Bearer noscope') {
        res.writeHead(403, { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="admin"' });
        res.end();
      } else if (auth === 'Bearer teapot') {
        res.writeHead(400);
        res.end();
      } else if (uri.startsWith('/public/')) {
        res.writeHead(200);
        res.end();
      } else {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="api"' });
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let a: StandIn;
let b: StandIn;
let api: TestUpstream;
let nginx: TestNginx;

before(async () => {
  a = await standIn('replica-a', true);
  b = await standIn('replica-b');
  api = await startUpstream();
  nginx = await startNginx(siteConfig({ validators: [a.address, b.address], api: api.address }));
});

after(async () => {
  await nginx?.close();
  await Promise.all([a?.close(), b?.close(), api?.close()]);
});

async function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Response> {
  return fetch(`${nginx.origin}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

test('the site config is the tested block of docs/gateway-nginx.md, with the test addresses', () => {
  const conf = siteConfig({ validators: [a.address, b.address], api: api.address });
  assert.ok(conf.includes(`server ${a.address} max_fails=1`));
  assert.ok(conf.includes(`server ${b.address} max_fails=1`));
  assert.ok(conf.includes(`server ${api.address};`));
  assert.ok(!conf.includes('127.0.0.1:808'), 'no example address left');
});

test('a 200 check lets the request through with the identity headers; the subrequest is a bodiless GET naming the original method and URI', async () => {
  const before = api.received.length;
  const seenBefore = a.seen.length + b.seen.length;
  const res = await get('/orders/7?x=1', { authorization: 'Bearer good', 'content-type': 'text/plain' }, 'POST', 'hello');
  assert.equal(res.status, 200);
  const echoed = (await res.json()) as { method: string; path: string; headers: Record<string, string> };
  assert.equal(echoed.method, 'POST');
  assert.equal(echoed.path, '/orders/7?x=1');
  assert.match(echoed.headers['x-auth-subject'] ?? '', /^replica-[ab]$/);
  assert.equal(echoed.headers['x-auth-scope'], 'read');
  assert.equal(echoed.headers['x-auth-claims'], 'e30');
  assert.equal(echoed.headers['x-auth-client-id'], undefined, 'an empty variable sends no header');
  assert.equal(api.received.length, before + 1);
  const checks = [...a.seen, ...b.seen].slice(0);
  assert.equal(checks.length, seenBefore + 1);
  const check = [...a.seen, ...b.seen].find((s) => s.originalUri === '/orders/7?x=1');
  assert.ok(check);
  assert.equal(check.method, 'GET');
  assert.equal(check.url, '/check');
  assert.equal(check.originalMethod, 'POST');
  assert.equal(check.body, 0);
  assert.equal(check.host, `127.0.0.1:${nginx.port}`);
});

test('no token: 401 and the validator WWW-Authenticate reach the client; the API sees nothing', async () => {
  const before = api.received.length;
  const res = await get('/orders/7');
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
  assert.equal(api.received.length, before);
});

test('missing scope: 403 with the insufficient_scope challenge reaching the client (the error_page trick), once', async () => {
  const before = api.received.length;
  const res = await get('/admin/x', { authorization: 'Bearer noscope' });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api", error="insufficient_scope", scope="admin"');
  assert.equal(api.received.length, before);
  // The 401 path must not get a second copy from the 403 location.
  const r401 = await get('/orders/7');
  assert.equal(r401.headers.get('www-authenticate'), 'Bearer realm="api"');
});

test('any other validator status becomes a 500 for the client (why the service never answers 400/5xx for a bad token)', async () => {
  const res = await get('/orders/7', { authorization: 'Bearer teapot' });
  assert.equal(res.status, 500);
});

test('a public route passes without a token, and client-sent identity headers never reach the API', async () => {
  const res = await get('/public/info', { 'x-auth-subject': 'root', 'x-auth-scope': 'admin', 'x-original-method': 'DELETE' });
  assert.equal(res.status, 200);
  const echoed = (await res.json()) as { headers: Record<string, string> };
  assert.equal(echoed.headers['x-auth-subject'], undefined);
  assert.equal(echoed.headers['x-auth-scope'], undefined);
  const check = [...a.seen, ...b.seen].find((s) => s.originalUri === '/public/info');
  assert.equal(check?.originalMethod, 'GET', 'the client cannot choose X-Original-Method');
});

test('a replica that drops the check mid-request is retried on the other: every request gets the right answer', async () => {
  for (let i = 0; i < 10; i++) {
    const res = await get(`/flaky/${i}`, { authorization: 'Bearer flaky' });
    assert.equal(res.status, 200, nginx.errorLog().slice(-500));
    const echoed = (await res.json()) as { headers: Record<string, string> };
    assert.equal(echoed.headers['x-auth-subject'], 'replica-b');
  }
  assert.ok(
    a.seen.some((s) => s.originalUri?.startsWith('/flaky/')),
    'replica a was tried at least once (round-robin), so the retry was exercised',
  );
});
