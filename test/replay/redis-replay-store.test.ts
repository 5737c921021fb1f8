import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  createRedisReplayStore,
  createVerifier,
  VerifyError,
  type ReplayStore,
  type Verifier,
} from '../../src/index.js';
import { makeIssuer, type TestIssuer } from '../support/sign.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const ISSUER = 'https://issuer.replay.example';
const AUDIENCE = 'client-replay';
const CHILD = fileURLToPath(new URL('../fixtures/replay-child.ts', import.meta.url));

let redis: TestRedis;
let es: TestIssuer;
let nodeRedis: ReturnType<typeof createClient>;
let ioredis: Redis;

function codeOf(e: unknown): string {
  return e instanceof VerifyError ? e.code : `not a VerifyError: ${String(e)}`;
}

function logoutToken(jti: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return es.sign(
    { iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 120, jti, sid: 's1', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } },
    { typ: 'logout+jwt' },
  );
}

function verifierWith(store: ReplayStore): Verifier {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks, replayStore: store });
}

before(async () => {
  es = await makeIssuer('ES256');
  redis = await startRedis();
  nodeRedis = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
  ioredis = new Redis({ host: '127.0.0.1', port: redis.port, retryStrategy: () => 50, lazyConnect: true });
  ioredis.on('error', () => {});
  await ioredis.connect();
});

after(async () => {
  await nodeRedis?.quit().catch(() => {});
  ioredis?.disconnect();
  await redis?.close();
});

function runChild(env: Record<string, string>): Promise<{ accepted: number; codes: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      // Without NODE_TEST_CONTEXT: the child is a plain script, not a node:test subprocess.
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
        REDIS_URL: redis.url,
        JWKS: JSON.stringify(es.jwks),
        ISSUER,
        AUDIENCE,
        REPEAT: '20',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as { accepted: number; codes: string[] })
        : reject(new Error(`child exited ${code}: ${err.slice(0, 800)}`)),
    );
  });
}

describe('createRedisReplayStore against a real redis-server', () => {
  for (const [name, client] of [
    ['node-redis', () => nodeRedis],
    ['ioredis', () => ioredis],
  ] as const) {
    it(`${name}: SET NX PXAT, first claim true, then false, expiry set`, async () => {
      const store = createRedisReplayStore({ client: client(), prefix: `t:${name}:` });
      const exp = Date.now() + 60_000;
      assert.equal(await store.claim('k1', exp), true);
      assert.equal(await store.claim('k1', exp), false);
      const ttl = await nodeRedis.pTTL(`t:${name}:k1`);
      assert.ok(ttl > 50_000 && ttl <= 60_000, `pttl ${ttl}`);
      const gone = Date.now() + 150;
      assert.equal(await store.claim('k2', gone), true);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await store.claim('k2', Date.now() + 60_000), true, 'Redis dropped the key at its expiry');
    });

    it(`${name}: 1,000 concurrent claims of one key give exactly one true`, async () => {
      const store = createRedisReplayStore({ client: client(), prefix: `c:${name}:`, timeout: 10_000 });
      const exp = Date.now() + 60_000;
      const answers = await Promise.all(Array.from({ length: 1000 }, () => store.claim('same', exp)));
      assert.equal(answers.filter((a) => a).length, 1);
      assert.equal(answers.length, 1000);
    });
  }

  it('two verifier processes sharing one Redis accept one logout token once in total', async () => {
    const token = await logoutToken('two-processes');
    const run = () => runChild({ TOKEN: token });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.accepted + b.accepted, 1, JSON.stringify({ a, b }));
    assert.deepEqual([...a.codes, ...b.codes].sort(), Array(39).fill('ERR_REPLAY'));
    // and this process, a third instance, sees it as a replay too
    await assert.rejects(
      verifierWith(createRedisReplayStore({ client: nodeRedis })).verifyLogoutToken(token),
      (e: unknown) => codeOf(e) === 'ERR_REPLAY',
    );
  });

  it('two verifier processes sharing one Redis accept one DPoP proof once in total (RFC 9449 §11.1)', async () => {
    const holder = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const url = 'https://api.replay.example/orders';
    const token = await es.sign(
      {
        iss: ISSUER,
        sub: 'u1',
        aud: AUDIENCE,
        exp: now + 120,
        iat: now,
        jti: 'at-two-processes',
        client_id: 'c1',
        cnf: { jkt: await calculateThumbprint(holder.publicKey) },
      },
      { typ: 'at+jwt' },
    );
    const proof = await generateProof(holder, url, 'GET', undefined, token);
    const [a, b] = await Promise.all([
      runChild({ TOKEN: token, PROOF: proof, PROOF_URL: url }),
      runChild({ TOKEN: token, PROOF: proof, PROOF_URL: url }),
    ]);
    assert.equal(a.accepted + b.accepted, 1, JSON.stringify({ a, b }));
    assert.deepEqual([...a.codes, ...b.codes].sort(), Array(39).fill('ERR_DPOP'));
  });

  it('keys are namespaced and hashed: a 10 KB jti gives a short key', async () => {
    const prefix = 'big:';
    const v = verifierWith(createRedisReplayStore({ client: nodeRedis, prefix }));
    const jti = 'x'.repeat(10 * 1024);
    const token = await logoutToken(jti);
    await v.verifyLogoutToken(token);
    await assert.rejects(v.verifyLogoutToken(token), (e: unknown) => codeOf(e) === 'ERR_REPLAY');
    const keys = await nodeRedis.keys(`${prefix}*`);
    assert.equal(keys.length, 1);
    assert.ok(keys[0]!.length < 64, `key of ${keys[0]!.length} chars`);
    // a long key from another caller is hashed by the store itself
    const store = createRedisReplayStore({ client: nodeRedis, prefix: 'raw:' });
    assert.equal(await store.claim('y'.repeat(10_000), Date.now() + 60_000), true);
    const raw = await nodeRedis.keys('raw:*');
    assert.ok(raw.length === 1 && raw[0]!.length < 64, `raw keys ${raw.map((k) => k.length).join(',')}`);
  });

  it('Redis stopped mid-run: verifications needing the store fail closed with ERR_REPLAY_STORE, then recover', async () => {
    const stores = [
      createRedisReplayStore({ client: nodeRedis, prefix: 'down:n:', timeout: 300 }),
      createRedisReplayStore({ client: ioredis, prefix: 'down:i:', timeout: 300 }),
    ];
    const verifiers = stores.map(verifierWith);
    for (const v of verifiers) await v.verifyLogoutToken(await logoutToken(`before-${Math.random()}`));
    await redis.stop();
    try {
      for (const v of verifiers) {
        const token = await logoutToken(`during-${Math.random()}`);
        await assert.rejects(v.verifyLogoutToken(token), (e: unknown) => codeOf(e) === 'ERR_REPLAY_STORE');
      }
    } finally {
      await redis.start();
    }
    // clients reconnect on their own; the store works again without a new verifier
    for (const v of verifiers) {
      let last: unknown;
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        try {
          await v.verifyLogoutToken(await logoutToken(`after-${i}-${Math.random()}`));
          ok = true;
        } catch (e) {
          last = e;
          assert.equal(codeOf(e), 'ERR_REPLAY_STORE');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.ok(ok, `did not recover: ${String(last)}`);
    }
  });

  it('a closed client fails closed at once', async () => {
    const c = createClient({ url: redis.url });
    c.on('error', () => {});
    await c.connect();
    await c.quit();
    const store = createRedisReplayStore({ client: c });
    await assert.rejects(store.claim('k', Date.now() + 1000), (e: unknown) => codeOf(e) === 'ERR_REPLAY_STORE');
  });

  it('refuses a client without set()', () => {
    assert.throws(
      () => createRedisReplayStore({ client: {} as never }),
      (e: unknown) => codeOf(e) === 'ERR_CONFIG',
    );
  });
});
