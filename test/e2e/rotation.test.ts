/**
 * Key rotation on a running oidc-provider (the OpenID RP certification's rp-key-rotation-op-sign-key):
 * the provider restarts on the same port with a new signing key first and the old one kept, then
 * without the old one. One verifier lives through all of it, on injected clocks (no sleeps).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAuthorizationFlow } from '../../src/demo/flow.js';
import { startDemoProvider, type DemoProvider } from '../../src/demo/provider.js';
import { createVerifier, type RemoteKeyEvent, type Verifier } from '../../src/index.js';
import { assertCode, decode } from './helpers.js';

describe('key rotation on the running provider', () => {
  let op: DemoProvider;
  let verifier: Verifier;
  /** The verifier's clock: real time plus what the test skips ahead. */
  let skipped = 0;
  const events: RemoteKeyEvent[] = [];
  let oldToken: { token: string; nonce: string; kid: string };
  let newToken: { token: string; nonce: string; kid: string };

  async function login(): Promise<{ token: string; nonce: string; kid: string }> {
    const r = await runAuthorizationFlow(op.client);
    return { token: r.tokens.id_token, nonce: r.nonce, kid: decode(r.tokens.id_token).header.kid as string };
  }

  function fetches(): number {
    return events.filter((e) => e.type === 'refresh').length;
  }

  before(async () => {
    op = await startDemoProvider({ alg: 'ES256', quiet: true });
    verifier = createVerifier({
      issuer: op.issuer,
      audience: op.clientId,
      now: () => Date.now() + skipped,
      // Cache freshness runs on the monotonic clock, skipped ahead with the claims clock.
      monotonicClock: () => performance.now() + skipped,
      onEvent: (e) => events.push(e),
    });
    oldToken = await login();
    await verifier.verifyIdToken(oldToken.token, { nonce: oldToken.nonce });
    assert.equal(fetches(), 1);
  });
  after(async () => {
    verifier.close();
    await op.close();
  });

  test('step 1: new key first, old key kept; a token from the new key validates without restarting the verifier', async () => {
    const port = op.port;
    const fresh = await op.rotateKeys();
    assert.equal(op.port, port);
    assert.deepEqual(
      op.publicJwks().keys.map((k) => k.kid),
      [fresh.kid, oldToken.kid],
    );
    const served = (await (await fetch(op.jwksUri)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(
      served.keys.map((k) => k.kid),
      [fresh.kid, oldToken.kid],
    );

    newToken = await login();
    assert.equal(newToken.kid, fresh.kid);
    const v = await verifier.verifyIdToken(newToken.token, { nonce: newToken.nonce });
    assert.equal(v.key.kid, fresh.kid);
    // The unknown kid cost exactly one refetch, which reported the rotation.
    assert.equal(fetches(), 2);
    const rotation = events.find((e) => e.type === 'rotation');
    assert.deepEqual(rotation && { added: rotation.added, removed: rotation.removed }, { added: [fresh.kid], removed: [] });
    // Tokens from the old key still validate while it is published.
    await verifier.verifyIdToken(oldToken.token, { nonce: oldToken.nonce });
  });

  test('step 2: old key removed; its tokens fail once the cache has refreshed, new ones keep validating', async () => {
    await op.retireOldKeys();
    assert.deepEqual(
      op.publicJwks().keys.map((k) => k.kid),
      [newToken.kid],
    );
    // Until the cached set is refreshed, the old key is still known (no fetch per token).
    await verifier.verifyIdToken(oldToken.token, { nonce: oldToken.nonce });
    assert.equal(fetches(), 2);

    // The provider sends no Cache-Control on its JWKS: the library keeps it fresh for 10 minutes.
    skipped += 11 * 60_000;
    await assertCode(verifier.verifyIdToken(oldToken.token, { nonce: oldToken.nonce }), 'ERR_KEY_NOT_FOUND');
    assert.equal(fetches(), 3);
    const rotation = events.filter((e) => e.type === 'rotation').at(-1);
    assert.deepEqual(rotation && { added: rotation.added, removed: rotation.removed }, { added: [], removed: [oldToken.kid] });
    const v = await verifier.verifyIdToken(newToken.token, { nonce: newToken.nonce });
    assert.equal(v.key.kid, newToken.kid);
    // The removed kid is remembered as absent: asking again costs no request.
    await assertCode(verifier.verifyIdToken(oldToken.token, { nonce: oldToken.nonce }), 'ERR_KEY_NOT_FOUND');
    assert.equal(fetches(), 3);
  });

  test('a verifier created after the removal rejects the old token at once', async () => {
    const late = createVerifier({ issuer: op.issuer, audience: op.clientId, cooldown: 0 });
    try {
      await late.verifyIdToken(newToken.token, { nonce: newToken.nonce });
      await assertCode(late.verifyIdToken(oldToken.token, { nonce: oldToken.nonce }), 'ERR_KEY_NOT_FOUND');
    } finally {
      late.close();
    }
  });
});
