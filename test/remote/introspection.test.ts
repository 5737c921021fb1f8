/**
 * The RFC 7662 introspection client against a real oidc-provider (active, revoked, unknown token,
 * wrong secret, discovery, both client authentication methods, audience via a resource
 * indicator) and against a small node:http server for the faults a real provider never produces.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freshKeyPair } from '../support/fresh-key-pair.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { ClaimError, FetchError, VerifyError } from '../../src/errors.js';
import {
  createIntrospector,
  processIntrospectionResponse,
  sendIntrospectionRequest,
  type IntrospectorOptions,
} from '../../src/remote/introspection.js';
import { clock, hang, json, rejectsWith, startServer, type Handler, type TestServer } from '../support/jwks-server.js';

// ASCII-printable (all RFC 6749 allows) with every character a naive Basic header breaks on.
const RS_SECRET = "p@ss:w rd+/%&=~*'()!";
const API = 'https://api.example/';

describe('against oidc-provider', () => {
  let server: Server;
  let issuer: string;

  before(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const jwk = freshKeyPair('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const none: Record<string, unknown> = { grant_types: [], response_types: [], redirect_uris: [] };
    const provider = new Provider(issuer, {
      jwks: { keys: [{ ...jwk, kid: 'k1', use: 'sig', alg: 'ES256' }] },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      clients: [
        // The application holding tokens, and two resource servers that introspect them.
        {
          client_id: 'app',
          client_secret: 'app-secret',
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          scope: 'read write',
        },
        { client_id: 'rs', client_secret: RS_SECRET, ...none },
        { client_id: 'rs-post', client_secret: 'post-secret', token_endpoint_auth_method: 'client_secret_post', ...none },
      ],
      scopes: ['read', 'write'],
      ttl: { ClientCredentials: 600 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true, allowedPolicy: async () => true },
        revocation: { enabled: true, allowedPolicy: async () => true },
        // Opaque tokens with an audience, so the aud check runs against the real thing.
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => undefined,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx: unknown, resource: string) => ({
            scope: 'read write',
            audience: resource,
            accessTokenFormat: 'opaque',
          }),
        },
      },
    });
    server.on('request', provider.callback());
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  const appAuth = () => `Basic ${Buffer.from('app:app-secret').toString('base64')}`;

  async function clientCredentialsToken(scope: string, resource?: string): Promise<string> {
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: appAuth() },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, ...(resource ? { resource } : {}) }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { access_token: string };
    assert.equal(body.access_token.split('.').length, 1, 'opaque token');
    return body.access_token;
  }

  async function revoke(token: string): Promise<void> {
    const res = await fetch(`${issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: appAuth() },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    assert.equal(res.status, 200);
  }

  const rs = (extra: Partial<IntrospectorOptions> = {}) =>
    createIntrospector({ endpoint: `${issuer}/token/introspection`, issuer, clientId: 'rs', clientSecret: RS_SECRET, ...extra });

  test('an active token gives the RFC 7662 response (client_secret_basic with a secret full of reserved characters)', async () => {
    const token = await clientCredentialsToken('read write');
    const r = await rs().introspect(token, { tokenTypeHint: 'access_token' });
    assert.equal(r.active, true);
    assert.equal(r.client_id, 'app');
    assert.equal(r.scope, 'read write');
    assert.equal(r.iss, issuer);
    assert.equal(r.token_type, 'Bearer');
    assert.equal(typeof r.exp, 'number');
    assert.ok(r.exp! > Date.now() / 1000);
  });

  test('client_secret_post works too', async () => {
    const token = await clientCredentialsToken('read');
    const i = createIntrospector({
      endpoint: `${issuer}/token/introspection`,
      clientId: 'rs-post',
      clientSecret: 'post-secret',
      clientAuthMethod: 'client_secret_post',
    });
    assert.equal((await i.introspect(token)).scope, 'read');
  });

  test('the endpoint is discovered from the issuer', async () => {
    const i = createIntrospector({ issuer, clientId: 'rs', clientSecret: RS_SECRET });
    assert.equal(await i.endpoint(), `${issuer}/token/introspection`);
    const token = await clientCredentialsToken('read');
    assert.equal((await i.introspect(token)).client_id, 'app');
  });

  test('a revoked token is ERR_INACTIVE', async () => {
    const token = await clientCredentialsToken('read');
    const i = rs();
    assert.equal((await i.introspect(token)).active, true);
    await revoke(token);
    const err = await rejectsWith(i.introspect(token), 'ERR_INACTIVE');
    assert.ok(!err.message.includes(token));
    assert.equal(i.stats().requests, 2);
  });

  test('an unknown token is ERR_INACTIVE', async () => {
    await rejectsWith(rs().introspect('no-such-token'), 'ERR_INACTIVE');
  });

  test('a wrong client secret is ERR_INTROSPECTION with status 401; neither secret nor token in the message', async () => {
    const token = await clientCredentialsToken('read');
    const err = await rejectsWith(rs({ clientSecret: 'wrong-secret' }).introspect(token), 'ERR_INTROSPECTION');
    assert.ok(err instanceof FetchError);
    assert.equal(err.status, 401);
    assert.equal(err.url, `${issuer}/token/introspection`);
    assert.match(err.message, /HTTP 401.*refused the client credentials of "rs"/);
    assert.ok(!err.message.includes('wrong-secret') && !err.message.includes(token));
  });

  test('requiredScopes: granted passes, missing is ERR_SCOPE', async () => {
    const token = await clientCredentialsToken('read');
    const i = rs({ requiredScopes: ['read'] });
    assert.equal((await i.introspect(token)).scope, 'read');
    const err = await rejectsWith(i.introspect(token, { requiredScopes: ['write'] }), 'ERR_SCOPE');
    assert.ok(err instanceof ClaimError);
    assert.equal(err.claim, 'scope');
    assert.deepEqual(err.expected, ['read', 'write']);
  });

  test('audience: the resource indicator audience passes, another is ERR_AUDIENCE, none is ERR_CLAIM_MISSING', async () => {
    const withAud = await clientCredentialsToken('read', API);
    assert.equal((await rs({ audience: API }).introspect(withAud)).aud, API);
    const err = await rejectsWith(rs({ audience: 'https://other.example/' }).introspect(withAud), 'ERR_AUDIENCE');
    assert.ok(err instanceof ClaimError && err.actual === API);
    await rejectsWith(rs({ audience: API }).introspect(await clientCredentialsToken('read')), 'ERR_CLAIM_MISSING');
  });

  test('an issuer the response iss does not equal is ERR_ISSUER', async () => {
    const token = await clientCredentialsToken('read');
    const err = await rejectsWith(rs({ issuer: 'http://127.0.0.1:1/other' }).introspect(token), 'ERR_ISSUER');
    assert.ok(err instanceof ClaimError && err.actual === issuer);
  });

  test('with the cache on, a revocation counts once the TTL is over', async () => {
    const c = clock(Date.now());
    const token = await clientCredentialsToken('read');
    const i = rs({ cache: { ttl: 5_000 }, now: c.now });
    await i.introspect(token);
    await revoke(token);
    c.advance(4_000);
    assert.equal((await i.introspect(token)).active, true, 'served from the cache within the TTL');
    assert.deepEqual(i.stats(), { requests: 1, cacheHits: 1, cached: 1 });
    c.advance(1_001);
    await rejectsWith(i.introspect(token), 'ERR_INACTIVE');
    assert.equal(i.stats().requests, 2);
  });
});

/** Records the requests it receives and answers with `handler`. */
function recording(srv: TestServer, path: string, handler: Handler): Array<{ req: IncomingMessage; body: string }> {
  const seen: Array<{ req: IncomingMessage; body: string }> = [];
  srv.route(path, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ req, body });
      handler(req, res);
    });
  });
  return seen;
}

describe('against a local server (faults a provider does not produce)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer();
  });
  after(() => srv.close());

  const TOKEN = 'opaque-token-value-123';
  const SECRET = 's3cret:with spaces';
  const NOW = 1_700_000_000_000;
  const at = (path: string, extra: Partial<IntrospectorOptions> = {}) =>
    createIntrospector({ endpoint: srv.origin + path, clientId: 'rs id', clientSecret: SECRET, now: () => NOW, ...extra });

  test('the request: POST, form-encoded token and hint, Basic of the form-encoded id and secret', async () => {
    const seen = recording(srv, '/req', json({ active: true }));
    await at('/req').introspect(TOKEN, { tokenTypeHint: 'access_token' });
    const { req, body } = seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(req.headers.accept, 'application/json');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), { token: TOKEN, token_type_hint: 'access_token' });
    const basic = Buffer.from(req.headers.authorization!.replace(/^Basic /, ''), 'base64').toString();
    assert.equal(basic, 'rs+id:s3cret%3Awith+spaces');
  });

  test('client_secret_post: credentials in the body, no Authorization header', async () => {
    const seen = recording(srv, '/post', json({ active: true }));
    await at('/post', { clientAuthMethod: 'client_secret_post' }).introspect(TOKEN);
    const { req, body } = seen[0]!;
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), { token: TOKEN, client_id: 'rs id', client_secret: SECRET });
  });

  const faults: Array<[string, Handler, RegExp, Partial<IntrospectorOptions>?]> = [
    ['HTTP 500', json({ error: 'server_error' }, {}, 500), /HTTP 500/],
    ['a timeout', hang, /timed out after 150 ms/, { timeout: 150 }],
    ['a non-JSON body', json('<html>login</html>', { 'content-type': 'text/html' }), /body is not JSON/],
    ['a JSON array', json('[{"active":true}]'), /JSON but not an object/],
    ['active as the string "true"', json({ active: 'true', sub: 'alice' }), /"active" must be a boolean, got "true"/],
    ['active missing', json({ sub: 'alice' }), /"active" must be a boolean, got undefined/],
    ['exp as a string', json({ active: true, exp: '1700000000' }), /"exp" must be a number of seconds/],
    ['scope as an array', json({ active: true, scope: ['read'] }), /"scope" must be a string/],
    ['aud of numbers', json({ active: true, aud: [1] }), /"aud" must be a string or an array of strings/],
    ['an oversized body', json({ active: true, pad: 'x'.repeat(4096) }), /too large/, { maxResponseSize: 1024 }],
    [
      'an oversized streamed body',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"active":true,"pad":"${'x'.repeat(2048)}`);
        res.end('"}');
      },
      /too large: more than 1024 bytes/,
      { maxResponseSize: 1024 },
    ],
    ['a redirect (never followed for POST)', json('', { location: '/elsewhere' }, 307), /redirect not followed for a POST request/],
  ];
  for (const [name, handler, reason, extra] of faults) {
    test(`ERR_INTROSPECTION: ${name}`, async () => {
      const path = `/fault-${name.replace(/\W+/g, '-')}`;
      srv.route(path, handler);
      const err = await rejectsWith(at(path, extra).introspect(TOKEN), 'ERR_INTROSPECTION');
      assert.ok(err instanceof FetchError);
      assert.equal(err.url, srv.origin + path);
      assert.match(err.message, reason);
      assert.ok(!err.message.includes(TOKEN) && !err.message.includes(SECRET) && !err.message.includes('s3cret'));
    });
  }

  test('an active response whose exp has passed is ERR_EXPIRED; clockTolerance covers small skew', async () => {
    srv.route('/expired', json({ active: true, exp: NOW / 1000 - 10 }));
    const err = await rejectsWith(at('/expired').introspect(TOKEN), 'ERR_EXPIRED');
    assert.ok(err instanceof ClaimError && err.claim === 'exp');
    assert.match(err.message, /^introspection response: token expired/);
    assert.equal((await at('/expired', { clockTolerance: 30 }).introspect(TOKEN)).active, true);
  });

  test('an nbf in the future is ERR_NOT_BEFORE', async () => {
    srv.route('/nbf', json({ active: true, nbf: NOW / 1000 + 60 }));
    await rejectsWith(at('/nbf').introspect(TOKEN), 'ERR_NOT_BEFORE');
  });

  test('a bad token is ERR_MALFORMED before any request', async () => {
    srv.route('/never', json({ active: true }));
    await rejectsWith(at('/never').introspect(''), 'ERR_MALFORMED');
    await rejectsWith(at('/never').introspect(42 as unknown as string), 'ERR_MALFORMED');
    const err = await rejectsWith(at('/never', { maxTokenLength: 16 }).introspect('x'.repeat(17)), 'ERR_MALFORMED');
    assert.ok(!err.message.includes('xxxx'));
    assert.equal(srv.count('/never'), 0);
  });

  describe('discovery', () => {
    const WK = '/.well-known/openid-configuration';
    test('introspection_endpoint missing or refused is ERR_DISCOVERY', async () => {
      for (const [name, ep, reason] of [
        ['missing', undefined, /introspection_endpoint is missing/],
        [
          'plain http to another host',
          'http://idp.example.com/introspect',
          /introspection_endpoint "http:\/\/idp\.example\.com\/introspect" refused: plain http/,
        ],
      ] as const) {
        const issuer = `${srv.origin}/d-${name.replace(/\W+/g, '-')}`;
        srv.route(
          new URL(issuer).pathname + WK,
          json({ issuer, jwks_uri: `${issuer}/jwks`, ...(ep ? { introspection_endpoint: ep } : {}) }),
        );
        const err = await rejectsWith(createIntrospector({ issuer, clientId: 'c', clientSecret: 's' }).introspect(TOKEN), 'ERR_DISCOVERY');
        assert.ok(err instanceof FetchError && err.url === issuer + WK);
        assert.match(err.message, reason);
      }
    });

    test('a failed discovery is retried after the backoff; concurrent calls share one discovery', async () => {
      const issuer = `${srv.origin}/d-retry`;
      srv.route(`/d-retry${WK}`, json('down', {}, 503));
      const c = clock(NOW);
      const i = createIntrospector({ issuer, clientId: 'c', clientSecret: 's', now: c.now });
      await rejectsWith(i.introspect(TOKEN), 'ERR_DISCOVERY');
      c.advance(1_000);
      srv.route(`/d-retry${WK}`, json({ issuer, jwks_uri: `${issuer}/jwks`, introspection_endpoint: `${srv.origin}/d-retry/introspect` }));
      srv.route('/d-retry/introspect', json({ active: true, iss: issuer }));
      await Promise.all(Array.from({ length: 10 }, () => i.introspect(TOKEN)));
      assert.equal(srv.count(`/d-retry${WK}`), 2);
      assert.equal(srv.count('/d-retry/introspect'), 10, 'the cache is off: every call asks');
    });
  });

  describe('cache', () => {
    test('off by default: every call is a request', async () => {
      srv.route('/c-off', json({ active: true }));
      const i = at('/c-off');
      await i.introspect(TOKEN);
      await i.introspect(TOKEN);
      assert.equal(srv.count('/c-off'), 2);
      assert.deepEqual(i.stats(), { requests: 2, cacheHits: 0, cached: 0 });
    });

    test('on: concurrent calls share one request; a hit re-runs the checks', async () => {
      srv.route('/c-on', json({ active: true, scope: 'read' }));
      const i = at('/c-on', { cache: { ttl: 10_000 } });
      const all = await Promise.all(Array.from({ length: 20 }, () => i.introspect(TOKEN)));
      assert.ok(all.every((r) => r.scope === 'read'));
      assert.equal(srv.count('/c-on'), 1);
      await rejectsWith(i.introspect(TOKEN, { requiredScopes: ['write'] }), 'ERR_SCOPE');
      assert.equal(srv.count('/c-on'), 1);
    });

    test('the TTL never outlasts the token exp', async () => {
      const c = clock(NOW);
      srv.route('/c-exp', json({ active: true, exp: NOW / 1000 + 2 }));
      const i = at('/c-exp', { cache: { ttl: 60_000 }, now: c.now });
      await i.introspect(TOKEN);
      c.advance(1_500);
      await i.introspect(TOKEN);
      assert.equal(srv.count('/c-exp'), 1);
      c.advance(1_000);
      await rejectsWith(i.introspect(TOKEN), 'ERR_EXPIRED');
      assert.equal(srv.count('/c-exp'), 2, 'asked again once exp passed');
    });

    test('inactive answers are never cached', async () => {
      srv.route('/c-inactive', json({ active: false }));
      const i = at('/c-inactive', { cache: { ttl: 10_000 } });
      await rejectsWith(i.introspect(TOKEN), 'ERR_INACTIVE');
      await rejectsWith(i.introspect(TOKEN), 'ERR_INACTIVE');
      assert.equal(srv.count('/c-inactive'), 2);
    });

    test('bounded: the least recently used entry goes first', async () => {
      srv.route('/c-lru', json({ active: true }));
      const i = at('/c-lru', { cache: { ttl: 10_000, maxEntries: 2 } });
      await i.introspect('a');
      await i.introspect('b');
      await i.introspect('a'); // hit: a is now the most recent
      await i.introspect('c'); // evicts b
      assert.equal(i.stats().cached, 2);
      await i.introspect('a');
      assert.equal(srv.count('/c-lru'), 3);
      await i.introspect('b');
      assert.equal(srv.count('/c-lru'), 4);
    });
  });
});

describe('processIntrospectionResponse (pure)', () => {
  const url = 'https://as.example/introspect';
  const NOW = 1_700_000_000_000;
  const p = (body: Record<string, unknown>, checks = {}) =>
    processIntrospectionResponse({ url, status: 200, body }, { now: () => NOW, ...checks });

  test('active: false is ERR_INACTIVE (a VerifyError, not a FetchError)', async () => {
    const err = await rejectsWith(() => p({ active: false }), 'ERR_INACTIVE');
    assert.ok(!(err instanceof FetchError));
  });

  test('returns a copy of every member', () => {
    const body = { active: true, sub: 'alice', aud: ['a', 'b'], cnf: { 'x5t#S256': 'abc' } };
    const r = p(body);
    assert.deepEqual(r, body);
    assert.notEqual(r, body);
  });

  test('iss: absent is accepted, equal passes, different is ERR_ISSUER', async () => {
    assert.equal(p({ active: true }, { issuer: 'https://as.example' }).active, true);
    assert.equal(p({ active: true, iss: 'https://as.example' }, { issuer: 'https://as.example' }).active, true);
    await rejectsWith(() => p({ active: true, iss: 'https://as.example/' }, { issuer: 'https://as.example' }), 'ERR_ISSUER');
  });

  test('aud: an array containing one accepted audience passes', async () => {
    assert.equal(p({ active: true, aud: ['x', 'api'] }, { audience: ['api', 'api2'] }).active, true);
    await rejectsWith(() => p({ active: true, aud: ['x'] }, { audience: ['api', 'api2'] }), 'ERR_AUDIENCE');
  });

  test('scope: missing with required scopes is ERR_SCOPE; extra spaces do not grant an empty scope', async () => {
    await rejectsWith(() => p({ active: true }, { requiredScopes: ['read'] }), 'ERR_SCOPE');
    assert.equal(p({ active: true, scope: 'read  write' }, { requiredScopes: ['write', 'read'] }).active, true);
  });

  test('a malformed member is a FetchError naming the URL and the status', async () => {
    const err = await rejectsWith(() => p({ active: true, iat: Number.NaN }), 'ERR_INTROSPECTION');
    assert.ok(err instanceof FetchError && err.url === url && err.status === 200);
  });
});

describe('configuration', () => {
  const base = { endpoint: 'https://as.example/introspect', clientId: 'c', clientSecret: 's' };
  test('bad options are ERR_CONFIG at creation', async () => {
    const bad: Array<Record<string, unknown>> = [
      { clientId: 'c', clientSecret: 's' },
      { ...base, clientSecret: '' },
      { ...base, clientId: undefined },
      { ...base, clientAuthMethod: 'private_key_jwt' },
      { ...base, endpoint: 'http://as.example/introspect' },
      { ...base, endpoint: 'https://user:pw@as.example/introspect' },
      { ...base, issuer: 'https://as.example/?x' },
      { ...base, audience: [] },
      { ...base, requiredScopes: ['a b'] },
      { ...base, timeout: -1 },
      { ...base, cache: {} },
      { ...base, cache: { ttl: 1000, maxEntries: 0 } },
    ];
    for (const o of bad) await rejectsWith(() => createIntrospector(o as unknown as IntrospectorOptions), 'ERR_CONFIG');
    assert.ok(createIntrospector({ ...base, endpoint: 'http://as.example/introspect', allowHttp: true }));
  });

  test('a refused endpoint passed straight to sendIntrospectionRequest is ERR_INTROSPECTION without a request', async () => {
    const err = await rejectsWith(
      sendIntrospectionRequest('http://as.example/x', 't', { clientId: 'c', clientSecret: 's' }),
      'ERR_INTROSPECTION',
    );
    assert.ok(err instanceof VerifyError);
    assert.match(err.message, /plain http is only allowed for loopback hosts/);
  });
});
