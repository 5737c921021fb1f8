import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryReplayStore, VerifyError } from '../../src/index.js';

function isStoreError(e: unknown): boolean {
  return e instanceof VerifyError && e.code === 'ERR_REPLAY_STORE';
}

describe('createMemoryReplayStore', () => {
  it('first claim true, a second claim of the same key false, other keys independent', async () => {
    const t = 1_000_000;
    const store = createMemoryReplayStore({ now: () => t });
    assert.equal(await store.claim('a', t + 5000), true);
    assert.equal(await store.claim('a', t + 5000), false);
    assert.equal(await store.claim('a', t + 99_000), false);
    assert.equal(await store.claim('b', t + 5000), true);
  });

  it('forgets a key once its expiry has passed (injected clock)', async () => {
    let t = 1_000_000;
    const store = createMemoryReplayStore({ now: () => t });
    assert.equal(await store.claim('a', t + 5000), true);
    t += 4999;
    assert.equal(await store.claim('a', t + 5000), false);
    t += 1;
    assert.equal(await store.claim('a', t + 5000), true, 'expired at exactly its expiry');
    assert.equal(await store.claim('a', t + 5000), false, 'claimed again until the new expiry');
  });

  it('when full refuses new claims with ERR_REPLAY_STORE, never forgets a live entry, and frees expired ones', async () => {
    let t = 1_000_000;
    const store = createMemoryReplayStore({ maxEntries: 3, now: () => t });
    for (const k of ['a', 'b', 'c']) assert.equal(await store.claim(k, t + 10_000), true);
    await assert.rejects(store.claim('d', t + 10_000), (e: unknown) => isStoreError(e) && /full/.test((e as Error).message));
    // the live entries are still held: replays are still caught while full
    for (const k of ['a', 'b', 'c']) assert.equal(await store.claim(k, t + 10_000), false);
    t += 10_000 + 1000; // past the expiry and its one-second bucket
    assert.equal(await store.claim('d', t + 10_000), true);
    assert.equal(await store.claim('a', t + 10_000), true);
  });

  it('stays bounded under a flood of distinct keys with varied expiries', async () => {
    let t = 1_000_000;
    const store = createMemoryReplayStore({ maxEntries: 1000, now: () => t });
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      t += 5;
      try {
        if (await store.claim(`k${i}`, t + 100 + (i % 7) * 50)) accepted++;
      } catch (e) {
        assert.ok(isStoreError(e));
        refused++;
      }
    }
    // about 250 live at once (one claim per 5 ms, lifetimes up to 400 ms plus the one-second
    // reclamation bucket): every claim fits only because expired entries are dropped.
    assert.equal(refused, 0);
    assert.equal(accepted, 20_000);
    // and with lifetimes too long for the bound, the store refuses instead of growing
    for (let i = 0; i < 1500; i++) {
      try {
        await store.claim(`long${i}`, t + 3_600_000);
      } catch (e) {
        assert.ok(isStoreError(e));
        refused++;
      }
    }
    assert.ok(refused >= 500, `refused ${refused}`);
  });

  it('rejects bad options and bad claims without throwing synchronously', async () => {
    assert.throws(
      () => createMemoryReplayStore({ maxEntries: 0 }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
    assert.throws(
      () => createMemoryReplayStore({ maxEntries: 1.5 }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
    const store = createMemoryReplayStore();
    await assert.rejects(store.claim('a', Number.NaN), isStoreError);
    assert.equal(await store.claim('past', Date.now() - 1), true, 'an already expired claim is not remembered');
  });
});
