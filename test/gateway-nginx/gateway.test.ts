/**
 * `oidc-verifier serve` behind a REAL nginx (the config of docs/gateway-nginx.md): two replicas
 * (child processes of the built CLI) sharing a real redis-server, a JWKS server and the API
 * upstream, all on 127.0.0.1. What a client sees through nginx, what the API receives, and DPoP
 * across replicas (RFC 9449 §4.3, §11.1).
 */
import assert from 'node:assert/strict';
import { rawRequest, type RawAnswer } from '../support/raw-request.js';
import { after, before, test } from 'node:test';
import { generateProof } from 'dpop';
import { holder } from '../support/dpop-holder.js';
import { AUDIENCE, ISSUER, metrics, startStack, type Stack } from '../support/gateway-stack.js';

let stack: Stack;
const sent: string[] = []; // every token and proof sent, to check none reaches a log line

before(async () => {
  stack = await startStack({ replicas: 2 });
});

after(async () => {
  await stack?.close();
});

type Answer = RawAnswer;

/** One request over node:http (it can set Host, which fetch cannot); every header value sent is kept. */
function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  for (const v of Object.values(init.headers ?? {})) sent.push(v);
  return rawRequest(url, init);
}

const echoed = (a: Answer): { method: string; path: string; headers: Record<string, string> } =>
  JSON.parse(a.body) as { method: string; path: string; headers: Record<string, string> };

test('a valid token: the API receives the request with the identity headers', async () => {
  const token = await stack.token({ sub: 'alice', client_id: 'client-1', scope: 'read' });
  const a = await send(`${stack.nginx.origin}/orders/42?x=1`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(a.status, 200, a.body);
  const e = echoed(a);
  assert.equal(e.method, 'GET');
  assert.equal(e.path, '/orders/42?x=1');
  assert.equal(e.headers['x-auth-subject'], 'alice');
  assert.equal(e.headers['x-auth-client-id'], 'client-1');
  assert.equal(e.headers['x-auth-scope'], 'read');
  assert.equal(e.headers['x-auth-issuer'], ISSUER);
  const claims = JSON.parse(Buffer.from(e.headers['x-auth-claims'] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.aud, AUDIENCE);
});

test('no token: 401 with the WWW-Authenticate challenge reaching the client; the API receives nothing', async () => {
  const before = stack.api.received.length;
  const a = await send(`${stack.nginx.origin}/orders/42`);
  assert.equal(a.status, 401, a.body);
  assert.match(String(a.headers['www-authenticate']), /^Bearer(,| |$)/);
  assert.doesNotMatch(String(a.headers['www-authenticate']), /error=/, 'no credentials: no error code (RFC 6750 §3.1)');
  assert.equal(stack.api.received.length, before);
});

test('invalid tokens: 401 invalid_token through nginx, never 500', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = {
    'bad signature': await stack.token({}, {}, stack.forger),
    expired: await stack.token({ iat: now - 3600, exp: now - 600 }),
    'wrong audience': await stack.token({ aud: 'https://other.example' }),
    garbage: 'not.a.jwt',
  };
  const before = stack.api.received.length;
  for (const [label, token] of Object.entries(cases)) {
    const a = await send(`${stack.nginx.origin}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(a.status, 401, `${label}: ${a.body}`);
    assert.match(String(a.headers['www-authenticate']), /error="invalid_token"/, label);
  }
  assert.equal(stack.api.received.length, before);
});

test('a missing scope: 403 with the insufficient_scope challenge reaching the client', async () => {
  const before = stack.api.received.length;
  const token = await stack.token({ scope: 'read' });
  const a = await send(`${stack.nginx.origin}/admin/users`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
  assert.equal(a.status, 403, a.body);
  assert.match(String(a.headers['www-authenticate']), /^Bearer .*error="insufficient_scope"/);
  assert.equal(stack.api.received.length, before);
  // The same token with the scope passes: the rule is the route's, read from the original method.
  const admin = await stack.token({ scope: 'read admin' });
  const b = await send(`${stack.nginx.origin}/admin/users`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: '{}' });
  assert.equal(b.status, 200, b.body);
  assert.equal(echoed(b).method, 'POST');
});

test('a public route passes without a token; identity headers sent by the client never reach the API', async () => {
  const a = await send(`${stack.nginx.origin}/public/info`, { headers: { 'x-auth-subject': 'root', 'x-auth-scope': 'admin' } });
  assert.equal(a.status, 200, a.body);
  const e = echoed(a);
  assert.equal(e.headers['x-auth-subject'], undefined);
  assert.equal(e.headers['x-auth-scope'], undefined);
  // and on a protected route, nginx replaces them with the verified ones
  const token = await stack.token({ sub: 'bob' });
  const b = await send(`${stack.nginx.origin}/orders/5`, { headers: { authorization: `Bearer ${token}`, 'x-auth-subject': 'root' } });
  assert.equal(b.status, 200, b.body);
  assert.equal(echoed(b).headers['x-auth-subject'], 'bob');
});

test('DPoP: a proof used at one replica is refused at the other (replay state shared in Redis)', async () => {
  const h = await holder();
  const token = await stack.token({ cnf: { jkt: h.jkt } });
  const htu = `${stack.nginx.origin}/orders/7`;
  const proof = await generateProof(h.key, htu, 'GET', undefined, token);
  const [a, b] = stack.replicas;
  assert.ok(a && b);
  // Each replica addressed directly, as nginx would call it: same Host, X-Original-* from a trusted peer.
  const asNginx = {
    authorization: `DPoP ${token}`,
    dpop: proof,
    host: `127.0.0.1:${stack.nginx.port}`,
    'x-original-method': 'GET',
    'x-original-uri': '/orders/7',
    'x-forwarded-proto': 'http',
  };
  const first = await send(`${a.url}/check`, { headers: asNginx });
  assert.equal(first.status, 200, first.body);
  const replay = await send(`${b.url}/check`, { headers: asNginx });
  assert.equal(replay.status, 401, replay.body);
  assert.match(String(replay.headers['www-authenticate']), /error="invalid_dpop_proof"/);

  // Through nginx: a fresh proof passes once, its replay is refused whichever replica gets it.
  const proof2 = await generateProof(h.key, htu, 'GET', undefined, token);
  const ok = await send(htu, { headers: { authorization: `DPoP ${token}`, dpop: proof2 } });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(echoed(ok).headers['x-auth-subject'], 'alice');
  const again = await send(htu, { headers: { authorization: `DPoP ${token}`, dpop: proof2 } });
  assert.equal(again.status, 401, again.body);
  assert.match(String(again.headers['www-authenticate']), /error="invalid_dpop_proof"/);
});

test('DPoP: a POST is checked against htm POST (not the GET subrequest); a proof made for GET is refused on POST', async () => {
  const h = await holder();
  const token = await stack.token({ cnf: { jkt: h.jkt } });
  const htu = `${stack.nginx.origin}/orders/8`;
  const post = await send(htu, {
    method: 'POST',
    headers: { authorization: `DPoP ${token}`, dpop: await generateProof(h.key, htu, 'POST', undefined, token) },
    body: '{}',
  });
  assert.equal(post.status, 200, post.body);
  assert.equal(echoed(post).method, 'POST');

  const before = stack.api.received.length;
  const wrong = await send(htu, {
    method: 'POST',
    headers: { authorization: `DPoP ${token}`, dpop: await generateProof(h.key, htu, 'GET', undefined, token) },
    body: '{}',
  });
  assert.equal(wrong.status, 401, wrong.body);
  assert.match(String(wrong.headers['www-authenticate']), /error="invalid_dpop_proof"/);
  assert.equal(stack.api.received.length, before);
});

test('DPoP: the client cannot choose the host of htu: X-Forwarded-Host / X-Original-Host it sends are replaced by nginx', async () => {
  const h = await holder();
  const token = await stack.token({ cnf: { jkt: h.jkt } });
  const url = `${stack.nginx.origin}/orders/9`;
  const spoof = { 'x-forwarded-host': 'evil.example', 'x-original-host': 'evil.example', 'x-forwarded-proto': 'https' };
  // A proof made for another host (e.g. captured there) is refused here, whatever the client claims.
  const foreign = await send(url, {
    headers: {
      authorization: `DPoP ${token}`,
      dpop: await generateProof(h.key, 'https://evil.example/orders/9', 'GET', undefined, token),
      ...spoof,
    },
  });
  assert.equal(foreign.status, 401, foreign.body);
  assert.match(String(foreign.headers['www-authenticate']), /error="invalid_dpop_proof"/);
  // The proof for the host the client really used passes despite the spoofed headers.
  const own = await send(url, {
    headers: { authorization: `DPoP ${token}`, dpop: await generateProof(h.key, url, 'GET', undefined, token), ...spoof },
  });
  assert.equal(own.status, 200, own.body);
});

test('logs: one JSON object per line, and no token or proof in any of them', () => {
  const secrets = sent.filter((s) => s.length > 40).map((s) => s.replace(/^(Bearer|DPoP) /, ''));
  assert.ok(secrets.length > 5);
  for (const r of stack.replicas) {
    assert.ok(r.logs.length > 0, `${r.name} logged something`);
    for (const line of r.logs) {
      assert.doesNotThrow(() => JSON.parse(line), `${r.name}: not JSON: ${line.slice(0, 200)}`);
      for (const s of secrets) {
        assert.ok(!line.includes(s.split('.')[2] ?? s), `${r.name} logged a signature or token: ${line.slice(0, 200)}`);
      }
    }
  }
});

test('/metrics of each replica: the heap gauge, and the checks this file made', async () => {
  for (const r of stack.replicas) {
    const m = await metrics(r);
    const heap = m.get('oidc_verifier_heap_used_bytes');
    assert.ok(heap !== undefined && heap > 1_000_000 && heap < 1e9, `${r.name}: heap ${heap}`);
    const checks = [...m].filter(([k]) => k.startsWith('oidc_verifier_requests_total{')).reduce((n, [, v]) => n + v, 0);
    assert.ok(checks > 0, `${r.name} answered checks`);
  }
});

test('SIGTERM: each replica drains and exits 0', async () => {
  for (const r of stack.replicas) assert.equal(await r.stop(), 0, r.name);
});
