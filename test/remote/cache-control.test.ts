import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freshness, parseCacheControl, parseDirectiveList } from '../../src/remote/cache-control.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const h = (o: Record<string, string>) => new Headers(o);
const MIN = 60_000;

describe('parseCacheControl', () => {
  test('directives, case, quotes, first occurrence wins', () => {
    const d = parseDirectiveList('Public, MAX-AGE=300, no-cache="set-cookie, x", max-age=5, private');
    assert.equal(d.get('max-age'), '300');
    assert.equal(d.get('no-cache'), 'set-cookie, x');
    assert.equal(d.get('private'), true);
    const cc = parseCacheControl('max-age="120", stale-while-revalidate=30, stale-if-error=86400, s-maxage=10');
    assert.deepEqual(cc, { noStore: false, noCache: false, maxAge: 120, sMaxAge: 10, staleWhileRevalidate: 30, staleIfError: 86400 });
    assert.equal(parseCacheControl('no-cache="x"').noCache, false, 'a field-restricted no-cache is not a bare no-cache');
    assert.equal(parseCacheControl('max-age=abc').maxAge, 0, 'invalid is stale');
    assert.deepEqual(parseCacheControl(null), { noStore: false, noCache: false });
  });
});

describe('freshness', () => {
  test('max-age is honoured within [1 min, 24 h]', () => {
    assert.equal(freshness(h({ 'cache-control': 'max-age=3600' }), NOW).freshFor, 3600_000);
    assert.equal(freshness(h({ 'cache-control': 'max-age=3600' }), NOW).source, 'max-age');
    assert.equal(freshness(h({ 'cache-control': 'max-age=15' }), NOW).freshFor, MIN, 'clamped up');
    assert.equal(freshness(h({ 'cache-control': 'max-age=1209600' }), NOW).freshFor, 86_400_000, 'clamped down');
    assert.equal(freshness(h({ 'cache-control': 'max-age=1209600' }), NOW).requested, 1_209_600_000);
  });
  test('Age is subtracted from max-age; s-maxage is ignored', () => {
    assert.equal(freshness(h({ 'cache-control': 'max-age=3600', age: '600' }), NOW).freshFor, 3000_000);
    assert.equal(freshness(h({ 'cache-control': 's-maxage=7200' }), NOW).freshFor, 600_000);
  });
  test('no-store and no-cache give the minimum', () => {
    assert.equal(freshness(h({ 'cache-control': 'no-store' }), NOW).freshFor, MIN);
    assert.equal(freshness(h({ 'cache-control': 'no-cache, max-age=3600' }), NOW).freshFor, MIN);
  });
  test('Expires relative to Date; invalid Expires is stale', () => {
    const date = new Date(NOW - 3_600_000).toUTCString(); // the server clock is an hour behind
    const expires = new Date(NOW - 3_600_000 + 7_200_000).toUTCString();
    const f = freshness(h({ date, expires }), NOW);
    assert.equal(f.freshFor, 7_200_000);
    assert.equal(f.source, 'expires');
    assert.equal(freshness(h({ expires: new Date(NOW + 300_000).toUTCString() }), NOW).freshFor, 300_000, 'without Date: relative to now');
    assert.equal(freshness(h({ expires: '0' }), NOW).freshFor, MIN);
    assert.equal(freshness(h({ 'cache-control': 'max-age=1800', expires: '0' }), NOW).freshFor, 1_800_000, 'max-age wins');
  });
  test('nothing said: 10 minutes', () => {
    const f = freshness(h({}), NOW);
    assert.equal(f.freshFor, 600_000);
    assert.equal(f.source, 'default');
    assert.equal(f.staleWhileRevalidate, 0);
    assert.equal(f.staleIfError, undefined);
  });
  test('stale-while-revalidate and stale-if-error in ms', () => {
    const f = freshness(h({ 'cache-control': 'max-age=600, stale-while-revalidate=60, stale-if-error=3600' }), NOW);
    assert.equal(f.staleWhileRevalidate, 60_000);
    assert.equal(f.staleIfError, 3_600_000);
  });
  test('custom limits', () => {
    assert.equal(freshness(h({}), NOW, { min: 1000, max: 5000, fallback: 9000 }).freshFor, 5000);
  });
});
