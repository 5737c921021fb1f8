import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { baseConfig, gateway, logSink, send, startIssuer, ISSUER, parseMetrics, type IssuerFixture } from './helpers.js';
import { startGateway, type GatewayHandle, type GatewayLogLine } from '../../src/server/index.js';

type Gw = GatewayHandle & { logs: GatewayLogLine[] };

const ROUTES = [
  { path: '/public/', allow: true },
  { name: 'admin', methods: ['POST', 'DELETE'], path: '/admin/', scopes: ['admin'] },
  { pattern: '^/orders/[0-9]+$', scopes: ['orders:read'], claims: { tenant: 'acme' } },
];

let issuer: IssuerFixture;
let gw: Gw;

const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
const nginx = (method: string, uri: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'x-original-method': method,
  'x-original-uri': uri,
  ...extra,
});

before(async () => {
  issuer = await startIssuer();
  gw = await gateway(
    baseConfig(issuer, {
      routes: ROUTES,
      identityHeaders: { claims: 'X-Auth-Claims' },
      realm: 'api',
    }),
  );
});

after(async () => {
  await gw?.close();
  await issuer?.close();
});

function noTokenIn(logs: readonly GatewayLogLine[], token: string): void {
  const text = JSON.stringify(logs);
  assert.ok(!text.includes(token), 'a log line holds the token');
  assert.ok(!text.includes(token.split('.')[2]!), 'a log line holds the signature');
}

describe('serve: nginx auth_request (X-Original-Method / X-Original-URI from a trusted peer)', () => {
  it('logs one listening line with the URL', () => {
    const listening = gw.logs.filter((l) => l.msg === 'listening');
    assert.equal(listening.length, 1);
    assert.deepEqual(listening[0], { level: 'info', msg: 'listening', url: gw.url });
    assert.match(gw.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a valid token on a protected route: 200 with the identity headers and the claims as base64url JSON', async () => {
    const token = await issuer.token({ scope: 'orders:read read', tenant: 'acme' });
    const r = await send(gw.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/orders/12?x=1') } });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['x-auth-subject'], 'alice');
    assert.equal(r.headers['x-auth-client-id'], 'client-1');
    assert.equal(r.headers['x-auth-scope'], 'orders:read read');
    assert.equal(r.headers['x-auth-issuer'], ISSUER);
    const claims = JSON.parse(Buffer.from(String(r.headers['x-auth-claims']), 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(claims.tenant, 'acme');
    assert.equal(claims.sub, 'alice');
  });

  it('identity header values cannot break the header: non-ASCII, controls and "%" are percent-encoded (UTF-8)', async () => {
    const sub = 'jöhn%41\r\nX-Evil: 1';
    const token = await issuer.token({ sub, client_id: 'c\u0000d' });
    const r = await send(gw.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/x') } });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['x-auth-subject'], 'j%C3%B6hn%2541%0D%0AX-Evil: 1');
    assert.equal(decodeURIComponent(String(r.headers['x-auth-subject'])), sub);
    assert.equal(r.headers['x-evil'], undefined);
    assert.equal(decodeURIComponent(String(r.headers['x-auth-client-id'])), 'c\u0000d');
  });

  it('no token: 401 with a Bearer challenge, one "denied" log line without any token', async () => {
    const before = gw.logs.length;
    const r = await send(gw.url, '/check', { headers: nginx('GET', '/orders/12') });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Bearer realm="api"/);
    assert.equal(r.headers['x-auth-subject'], undefined);
    const lines = gw.logs.slice(before);
    assert.deepEqual(lines, [
      {
        level: 'info',
        msg: 'denied',
        status: 401,
        code: 'ERR_CREDENTIALS_MISSING',
        issuer: null,
        route: '2',
        method: 'GET',
        path: '/orders/12',
      },
    ]);
  });

  it('a missing scope: 403 insufficient_scope naming the scope; the original method picks the route', async () => {
    const token = await issuer.token({ scope: 'read' });
    const r = await send(gw.url, '/check', { headers: { ...bearer(token), ...nginx('POST', '/admin/users') } });
    assert.equal(r.status, 403);
    assert.match(String(r.headers['www-authenticate']), /error="insufficient_scope"/);
    assert.match(String(r.headers['www-authenticate']), /scope="admin"/);
    const line = gw.logs.at(-1)!;
    assert.equal(line.code, 'ERR_SCOPE');
    assert.equal(line.route, 'admin');
    assert.equal(line.issuer, ISSUER);
    assert.equal(line.method, 'POST');
    noTokenIn(gw.logs, token);
    // GET is not in the admin route's methods: the default route (any valid token) applies.
    const get = await send(gw.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/admin/users') } });
    assert.equal(get.status, 200);
    const ok = await send(gw.url, '/check', {
      headers: { ...bearer(await issuer.token({ scope: 'admin' })), ...nginx('DELETE', '/admin/users/1') },
    });
    assert.equal(ok.status, 200);
  });

  it('a claims rule that fails: 403', async () => {
    const token = await issuer.token({ scope: 'orders:read', tenant: 'other' });
    const r = await send(gw.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/orders/7') } });
    assert.equal(r.status, 403);
    assert.equal(gw.logs.at(-1)!.code, 'ERR_FORBIDDEN');
    const arr = await issuer.token({ scope: 'orders:read', tenant: ['x', 'acme'] });
    assert.equal((await send(gw.url, '/check', { headers: { ...bearer(arr), ...nginx('GET', '/orders/7') } })).status, 200);
  });

  it('a bad signature, an expired token, a wrong audience, two Authorization headers: 401, never 400 or 5xx', async () => {
    const good = await issuer.token();
    const forged = `${good.slice(0, good.lastIndexOf('.') + 1)}${Buffer.alloc(64, 7).toString('base64url')}`;
    const cases: [string, Record<string, string | string[]>][] = [
      ['forged', bearer(forged)],
      ['expired', bearer(await issuer.token({ exp: Math.floor(Date.now() / 1000) - 60 }))],
      ['audience', bearer(await issuer.token({ aud: 'https://other.example' }))],
      ['two headers', { authorization: [`Bearer ${good}`, `Bearer ${good}`] }],
      ['garbage', { authorization: 'Bearer %%%' }],
      ['scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['bad dpop', { authorization: `DPoP ${good}`, dpop: 'x.y' }],
    ];
    for (const [name, headers] of cases) {
      const r = await send(gw.url, '/check', { headers: { ...headers, ...nginx('GET', '/orders/1') } });
      assert.equal(r.status, 401, `${name}: ${r.status} ${r.body}`);
      assert.ok(r.headers['www-authenticate'], name);
    }
    noTokenIn(gw.logs, good);
  });

  it('a public route answers 200 without a token, and with an invalid one (no identity headers)', async () => {
    const none = await send(gw.url, '/check', { headers: nginx('GET', '/public/logo.png') });
    assert.equal(none.status, 200);
    assert.equal(none.headers['x-auth-subject'], undefined);
    const bad = await send(gw.url, '/check', { headers: { authorization: 'Bearer nope', ...nginx('GET', '/public/x') } });
    assert.equal(bad.status, 200);
    assert.equal(bad.headers['x-auth-subject'], undefined);
    const good = await send(gw.url, '/check', { headers: { ...bearer(await issuer.token()), ...nginx('GET', '/public/x') } });
    assert.equal(good.status, 200);
    assert.equal(good.headers['x-auth-subject'], 'alice');
  });

  it('routes match the path as servers route it: dot segments, encoded letters, "//"; ambiguous encodings are refused', async () => {
    const reader = await issuer.token({ scope: 'read' });
    // Not public: /public/../admin/x is /admin/x.
    const dots = await send(gw.url, '/check', { headers: { ...bearer(reader), ...nginx('POST', '/public/../admin/x') } });
    assert.equal(dots.status, 403);
    assert.equal(gw.logs.at(-1)!.route, 'admin');
    const encoded = await send(gw.url, '/check', { headers: { ...bearer(reader), ...nginx('POST', '/%61dmin/x') } });
    assert.equal(encoded.status, 403);
    const slashes = await send(gw.url, '/check', { headers: { ...bearer(reader), ...nginx('POST', '//admin//x') } });
    assert.equal(slashes.status, 403);
    for (const uri of ['/public/%2e%2e/admin/x', '/public%2Fx', '/a%00']) {
      const r = await send(gw.url, '/check', { headers: { ...nginx('GET', uri) } });
      assert.equal(r.status, 403, uri);
      assert.equal(gw.logs.at(-1)!.code, 'ERR_INVALID_REQUEST');
    }
    // A repeated original-request header is ambiguous too.
    const twice = await send(gw.url, '/check', {
      headers: { ...bearer(reader), 'x-original-uri': ['/public/x', '/admin/x'], 'x-original-method': 'GET' },
    });
    assert.equal(twice.status, 403);
  });
});

describe('serve: Traefik forwardAuth and Envoy ext_authz', () => {
  it('Traefik: X-Forwarded-Method and -Uri give the original request', async () => {
    const reader = await issuer.token({ scope: 'read' });
    const traefik = {
      'x-forwarded-method': 'POST',
      'x-forwarded-uri': '/admin/x',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example',
    };
    const r = await send(gw.url, '/check', { headers: { ...bearer(reader), ...traefik } });
    assert.equal(r.status, 403);
    assert.equal(gw.logs.at(-1)!.route, 'admin');
    const admin = await issuer.token({ scope: 'admin' });
    const ok = await send(gw.url, '/check', { headers: { ...bearer(admin), ...traefik } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-auth-subject'], 'alice');
    const pub = await send(gw.url, '/check', { headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/public/a' } });
    assert.equal(pub.status, 200);
  });

  it('Envoy: the original method and path under /ext_authz', async () => {
    const reader = await issuer.token({ scope: 'read' });
    const r = await send(gw.url, '/ext_authz/admin/x?y=1', { method: 'POST', headers: { ...bearer(reader), host: 'api.example' } });
    assert.equal(r.status, 403);
    assert.equal(gw.logs.at(-1)!.path, '/admin/x');
    const ok = await send(gw.url, '/ext_authz/admin/x', { method: 'POST', headers: { ...bearer(await issuer.token({ scope: 'admin' })) } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-auth-subject'], 'alice');
    const pub = await send(gw.url, '/ext_authz/public/', { method: 'GET' });
    assert.equal(pub.status, 200);
    const none = await send(gw.url, '/ext_authz', { method: 'GET' });
    assert.equal(none.status, 401);
  });
});

describe('serve: untrusted peers', () => {
  it('from a peer outside trustedProxies, X-Original-* and X-Forwarded-* are ignored: the request itself applies', async () => {
    const untrusted = await gateway(baseConfig(issuer, { routes: ROUTES, trustedProxies: ['10.0.0.0/8', '::2'] }));
    try {
      // Trusted (default: loopback): the public route. Untrusted: /check itself, which needs a token.
      assert.equal((await send(gw.url, '/check', { headers: nginx('GET', '/public/x') })).status, 200);
      const r = await send(untrusted.url, '/check', { headers: nginx('GET', '/public/x') });
      assert.equal(r.status, 401);
      assert.equal(untrusted.logs.at(-1)!.path, '/check');
      const t = await send(untrusted.url, '/check', { headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/public/x' } });
      assert.equal(t.status, 401);
      // The admin route needs POST: a forged X-Original-Method cannot pick it (nor dodge it).
      const reader = await issuer.token({ scope: 'read' });
      const m = await send(untrusted.url, '/check', { headers: { ...bearer(reader), ...nginx('POST', '/admin/x') } });
      assert.equal(m.status, 200);
      assert.equal(untrusted.logs.filter((l) => l.msg === 'denied').at(-1)!.path, '/check');
    } finally {
      await untrusted.close();
    }
  });

  it('over real IPv6 and IPv4-mapped sockets: a trusted ::1 is believed, 127.0.0.1 arriving as ::ffff:127.0.0.1 is its IPv4 address', async () => {
    // Dual-stack listener: an IPv4 client shows up as ::ffff:127.0.0.1.
    const v6 = await startGateway(baseConfig(issuer, { routes: ROUTES, trustedProxies: ['::1'] }), {
      port: 0,
      host: '::',
      log: logSink().log,
    });
    const v4 = await startGateway(baseConfig(issuer, { routes: ROUTES, trustedProxies: ['127.0.0.1'] }), {
      port: 0,
      host: '::',
      log: logSink().log,
    });
    try {
      const at = (g: GatewayHandle, ip: string): string => `http://${ip.includes(':') ? `[${ip}]` : ip}:${g.port}`;
      // ::1 trusted: the original URI names the public route.
      assert.equal((await send(at(v6, '::1'), '/check', { headers: nginx('GET', '/public/x') })).status, 200);
      // 127.0.0.1 is not ::1: the headers are ignored and /check itself needs a token.
      assert.equal((await send(at(v6, '127.0.0.1'), '/check', { headers: nginx('GET', '/public/x') })).status, 401);
      // Trusting 127.0.0.1 covers the IPv4-mapped peer, and not ::1.
      assert.equal((await send(at(v4, '127.0.0.1'), '/check', { headers: nginx('GET', '/public/x') })).status, 200);
      assert.equal((await send(at(v4, '::1'), '/check', { headers: nginx('GET', '/public/x') })).status, 401);
    } finally {
      await v6.close();
      await v4.close();
    }
  });

  it('an IPv4-mapped peer address counts as its IPv4 address', async () => {
    const { normalizeAddress } = await import('../../src/server/config.js');
    assert.equal(normalizeAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeAddress('::1'), '::1');
  });
});

describe('serve: defaultRoute, fail-closed, health, readiness, metrics', () => {
  it('defaultRoute "deny": 403 for a path no route covers, even with a valid token', async () => {
    const g = await gateway(baseConfig(issuer, { routes: [{ path: '/api' }], defaultRoute: 'deny' }));
    try {
      const token = await issuer.token();
      assert.equal((await send(g.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/api/x') } })).status, 200);
      assert.equal((await send(g.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/apix') } })).status, 403);
      assert.equal((await send(g.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/other') } })).status, 403);
    } finally {
      await g.close();
    }
  });

  it('keys cannot be had: failClosedStatus (503 by default, 401 when set), /readyz 503 until they load', async () => {
    const down = await startIssuer();
    down.setDown(true);
    const g503 = await gateway(baseConfig(down));
    const g401 = await gateway(baseConfig(down, { failClosedStatus: 401 }));
    try {
      const token = await down.token();
      const a = await send(g503.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/x') } });
      assert.equal(a.status, 503);
      assert.equal(g503.logs.filter((l) => l.msg === 'denied').at(-1)!.code, 'ERR_JWKS_FETCH');
      const b = await send(g401.url, '/check', { headers: { ...bearer(token), ...nginx('GET', '/x') } });
      assert.equal(b.status, 401);
      assert.match(String(b.headers['www-authenticate']), /^Bearer/);
      assert.equal((await send(g503.url, '/healthz')).status, 200);
      const nr = await send(g503.url, '/readyz');
      assert.equal(nr.status, 503);
      assert.match((JSON.parse(nr.body) as { reasons: string[] }).reasons.join(), /no keys loaded for issuer/);
      down.setDown(false);
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await send(g503.url, '/readyz')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200);
      assert.equal((await send(g503.url, '/check', { headers: { ...bearer(await down.token()), ...nginx('GET', '/x') } })).status, 200);
    } finally {
      await g503.close();
      await g401.close();
      await down.close();
    }
  });

  it('/metrics: Prometheus text with requests by outcome, code and route, the latency histogram, JWKS and cache state', async () => {
    const r = await send(gw.url, '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(r.body);
    for (const [name, type] of m.types) assert.ok(m.helps.has(name), `HELP for ${name} (${type})`);
    assert.equal(m.types.get('oidc_verifier_requests_total'), 'counter');
    assert.equal(m.types.get('oidc_verifier_check_duration_seconds'), 'histogram');
    assert.ok((m.value('oidc_verifier_requests_total', { outcome: 'allow', code: 'none', route: '2' }) ?? 0) >= 1);
    assert.ok((m.value('oidc_verifier_requests_total', { outcome: 'deny', code: 'ERR_SCOPE', route: 'admin' }) ?? 0) >= 1);
    assert.ok((m.value('oidc_verifier_requests_total', { outcome: 'deny', code: 'ERR_CREDENTIALS_MISSING', route: '2' }) ?? 0) >= 1);
    const count = m.value('oidc_verifier_check_duration_seconds_count')!;
    const total = m.samples.filter((s) => s.name === 'oidc_verifier_requests_total').reduce((n, s) => n + s.value, 0);
    assert.equal(count, total);
    assert.equal(m.value('oidc_verifier_check_duration_seconds_bucket', { le: '+Inf' }), count);
    assert.equal(m.value('oidc_verifier_jwks_keys', { issuer: ISSUER }), 1);
    assert.equal(m.value('oidc_verifier_jwks_fetches_total', { issuer: ISSUER }), 1);
    assert.ok((m.value('oidc_verifier_signature_cache_misses_total') ?? 0) >= 1);
    assert.ok(m.value('oidc_verifier_signature_cache_entries') !== undefined);
    assert.ok(m.value('oidc_verifier_signature_cache_bytes') !== undefined);
    assert.ok(m.types.has('oidc_verifier_replay_store_duration_seconds'));
    // Only bounded label values: no path, no token.
    for (const s of m.samples) for (const v of Object.values(s.labels)) assert.ok(!v.includes('/orders'), v);
  });

  it('unknown paths are 404; /healthz is 200', async () => {
    assert.equal((await send(gw.url, '/nope')).status, 404);
    assert.deepEqual(JSON.parse((await send(gw.url, '/healthz')).body), { status: 'ok' });
  });
});

describe('serve: DPoP behind a gateway', () => {
  it('htm and htu are checked against the ORIGINAL method and URL (X-Original-Method, X-Forwarded-Proto/-Host)', async () => {
    const keyPair = await generateKeyPair('ES256');
    const jkt = await calculateThumbprint(keyPair.publicKey);
    const token = await issuer.token({ scope: 'admin', cnf: { jkt } });
    const origin = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.gateway.example' };
    const post = await generateProof(keyPair, 'https://api.gateway.example/admin/x', 'POST', undefined, token);
    const ok = await send(gw.url, '/check', {
      headers: { authorization: `DPoP ${token}`, dpop: post, ...nginx('POST', '/admin/x?q=1'), ...origin },
    });
    assert.equal(ok.status, 200, ok.body);
    // The same proof again (a replay): refused.
    const replay = await send(gw.url, '/check', {
      headers: { authorization: `DPoP ${token}`, dpop: post, ...nginx('POST', '/admin/x'), ...origin },
    });
    assert.equal(replay.status, 401);
    assert.match(String(replay.headers['www-authenticate']), /invalid_dpop_proof/);
    // A proof made for the subrequest's GET does not pass for the original POST.
    const get = await generateProof(keyPair, 'https://api.gateway.example/admin/x', 'GET', undefined, token);
    const wrong = await send(gw.url, '/check', {
      headers: { authorization: `DPoP ${token}`, dpop: get, ...nginx('POST', '/admin/x'), ...origin },
    });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /^DPoP .*error="invalid_dpop_proof"/);
    // The bound token as Bearer: refused.
    const asBearer = await send(gw.url, '/check', { headers: { ...bearer(token), ...nginx('POST', '/admin/x') } });
    assert.equal(asBearer.status, 401);
  });
});
