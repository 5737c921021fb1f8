import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Freshness } from '../../src/remote/cache-control.js';
import { COLD, failed, installed, mayFetch, phase, type JwksFreshness } from '../../src/remote/jwks-freshness.js';

// Plain numbers on the monotonic clock (ms); no timers anywhere.
const MIN = 60_000;
const DAY = 86_400_000;
const lifetime = (o: Partial<Freshness> = {}): Freshness => ({ freshFor: 10 * MIN, staleWhileRevalidate: 0, source: 'max-age', ...o });

describe('jwks-freshness: installed()', () => {
  test('refresh ahead by min(freshFor / 4, 60 s); swr and stale-if-error capped by maxStale', () => {
    const s = installed(1000, lifetime({ staleWhileRevalidate: 30_000, staleIfError: 5 * MIN }), DAY);
    assert.deepEqual(s, {
      fetchedAt: 1000,
      refreshAt: 1000 + 10 * MIN - MIN,
      freshUntil: 1000 + 10 * MIN,
      swrUntil: 1000 + 10 * MIN + 30_000,
      staleUntil: 1000 + 15 * MIN,
      failing: false,
      failures: 0,
      retryAt: -Infinity,
    });
    const short = installed(0, lifetime({ freshFor: 40_000 }), DAY);
    assert.equal(short.refreshAt, 30_000, 'a quarter of a short lifetime');
    assert.equal(short.staleUntil, 40_000 + DAY, 'no stale-if-error sent: maxStale');
    const capped = installed(0, lifetime({ staleWhileRevalidate: 2 * DAY, staleIfError: 3 * DAY }), DAY);
    assert.equal(capped.swrUntil, 10 * MIN + DAY);
    assert.equal(capped.staleUntil, 10 * MIN + DAY);
  });
});

describe('jwks-freshness: phase(t) at each boundary', () => {
  // fetched at 0: refreshAt 9 min, freshUntil 10 min, swrUntil 11 min, staleUntil 20 min
  const ok = installed(0, lifetime({ staleWhileRevalidate: MIN, staleIfError: 10 * MIN }), DAY);

  test('a healthy set: fresh, refresh-ahead, stale-while-revalidate, expired', () => {
    assert.equal(phase(ok, 0), 'fresh');
    assert.equal(phase(ok, 9 * MIN - 1), 'fresh');
    assert.equal(phase(ok, 9 * MIN), 'refresh-ahead');
    assert.equal(phase(ok, 10 * MIN - 1), 'refresh-ahead');
    assert.equal(phase(ok, 10 * MIN), 'stale-while-revalidate');
    assert.equal(phase(ok, 11 * MIN - 1), 'stale-while-revalidate');
    assert.equal(phase(ok, 11 * MIN), 'expired', 'not failing: stale-if-error does not serve without a failed fetch');
    assert.equal(phase(ok, 19 * MIN), 'expired');
  });

  test('a failing set: stale-if-error from freshUntil until staleUntil, then expired', () => {
    const bad = failed(ok, 10 * MIN, 30_000);
    assert.equal(phase(bad, 9 * MIN - 1), 'fresh');
    assert.equal(phase(bad, 9 * MIN), 'refresh-ahead', 'still fresh: no stale warning');
    assert.equal(phase(bad, 10 * MIN - 1), 'refresh-ahead');
    assert.equal(phase(bad, 10 * MIN), 'stale-if-error');
    assert.equal(phase(bad, 11 * MIN), 'stale-if-error', 'past swrUntil');
    assert.equal(phase(bad, 20 * MIN - 1), 'stale-if-error');
    assert.equal(phase(bad, 20 * MIN), 'expired');
  });

  test('stale-while-revalidate longer than stale-if-error: a failing set is stale-if-error until swrUntil', () => {
    const s = failed(installed(0, lifetime({ staleWhileRevalidate: 5 * MIN, staleIfError: MIN }), DAY), 10 * MIN, 30_000);
    assert.equal(phase(s, 11 * MIN), 'stale-if-error');
    assert.equal(phase(s, 15 * MIN - 1), 'stale-if-error');
    assert.equal(phase(s, 15 * MIN), 'expired');
  });

  test('no stale extensions (maxStale 0): fresh, refresh-ahead, expired', () => {
    const s = failed(installed(0, lifetime({ staleWhileRevalidate: MIN, staleIfError: MIN }), 0), 10 * MIN, 30_000);
    assert.equal(phase(s, 10 * MIN - 1), 'refresh-ahead');
    assert.equal(phase(s, 10 * MIN), 'expired');
  });

  test('the cold state is expired at any instant and may fetch', () => {
    for (const t of [-1e12, 0, 1e12]) {
      assert.equal(phase(COLD, t), 'expired');
      assert.equal(mayFetch(COLD, t), true);
    }
  });
});

describe('jwks-freshness: failed() backoff and retryAt', () => {
  test('1 s, doubling, capped at max(cooldown, 1 s); mayFetch from retryAt on; installed() resets', () => {
    let s: JwksFreshness = installed(0, lifetime(), DAY);
    const retries: number[] = [];
    for (let i = 0; i < 8; i++) {
      s = failed(s, 1000 * MIN, 30_000);
      retries.push(s.retryAt - 1000 * MIN);
    }
    assert.deepEqual(retries, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    assert.equal(s.failures, 8);
    assert.equal(s.freshUntil, 10 * MIN, 'the last good set keeps its limits');
    assert.equal(mayFetch(s, s.retryAt - 1), false);
    assert.equal(mayFetch(s, s.retryAt), true);
    const small = failed(failed(COLD, 0, 0), 0, 0);
    assert.equal(small.retryAt, 1000, 'a cooldown below 1 s still waits 1 s');
    const again = installed(2000 * MIN, lifetime(), DAY);
    assert.equal(again.failing, false);
    assert.equal(again.failures, 0);
    assert.equal(mayFetch(again, -1e12), true);
  });

  test('a huge failure count does not overflow the backoff', () => {
    let s: JwksFreshness = COLD;
    for (let i = 0; i < 100; i++) s = failed(s, 0, DAY);
    assert.equal(s.retryAt, DAY);
  });
});
