import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { createClient } from 'redis';
import { startRedis, type TestRedis } from '../support/redis.js';
import { baseConfig, logSink, parseMetrics, send, startIssuer, type IssuerFixture } from './helpers.js';
import { startGateway, type GatewayHandle } from '../../src/server/index.js';
import type { IncomingMessage } from 'node:http';

let redis: TestRedis;
let issuer: IssuerFixture;
let a: GatewayHandle;
let b: GatewayHandle;
const SECRET = 'gw-introspection-secret';
/** Introspection requests per token, as the authorization server saw them. */
const introspected = new Map<string, number>();

function form(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
  });
}

before(async () => {
  redis = await startRedis();
  issuer = await startIssuer();
  issuer.server.route('/introspect', (req, res) => {
    void form(req).then((body) => {
      const token = body.get('token') ?? '';
      introspected.set(token, (introspected.get(token) ?? 0) + 1);
      const auth = req.headers.authorization ?? '';
      const ok = auth === `Basic ${Buffer.from(`gw:${SECRET}`).toString('base64')}`;
      const active = ok && token.startsWith('opaque-active');
      // "opaque-active-slow" tokens are answered after 50 ms, so checks on both replicas overlap.
      const delay = token.startsWith('opaque-active-slow') ? 50 : 0;
      setTimeout(() => {
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            active
              ? {
                  active: true,
                  sub: 'bob',
                  client_id: 'svc-1',
                  scope: 'read',
                  exp: Math.floor(Date.now() / 1000) + 600,
                  token_type: 'Bearer',
                }
              : { active: false },
          ),
        );
      }, delay);
    });
  });
  const config = baseConfig(issuer, {
    redis: { url: { env: 'REDIS_URL' }, prefix: `gwtest-${process.pid}:` },
    introspection: {
      endpoint: `${issuer.server.origin}/introspect`,
      clientId: 'gw',
      clientSecret: { env: 'INTROSPECTION_SECRET' },
      cache: { ttl: 30000 },
    },
  });
  const env = { REDIS_URL: redis.url, INTROSPECTION_SECRET: SECRET };
  a = await startGateway(config, { port: 0, env, log: logSink().log });
  b = await startGateway(config, { port: 0, env, log: logSink().log });
  // Both replicas ready: keys loaded, Redis answering.
  for (const g of [a, b]) {
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await send(g.url, '/readyz')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200, 'replica ready');
  }
});

after(async () => {
  await a?.close();
  await b?.close();
  await issuer?.close();
  await redis?.close();
});

const nginx = (method: string, uri: string): Record<string, string> => ({
  'x-original-method': method,
  'x-original-uri': uri,
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'api.gateway.example',
});

describe('serve: two replicas sharing one redis-server', () => {
  it('a DPoP proof accepted by one replica is refused by the other (replay store in Redis)', async () => {
    const keyPair = await generateKeyPair('ES256');
    const token = await issuer.token({ cnf: { jkt: await calculateThumbprint(keyPair.publicKey) } });
    const proof = await generateProof(keyPair, 'https://api.gateway.example/orders', 'POST', undefined, token);
    const headers = { authorization: `DPoP ${token}`, dpop: proof, ...nginx('POST', '/orders') };
    assert.equal((await send(a.url, '/check', { headers })).status, 200);
    const replay = await send(b.url, '/check', { headers });
    assert.equal(replay.status, 401);
    assert.match(String(replay.headers['www-authenticate']), /invalid_dpop_proof/);
    // A fresh proof passes on the other replica.
    const fresh = await generateProof(keyPair, 'https://api.gateway.example/orders', 'POST', undefined, token);
    assert.equal((await send(b.url, '/check', { headers: { ...headers, dpop: fresh } })).status, 200);
  });

  it('an opaque token checked on both replicas makes ONE introspection request (shared cache under its SHA-256)', async () => {
    const token = `opaque-active-${process.pid}-${Date.now()}`;
    const ra = await send(a.url, '/check', { headers: { authorization: `Bearer ${token}`, ...nginx('GET', '/x') } });
    assert.equal(ra.status, 200, ra.body);
    assert.equal(ra.headers['x-auth-subject'], 'bob');
    assert.equal(ra.headers['x-auth-client-id'], 'svc-1');
    // The shared write is not awaited by the check: give it a moment to land.
    const check = createClient({ url: redis.url });
    await check.connect();
    try {
      let keys: string[] = [];
      for (let i = 0; i < 50 && keys.length === 0; i++) {
        keys = await check.keys(`gwtest-${process.pid}:introspection:*`);
        if (keys.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(keys.length, 1);
      // Keyed by the SHA-256 of the token, never the token; the TTL is at most the configured 30 s.
      assert.ok(!keys[0]!.includes(token));
      const ttl = await check.pTTL(keys[0]!);
      assert.ok(ttl > 0 && ttl <= 30000, `pttl ${ttl}`);
      assert.ok(!JSON.stringify(await check.get(keys[0]!)).includes(token));
    } finally {
      await check.close();
    }
    for (let i = 0; i < 3; i++) {
      const rb = await send(b.url, '/check', { headers: { authorization: `Bearer ${token}`, ...nginx('GET', '/x') } });
      assert.equal(rb.status, 200);
      assert.equal(rb.headers['x-auth-subject'], 'bob');
    }
    assert.equal(introspected.get(token), 1);
    const mb = parseMetrics((await send(b.url, '/metrics')).body);
    assert.equal(mb.value('oidc_verifier_introspection_requests_total'), 0);
    assert.equal(mb.value('oidc_verifier_introspection_cache_hits_total'), 3);
    assert.equal(mb.value('oidc_verifier_introspection_shared_cache_lookups_total', { result: 'hit' }), 1);
  });

  it('a new opaque token checked on both replicas AT ONCE makes one introspection request (a claim in Redis)', async () => {
    const token = `opaque-active-slow-${process.pid}-${Date.now()}`;
    const headers = { authorization: `Bearer ${token}`, ...nginx('GET', '/x') };
    const answers = await Promise.all([a, b, a, b].map((g) => send(g.url, '/check', { headers })));
    for (const r of answers) {
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers['x-auth-subject'], 'bob');
    }
    assert.equal(introspected.get(token), 1);
    const check = createClient({ url: redis.url });
    await check.connect();
    try {
      // The claim is released once the answer is stored; claims too are keyed by the SHA-256.
      assert.deepEqual(await check.keys(`gwtest-${process.pid}:introspection:claim:*`), []);
      for (const k of await check.keys(`gwtest-${process.pid}:*`)) assert.ok(!k.includes(token));
    } finally {
      await check.close();
    }
  });

  it('an inactive token is never cached: each check asks again, and is refused with 401', async () => {
    const token = `opaque-revoked-${Date.now()}`;
    for (const g of [a, b]) {
      const r = await send(g.url, '/check', { headers: { authorization: `Bearer ${token}`, ...nginx('GET', '/x') } });
      assert.equal(r.status, 401);
    }
    assert.equal(introspected.get(token), 2);
  });

  it('Redis down: DPoP checks fail closed (503), /readyz says why; back up: both recover', async () => {
    const keyPair = await generateKeyPair('ES256');
    const token = await issuer.token({ cnf: { jkt: await calculateThumbprint(keyPair.publicKey) } });
    const proof = (): Promise<string> => generateProof(keyPair, 'https://api.gateway.example/orders', 'GET', undefined, token);
    await redis.stop();
    try {
      const r = await send(a.url, '/check', {
        headers: { authorization: `DPoP ${token}`, dpop: await proof(), ...nginx('GET', '/orders') },
      });
      assert.equal(r.status, 503);
      const ready = await send(a.url, '/readyz');
      assert.equal(ready.status, 503);
      assert.match(ready.body, /redis/);
      const m = parseMetrics((await send(a.url, '/metrics')).body);
      assert.ok((m.value('oidc_verifier_replay_store_errors_total') ?? 0) >= 1);
      assert.ok((m.value('oidc_verifier_requests_total', { outcome: 'error', code: 'ERR_REPLAY_STORE', route: 'default' }) ?? 0) >= 1);
    } finally {
      await redis.start();
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (
        await send(a.url, '/check', { headers: { authorization: `DPoP ${token}`, dpop: await proof(), ...nginx('GET', '/orders') } })
      ).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200);
    assert.equal((await send(b.url, '/readyz')).status, 200);
  });
});
