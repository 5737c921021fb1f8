import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchError } from '../../src/errors.js';
import { discover, discoveryUrl, processDiscoveryDocument } from '../../src/remote/discovery.js';
import { hang, json, rejectsWith, startServer, type TestServer } from '../support/jwks-server.js';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(() => srv.close());

const WK = '/.well-known/openid-configuration';

describe('discoveryUrl (OpenID Connect Discovery §4.1)', () => {
  test('appends the well-known path, removing one terminating slash', () => {
    assert.equal(discoveryUrl('https://idp.example.com'), `https://idp.example.com${WK}`);
    assert.equal(discoveryUrl('https://idp.example.com/'), `https://idp.example.com${WK}`);
    assert.equal(discoveryUrl('https://idp.example.com/tenant'), `https://idp.example.com/tenant${WK}`);
    assert.equal(discoveryUrl('https://idp.example.com/tenant/'), `https://idp.example.com/tenant${WK}`);
    assert.equal(discoveryUrl('http://127.0.0.1:8080/t/'), `http://127.0.0.1:8080/t${WK}`);
  });
  test('a malformed or insecure issuer is ERR_CONFIG', async () => {
    for (const bad of [
      'idp.example.com',
      'https://idp.example.com/?x=1',
      'https://idp.example.com/#f',
      'https://idp.example.com?',
      'http://idp.example.com',
      '',
    ]) {
      await rejectsWith(() => discoveryUrl(bad), 'ERR_CONFIG');
    }
    assert.equal(discoveryUrl('http://idp.example.com', true), `http://idp.example.com${WK}`);
  });
});

describe('discover', () => {
  test('happy path: issuer with a trailing slash, metadata exposed', async () => {
    const issuer = `${srv.origin}/tenant/`;
    srv.route(
      `/tenant${WK}`,
      json({
        issuer,
        jwks_uri: `${srv.origin}/tenant/jwks`,
        id_token_signing_alg_values_supported: ['RS256', 'ES256', 7],
        introspection_endpoint: `${srv.origin}/introspect`,
      }),
    );
    const md = await discover(issuer);
    assert.equal(md.issuer, issuer);
    assert.equal(md.jwks_uri, `${srv.origin}/tenant/jwks`);
    assert.deepEqual(md.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    assert.equal(md.introspection_endpoint, `${srv.origin}/introspect`);
    assert.equal(srv.count(`/tenant${WK}`), 1);
    assert.equal(srv.count(`/tenant/${WK}`), 0, 'no double slash');
  });

  test('a malformed algorithm list is treated as absent (it may only narrow)', async () => {
    const issuer = `${srv.origin}/algs`;
    srv.route(`/algs${WK}`, json({ issuer, jwks_uri: `${srv.origin}/jwks`, id_token_signing_alg_values_supported: 'RS256' }));
    const md = await discover(issuer);
    assert.equal(md.id_token_signing_alg_values_supported, undefined);
  });

  const cases: Array<[string, (issuer: string) => Parameters<TestServer['route']>[1], RegExp]> = [
    ['non-JSON', () => json('<html>login</html>'), /body is not JSON/],
    ['a JSON array', () => json('[]'), /not an object/],
    [
      'issuer mismatch',
      () => json({ issuer: 'https://evil.example.com', jwks_uri: 'https://evil.example.com/jwks' }),
      /issuer in the document "https:\/\/evil\.example\.com" does not equal the configured issuer/,
    ],
    ['issuer differing by a trailing slash', (i) => json({ issuer: `${i}/`, jwks_uri: `${i}/jwks` }), /does not equal/],
    ['missing issuer', (i) => json({ jwks_uri: `${i}/jwks` }), /issuer in the document undefined/],
    ['missing jwks_uri', (i) => json({ issuer: i }), /jwks_uri is missing/],
    ['non-string jwks_uri', (i) => json({ issuer: i, jwks_uri: ['x'] }), /jwks_uri is missing or not a string/],
    [
      'plain-http jwks_uri on a non-loopback host',
      (i) => json({ issuer: i, jwks_uri: 'http://idp.example.com/jwks' }),
      /jwks_uri "http:\/\/idp\.example\.com\/jwks" refused: plain http/,
    ],
    ['relative jwks_uri', (i) => json({ issuer: i, jwks_uri: '/jwks' }), /not an absolute URL/],
    ['404', () => json({ error: 'not found' }, {}, 404), /HTTP 404/],
    ['500', () => json('oops', {}, 500), /HTTP 500/],
  ];
  for (const [name, handler, reason] of cases) {
    test(`ERR_DISCOVERY: ${name}`, async () => {
      const path = `/case-${name.replace(/\W+/g, '-')}`;
      const issuer = srv.origin + path;
      srv.route(path + WK, handler(issuer));
      const err = await rejectsWith(discover(issuer), 'ERR_DISCOVERY');
      assert.ok(err instanceof FetchError);
      assert.equal(err.url, issuer + WK);
      assert.match(err.message, reason);
    });
  }

  test('ERR_DISCOVERY: timeout', async () => {
    srv.route(`/slow${WK}`, hang);
    const err = await rejectsWith(discover(`${srv.origin}/slow`, { timeout: 150 }), 'ERR_DISCOVERY');
    assert.match(err.message, /timed out after 150 ms/);
  });

  test('an http jwks_uri is accepted with allowHttp (processing, no network)', () => {
    const md = processDiscoveryDocument('https://i', 'https://i/x', { issuer: 'https://i', jwks_uri: 'http://idp.example.com/jwks' }, true);
    assert.equal(md.jwks_uri, 'http://idp.example.com/jwks');
  });
});
