import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  ClaimError,
  createMemoryReplayStore,
  createVerifier,
  VerifyError,
  type ErrorCode,
  type ReplayStore,
} from '../../src/index.js';
import { ISSUER, NOW_MS, NOW_S, idTokenClaims, makeIssuer, type TestIssuer } from '../support/sign.js';

const API = 'https://api.example.com';
let es: TestIssuer;
let other: TestIssuer;

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerifyError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

function logoutClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: 'client-abc',
    iat: NOW_S - 1,
    exp: NOW_S + 120,
    jti: 'l1',
    sid: 's1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...over,
  };
}

function atClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, sub: 'u1', aud: API, exp: NOW_S + 300, iat: NOW_S - 5, jti: 'a1', client_id: 'c1', ...over };
}

/** A store that records every claim, over a memory store on the test clock. */
function recording(now: () => number = () => NOW_MS): ReplayStore & { claims: { key: string; expiresAtMs: number }[] } {
  const inner = createMemoryReplayStore({ now });
  const claims: { key: string; expiresAtMs: number }[] = [];
  return {
    claims,
    claim(key, expiresAtMs) {
      claims.push({ key, expiresAtMs });
      return inner.claim(key, expiresAtMs);
    },
  };
}

function make(store: ReplayStore | undefined, extra: Record<string, unknown> = {}) {
  return createVerifier({
    issuer: ISSUER,
    audience: ['client-abc', API],
    jwks: es.jwks,
    now: () => NOW_MS,
    ...(store !== undefined ? { replayStore: store } : {}),
    ...extra,
  });
}

before(async () => {
  es = await makeIssuer('ES256');
  other = await makeIssuer('ES256', { name: 'replay-other' });
});

describe('replay checks in the verifier', () => {
  it('logout tokens are always replay-checked with a store: second use is ERR_REPLAY', async () => {
    const v = make(createMemoryReplayStore({ now: () => NOW_MS }));
    const t = await es.sign(logoutClaims(), { typ: 'logout+jwt' });
    await v.verifyLogoutToken(t);
    await assert.rejects(v.verifyLogoutToken(t), (e: unknown) => e instanceof ClaimError && e.code === 'ERR_REPLAY' && e.claim === 'jti');
    // another jti from the same issuer passes
    await v.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'l2' }), { typ: 'logout+jwt' }));
    // without a store nothing changes: the same token twice is accepted
    const plain = make(undefined);
    await plain.verifyLogoutToken(t);
    await plain.verifyLogoutToken(t);
  });

  it('keys are per issuer and jti, hashed, with expiry at exp + clockTolerance capped by maxReplayWindow', async () => {
    const store = recording();
    const v = make(store, { clockTolerance: 30, maxReplayWindow: 60 });
    await v.verifyLogoutToken(await es.sign(logoutClaims({ exp: NOW_S + 10 }), { typ: 'logout+jwt' }));
    await v.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'x'.repeat(10_000), exp: NOW_S + 3600 }), { typ: 'logout+jwt' }));
    assert.equal(store.claims.length, 2);
    assert.equal(store.claims[0]!.expiresAtMs, (NOW_S + 10 + 30) * 1000);
    assert.equal(store.claims[1]!.expiresAtMs, NOW_MS + 60_000, 'capped by maxReplayWindow');
    for (const c of store.claims) assert.match(c.key, /^jti:[A-Za-z0-9_-]{43}$/);
  });

  it('ID and access tokens only when preventReplay asks (per verifier or per call)', async () => {
    const store = createMemoryReplayStore({ now: () => NOW_MS });
    const v = make(store);
    const id = await es.sign(idTokenClaims({ jti: 'id-1' }));
    await v.verifyIdToken(id);
    await v.verifyIdToken(id);
    await v.verifyIdToken(id, { preventReplay: true });
    await expectCode(v.verifyIdToken(id, { preventReplay: true }), 'ERR_REPLAY');
    const at = await es.sign(atClaims(), { typ: 'at+jwt' });
    await v.verifyAccessToken(at);
    await v.verifyAccessToken(at, { preventReplay: true });
    await expectCode(v.verifyAccessToken(at, { preventReplay: true }), 'ERR_REPLAY');

    const always = make(createMemoryReplayStore({ now: () => NOW_MS }), { preventReplay: true });
    const at2 = await es.sign(atClaims({ jti: 'a2' }), { typ: 'at+jwt' });
    await always.verifyAccessToken(at2);
    await expectCode(always.verifyAccessToken(at2), 'ERR_REPLAY');
    await always.verifyAccessToken(at2, { preventReplay: false });
  });

  it('a token without jti is ERR_CLAIM_MISSING where a replay check is required', async () => {
    const v = make(createMemoryReplayStore({ now: () => NOW_MS }), { preventReplay: true });
    await assert.rejects(
      v.verifyIdToken(await es.sign(idTokenClaims())),
      (e: unknown) => e instanceof ClaimError && e.code === 'ERR_CLAIM_MISSING' && e.claim === 'jti',
    );
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ jti: 42 }))), 'ERR_CLAIM_INVALID');
  });

  it('the replay check runs last: a bad signature, expired token or wrong audience never reaches the store', async () => {
    const store = recording();
    const v = make(store, { preventReplay: true });
    const forged = await other.sign(logoutClaims({ jti: 'forged' }), { typ: 'logout+jwt', kid: es.kid });
    await expectCode(v.verifyLogoutToken(forged), 'ERR_SIGNATURE_INVALID');
    await expectCode(v.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'old', exp: NOW_S - 1 }))), 'ERR_EXPIRED');
    await expectCode(v.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'aud', aud: 'someone-else' }))), 'ERR_AUDIENCE');
    await expectCode(v.verifyIdToken(await es.sign(idTokenClaims({ jti: 'n', nonce: 'a' })), { nonce: 'b' }), 'ERR_NONCE');
    assert.equal(store.claims.length, 0);
    // the real token with the forged one's jti is still accepted once
    await v.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'forged' })));
    assert.equal(store.claims.length, 1);
  });

  it('a failing store fails closed with ERR_REPLAY_STORE, whatever it throws', async () => {
    const broken: ReplayStore[] = [
      { claim: () => Promise.reject(new Error('connection refused')) },
      {
        claim: () => {
          throw new TypeError('sync throw');
        },
      },
      { claim: () => Promise.resolve('yes' as unknown as boolean) },
    ];
    for (const store of broken) {
      await expectCode(make(store).verifyLogoutToken(await es.sign(logoutClaims())), 'ERR_REPLAY_STORE');
    }
    // a full memory store refuses instead of forgetting
    const full = make(createMemoryReplayStore({ maxEntries: 1, now: () => NOW_MS }));
    await full.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'f1' })));
    await expectCode(full.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'f2' }))), 'ERR_REPLAY_STORE');
    await expectCode(full.verifyLogoutToken(await es.sign(logoutClaims({ jti: 'f1' }))), 'ERR_REPLAY');
  });

  it('options: preventReplay needs a store; sync methods refuse when a replay check applies', async () => {
    assert.throws(
      () => make(undefined, { preventReplay: true }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
    assert.throws(
      () => make({} as ReplayStore),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
    assert.throws(
      () => make(createMemoryReplayStore(), { maxReplayWindow: 0 }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
    await expectCode(make(undefined).verifyIdToken(await es.sign(idTokenClaims({ jti: 'x' })), { preventReplay: true }), 'ERR_CONFIG');
    await expectCode(
      make(createMemoryReplayStore()).verifyIdToken(await es.sign(idTokenClaims({ jti: 'x' })), { preventReplay: 'yes' as never }),
      'ERR_CONFIG',
    );
    const v = make(createMemoryReplayStore({ now: () => NOW_MS }));
    const t = await es.sign(logoutClaims());
    assert.throws(
      () => v.verifyLogoutTokenSync(t),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
    assert.equal(v.verifyIdTokenSync(await es.sign(idTokenClaims())).payload.sub, 'user-123', 'no replay check asked: sync still works');
  });
});
