/**
 * DPoP through request verification (RFC 9449 §7-9), over real HTTP on 127.0.0.1, run by every
 * stack: proofs come from the `dpop` package, tokens from the shared fixture, the replay store
 * outage from a real redis-server stopped mid-test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { generateProof } from 'dpop';
import { holder, type Holder } from '../support/dpop-holder.js';
import { createClient } from 'redis';
import { createDpopNonceSource, createRedisReplayStore, type VerifyRequestOptions } from '../../src/index.js';
import { startRedis } from '../support/redis.js';
import { bearer, DPOP_CHALLENGE, REALM, send, startFixture, type Answer, type Fixture, type StartApp } from './helpers.js';

const OPTIONS: VerifyRequestOptions = { realm: REALM, requiredScopes: ['read'] };

function challenge(a: Answer): string {
  const v = a.headers['www-authenticate'];
  assert.equal(typeof v, 'string', `expected one WWW-Authenticate header, got ${String(v)}`);
  return v as string;
}

/** `Authorization: DPoP <token>` and the proof. */
const dpopHeaders = (token: string, proof: string | string[]): Record<string, string | string[]> => ({
  authorization: `DPoP ${token}`,
  dpop: proof,
});

const boundToken = (f: Fixture, h: Holder): Promise<string> => f.accessToken({ cnf: { jkt: h.jkt } });

/** The DPoP behaviour every adapter (and bare node:http) must show. */
export function dpopSuite(name: string, startApp: StartApp): void {
  test(`${name}: DPoP requests (RFC 9449 §7.1-7.2)`, async (t) => {
    const f = await startFixture();
    const app = await startApp(f.verifier(), OPTIONS);
    t.after(async () => {
      await app.close();
      await f.close();
    });
    const url = `${app.origin}/items`;
    const h = await holder();

    await t.test('a bound token with its proof: 200 (GET and POST, scheme name in any case)', async () => {
      const at = await boundToken(f, h);
      const a = await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', undefined, at)) });
      assert.equal(a.status, 200, a.body);
      assert.equal(a.json().sub, 'alice');
      const b = await send(url, {
        method: 'POST',
        headers: { authorization: `dpop ${at}`, dpop: await generateProof(h.key, url, 'POST', undefined, at) },
      });
      assert.equal(b.status, 200, b.body);
      // query and fragment are no part of htu (§4.3 check 9)
      const c = await send(`${url}?page=2`, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', undefined, at)) });
      assert.equal(c.status, 200, c.body);
    });

    await t.test('a bound token as Bearer: 401 invalid_token, both challenges', async () => {
      const a = await send(url, { headers: bearer(await boundToken(f, h)) });
      assert.equal(a.status, 401, a.body);
      assert.equal(
        challenge(a),
        `Bearer realm="api", error="invalid_token", error_description="The access token is DPoP-bound: send it with the DPoP scheme", ${DPOP_CHALLENGE}`,
      );
    });

    await t.test('two DPoP headers: 400 invalid_dpop_proof', async () => {
      const at = await boundToken(f, h);
      const proof = await generateProof(h.key, url, 'GET', undefined, at);
      const a = await send(url, { headers: dpopHeaders(at, [proof, proof]) });
      assert.equal(a.status, 400, a.body);
      assert.equal(
        challenge(a),
        `DPoP realm="api", error="invalid_dpop_proof", error_description="The DPoP proof is invalid", algs="ES256 EdDSA", Bearer realm="api"`,
      );
      // and the proof was not spent by the refused request
      const b = await send(url, { headers: dpopHeaders(at, proof) });
      assert.equal(b.status, 200, b.body);
    });

    await t.test('the DPoP scheme without a proof: 401 invalid_dpop_proof', async () => {
      const a = await send(url, { headers: { authorization: `DPoP ${await boundToken(f, h)}` } });
      assert.equal(a.status, 401, a.body);
      assert.match(challenge(a), /^DPoP realm="api", error="invalid_dpop_proof", /);
    });

    const wrong: [string, (at: string) => Promise<string>][] = [
      ['htm of another method', (at) => generateProof(h.key, url, 'POST', undefined, at)],
      ['htu of another path', (at) => generateProof(h.key, `${app.origin}/other`, 'GET', undefined, at)],
      ['htu of another host', (at) => generateProof(h.key, `https://api.test.example/items`, 'GET', undefined, at)],
      ['a proof for another token (ath)', async () => generateProof(h.key, url, 'GET', undefined, await boundToken(f, h))],
      ['another key than cnf.jkt', async (at) => generateProof((await holder()).key, url, 'GET', undefined, at)],
      ['a malformed proof', () => Promise.resolve('not-a-proof')],
    ];
    for (const [label, make] of wrong) {
      await t.test(`${label}: 401 invalid_dpop_proof, the challenge names the algorithms`, async () => {
        const at = await boundToken(f, h);
        const proof = await make(at);
        const a = await send(url, { headers: dpopHeaders(at, proof) });
        assert.equal(a.status, 401, a.body);
        assert.equal(
          challenge(a),
          `DPoP realm="api", error="invalid_dpop_proof", error_description="The DPoP proof is invalid", algs="ES256 EdDSA", Bearer realm="api"`,
        );
        for (const part of [...at.split('.'), ...proof.split('.')])
          if (part.length > 8) assert.ok(!a.body.includes(part) && !challenge(a).includes(part), 'echoes a token');
      });
    }

    await t.test('a replayed proof: 401 invalid_dpop_proof', async () => {
      const at = await boundToken(f, h);
      const proof = await generateProof(h.key, url, 'GET', undefined, at);
      assert.equal((await send(url, { headers: dpopHeaders(at, proof) })).status, 200);
      const again = await send(url, { headers: dpopHeaders(at, proof) });
      assert.equal(again.status, 401, again.body);
      assert.match(challenge(again), /^DPoP realm="api", error="invalid_dpop_proof"/);
    });

    await t.test('an expired bound token with a good proof: 401 invalid_token in the DPoP challenge', async () => {
      const now = Math.floor(Date.now() / 1000);
      const at = await f.accessToken({ cnf: { jkt: h.jkt }, exp: now - 60, iat: now - 600 });
      const a = await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', undefined, at)) });
      assert.equal(a.status, 401, a.body);
      assert.equal(
        challenge(a),
        `DPoP realm="api", error="invalid_token", error_description="The access token expired", algs="ES256 EdDSA", Bearer realm="api"`,
      );
    });

    await t.test('a DPoP token without the route scope: 403 insufficient_scope in the DPoP challenge', async () => {
      const at = await f.accessToken({ cnf: { jkt: h.jkt }, scope: 'write' });
      const a = await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', undefined, at)) });
      assert.equal(a.status, 403, a.body);
      assert.match(
        challenge(a),
        /^DPoP realm="api", error="insufficient_scope", error_description="[^"]+", scope="read", algs="ES256 EdDSA", Bearer realm="api"$/,
      );
    });
  });

  test(`${name}: dpop "required" and "disabled"`, async (t) => {
    const f = await startFixture();
    const required = await startApp(f.verifier(), { ...OPTIONS, dpop: 'required' });
    const disabled = await startApp(f.verifier(), { ...OPTIONS, dpop: 'disabled' });
    t.after(async () => {
      await required.close();
      await disabled.close();
      await f.close();
    });
    const h = await holder();

    const r = await send(`${required.origin}/items`, { headers: bearer(await f.accessToken()) });
    assert.equal(r.status, 401, r.body);
    assert.equal(challenge(r), DPOP_CHALLENGE, 'required: a Bearer token counts as no credentials, only the DPoP challenge');
    const none = await send(`${required.origin}/items`);
    assert.equal(challenge(none), DPOP_CHALLENGE);
    const at = await boundToken(f, h);
    const ok = await send(`${required.origin}/items`, {
      headers: dpopHeaders(at, await generateProof(h.key, `${required.origin}/items`, 'GET', undefined, at)),
    });
    assert.equal(ok.status, 200, ok.body);

    const d = await send(`${disabled.origin}/items`, {
      headers: dpopHeaders(at, await generateProof(h.key, `${disabled.origin}/items`, 'GET', undefined, at)),
    });
    assert.equal(d.status, 401, d.body);
    assert.equal(challenge(d), 'Bearer realm="api"', 'disabled: the DPoP scheme counts as no credentials, only the Bearer challenge');
    const bound = await send(`${disabled.origin}/items`, { headers: bearer(at) });
    assert.equal(bound.status, 401, 'a bound token is refused as Bearer even with DPoP disabled');
    assert.equal(
      challenge(bound),
      'Bearer realm="api", error="invalid_token", error_description="The access token is DPoP-bound: send it with the DPoP scheme"',
    );
    assert.equal((await send(`${disabled.origin}/items`, { headers: bearer(await f.accessToken()) })).status, 200);
  });

  test(`${name}: server nonces (RFC 9449 §9): 401 use_dpop_nonce with DPoP-Nonce, then 200`, async (t) => {
    const f = await startFixture();
    const nonce = createDpopNonceSource({ secret: randomBytes(32) });
    const app = await startApp(f.verifier({ dpop: { algorithms: ['ES256', 'EdDSA'], nonce } }), OPTIONS);
    t.after(async () => {
      await app.close();
      await f.close();
    });
    const url = `${app.origin}/items`;
    const h = await holder();
    const at = await boundToken(f, h);
    const first = await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', undefined, at)) });
    assert.equal(first.status, 401, first.body);
    assert.equal(
      challenge(first),
      `DPoP realm="api", error="use_dpop_nonce", error_description="A DPoP nonce from the resource server is required", algs="ES256 EdDSA", Bearer realm="api"`,
    );
    const fresh = first.headers['dpop-nonce'];
    assert.equal(typeof fresh, 'string');
    assert.ok(nonce.check(fresh as string));
    const retry = await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', fresh as string, at)) });
    assert.equal(retry.status, 200, retry.body);
    const stale = await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', 'A'.repeat(32), at)) });
    assert.equal(stale.status, 401);
    assert.match(challenge(stale), /error="use_dpop_nonce"/);
    assert.equal(typeof stale.headers['dpop-nonce'], 'string');
  });

  test(`${name}: the proof URL behind a proxy: trusted forwarded headers only`, async (t) => {
    const f = await startFixture();
    const plain = await startApp(f.verifier(), OPTIONS);
    const xf = await startApp(f.verifier(), {
      ...OPTIONS,
      trustForwarded: ['x-forwarded-proto', 'x-forwarded-host', 'x-original-method', 'x-original-uri'],
    });
    const fwd = await startApp(f.verifier(), { ...OPTIONS, trustForwarded: ['forwarded'] });
    const origin = await startApp(f.verifier(), { ...OPTIONS, origin: 'https://api.test.example' });
    t.after(async () => {
      for (const a of [plain, xf, fwd, origin]) await a.close();
      await f.close();
    });
    const h = await holder();
    const PUBLIC = 'https://api.test.example/v1/items';
    const call = async (
      base: string,
      proofUrl: string,
      headers: Record<string, string>,
      method = 'GET',
      proofMethod = method,
    ): Promise<number> => {
      const at = await boundToken(f, h);
      const a = await send(`${base}/items`, {
        method,
        headers: { ...headers, ...dpopHeaders(at, await generateProof(h.key, proofUrl, proofMethod, undefined, at)) },
      });
      return a.status;
    };
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.test.example', 'x-original-uri': '/v1/items?x=1' };

    // untrusted: ignored, the URL is the request's own
    assert.equal(await call(plain.origin, `${plain.origin}/items`, proxied), 200);
    assert.equal(await call(plain.origin, PUBLIC, proxied), 401);
    assert.equal(await call(plain.origin, PUBLIC, { forwarded: 'proto=https;host=api.test.example' }), 401);
    // trusted X-Forwarded-* and X-Original-*: the client's URL and method
    assert.equal(await call(xf.origin, PUBLIC, proxied), 200);
    assert.equal(await call(xf.origin, `${xf.origin}/items`, proxied), 401);
    assert.equal(await call(xf.origin, PUBLIC, { ...proxied, 'x-original-method': 'PATCH' }, 'GET', 'PATCH'), 200);
    assert.equal(await call(xf.origin, PUBLIC, { ...proxied, 'x-original-method': 'PATCH' }, 'GET', 'GET'), 401);
    // several values: the last one, added by the nearest proxy, counts
    assert.equal(await call(xf.origin, PUBLIC, { ...proxied, 'x-forwarded-host': 'evil.example, api.test.example' }), 200);
    assert.equal(
      await call(xf.origin, 'https://evil.example/v1/items', { ...proxied, 'x-forwarded-host': 'evil.example, api.test.example' }),
      401,
    );
    // a forwarded host that is no authority: 400
    assert.equal(await call(xf.origin, PUBLIC, { ...proxied, 'x-forwarded-host': 'api.test.example/x' }), 400);
    // RFC 7239 Forwarded, last element
    assert.equal(
      await call(fwd.origin, 'https://api.test.example/items', {
        forwarded: 'for=192.0.2.1;proto=http;host=evil.example, for=192.0.2.2;proto=https;host="api.test.example"',
      }),
      200,
    );
    assert.equal(await call(fwd.origin, 'https://api.test.example/items', proxied), 401, 'X-Forwarded-* is not trusted here');
    // an explicit origin: the request's scheme and Host do not count
    assert.equal(await call(origin.origin, 'https://api.test.example/items', { 'x-forwarded-host': 'evil.example' }), 200);
    assert.equal(await call(origin.origin, `${origin.origin}/items`, {}), 401);
  });

  test(`${name}: a replay store that cannot answer is 503 (Redis stopped), preventReplay per route`, async (t) => {
    const f = await startFixture();
    const redis = await startRedis();
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {});
    await client.connect();
    const store = createRedisReplayStore({ client, prefix: `dpop-http:${name}:`, timeout: 300 });
    const verifier = f.verifier({ replayStore: store });
    const app = await startApp(verifier, OPTIONS);
    const once = await startApp(verifier, { ...OPTIONS, preventReplay: true });
    t.after(async () => {
      await app.close();
      await once.close();
      await client.disconnect().catch(() => undefined);
      await redis.close();
      await f.close();
    });
    const url = `${app.origin}/items`;
    const h = await holder();
    const at = await boundToken(f, h);
    assert.equal((await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', undefined, at)) })).status, 200);
    const token = await f.accessToken();
    assert.equal((await send(`${once.origin}/items`, { headers: bearer(token) })).status, 200);
    const replayed = await send(`${once.origin}/items`, { headers: bearer(token) });
    assert.equal(replayed.status, 401, 'preventReplay: the second use of one token (ERR_REPLAY)');
    assert.equal(
      challenge(replayed),
      `Bearer realm="api", error="invalid_token", error_description="The access token was already used", ${DPOP_CHALLENGE}`,
    );
    assert.equal((await send(url, { headers: bearer(token) })).status, 200, 'the other route does not claim the token');

    await redis.stop();
    const down = await send(url, { headers: dpopHeaders(at, await generateProof(h.key, url, 'GET', undefined, at)) });
    assert.equal(down.status, 503, down.body);
    const downReplay = await send(`${once.origin}/items`, { headers: bearer(await f.accessToken()) });
    assert.equal(downReplay.status, 503, downReplay.body);
    await redis.start();
  });
}
