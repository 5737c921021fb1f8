import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifyError } from '../../src/errors.js';
import { resolveGatewayConfig, startGateway, normalizePath, matchRoute, underPrefix } from '../../src/server/index.js';

const ISSUER = { issuer: 'https://as.example', audience: 'https://api.example' };
const ok = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ issuers: [ISSUER], ...extra });

function configError(raw: unknown, message: RegExp, env: Record<string, string> = {}, baseDir?: string): void {
  assert.throws(
    () => resolveGatewayConfig(raw, { env, ...(baseDir !== undefined ? { baseDir } : {}) }),
    (err: unknown) => {
      assert.ok(err instanceof VerifyError, String(err));
      assert.equal(err.code, 'ERR_CONFIG');
      assert.match(err.message, message);
      return true;
    },
  );
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'oidc-verifier-gw-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('serve config: defaults', () => {
  it('a minimal config gets the documented defaults', () => {
    const c = resolveGatewayConfig(ok(), { env: {} });
    assert.equal(c.dpop, 'allowed');
    assert.equal(c.defaultRoute, 'authenticate');
    assert.equal(c.failClosedStatus, 503);
    assert.equal(c.drainTimeout, 10000);
    assert.equal(c.envoyPrefix, '/ext_authz');
    assert.deepEqual(c.identityHeaders, {
      subject: 'X-Auth-Subject',
      clientId: 'X-Auth-Client-Id',
      scope: 'X-Auth-Scope',
      issuer: 'X-Auth-Issuer',
    });
    assert.equal(c.trustedProxies.check('127.0.0.1', 'ipv4'), true);
    assert.equal(c.trustedProxies.check('::1', 'ipv6'), true);
    assert.equal(c.trustedProxies.check('10.1.2.3', 'ipv4'), false);
    assert.deepEqual(c.routes, []);
    assert.equal(c.redis, undefined);
    assert.equal(c.introspection, undefined);
  });

  it('trustedProxies takes addresses and CIDRs (IPv4-mapped IPv6 normalised)', () => {
    const c = resolveGatewayConfig(ok({ trustedProxies: ['10.0.0.0/8', 'fd00::/8', '::ffff:192.168.1.1'] }), { env: {} });
    assert.equal(c.trustedProxies.check('10.200.0.1', 'ipv4'), true);
    assert.equal(c.trustedProxies.check('11.0.0.1', 'ipv4'), false);
    assert.equal(c.trustedProxies.check('fd12::1', 'ipv6'), true);
    assert.equal(c.trustedProxies.check('192.168.1.1', 'ipv4'), true);
    assert.equal(c.trustedProxies.check('127.0.0.1', 'ipv4'), false);
  });

  it('identity headers can be renamed or turned off; the claims header is off unless named', () => {
    const c = resolveGatewayConfig(ok({ identityHeaders: { subject: 'X-User', scope: false, claims: 'X-Claims' } }), { env: {} });
    assert.deepEqual(c.identityHeaders, { subject: 'X-User', clientId: 'X-Auth-Client-Id', issuer: 'X-Auth-Issuer', claims: 'X-Claims' });
  });
});

describe('serve config: errors name the JSON path of the bad field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [], /^config: must be an object/],
    ['no issuers', {}, /^issuers: is required/],
    ['empty issuers', { issuers: [] }, /^issuers: must be a non-empty array/],
    [
      'audience type',
      { issuers: [{ issuer: 'https://as.example', audience: 5 }] },
      /^issuers\[0\]\.audience: must be a string or an array of strings$/,
    ],
    [
      'audience item',
      { issuers: [ISSUER, { issuer: 'https://b.example', audience: ['a', 7] }] },
      /^issuers\[1\]\.audience\[1\]: must be a non-empty string/,
    ],
    ['misspelt key', { issuers: [{ ...ISSUER, audiance: 'x' }] }, /^issuers\[0\]: unknown option "audiance"; did you mean "audience"\?/],
    ['top-level typo', ok({ defaultRoutes: 'deny' }), /^config: unknown option "defaultRoutes"; did you mean "defaultRoute"\?/],
    [
      'HS algorithm',
      { issuers: [{ ...ISSUER, algorithms: ['HS256'] }] },
      /^issuers\[0\]\.algorithms\[0\]: is not an asymmetric JWS algorithm/,
    ],
    ['duplicate issuer', { issuers: [ISSUER, ISSUER] }, /^issuers\[1\]\.issuer: .* is listed twice/],
    ['jwksUri', { issuers: [{ ...ISSUER, jwksUri: 'ftp://x' }] }, /^issuers\[0\]\.jwksUri: must be an http\(s\) URL/],
    ['tokenType', ok({ tokenType: 'id' }), /^tokenType: must be "access"/],
    ['dpop', ok({ dpop: 'yes' }), /^dpop: must be "allowed" or "required" or "disabled"/],
    ['port', ok({ listen: { port: 70000 } }), /^listen\.port: must be an integer from 0 to 65535/],
    ['trusted proxy', ok({ trustedProxies: ['localhost'] }), /^trustedProxies\[0\]: must be an IP address or a CIDR/],
    ['cidr bits', ok({ trustedProxies: ['10.0.0.0/33'] }), /^trustedProxies\[0\]: has a bad prefix length/],
    ['route key', ok({ routes: [{ path: '/a', scope: ['x'] }] }), /^routes\[0\]: unknown option "scope"; did you mean "scopes"\?/],
    ['route path', ok({ routes: [{ path: 'admin' }] }), /^routes\[0\]\.path: must be a normalised absolute path/],
    ['route dots', ok({ routes: [{ path: '/a/../b' }] }), /^routes\[0\]\.path: must be a normalised absolute path/],
    ['route both', ok({ routes: [{ path: '/a', pattern: '^/a' }] }), /^routes\[0\]: has both "path" and "pattern"/],
    ['route pattern', ok({ routes: [{}, { pattern: '(' }] }), /^routes\[1\]\.pattern: is not a valid RegExp/],
    ['route allow', ok({ routes: [{ path: '/a', allow: 'yes' }] }), /^routes\[0\]\.allow: must be true/],
    ['public with scopes', ok({ routes: [{ path: '/a', allow: true, scopes: ['x'] }] }), /^routes\[0\]: a public route/],
    ['scope token', ok({ routes: [{ path: '/a', scopes: ['a b'] }] }), /^routes\[0\]\.scopes\[0\]: is not a scope-token/],
    [
      'claims value',
      ok({ routes: [{ path: '/a', claims: { tenant: { x: 1 } } }] }),
      /^routes\[0\]\.claims\.tenant: must be a string, a number or a boolean/,
    ],
    ['method', ok({ routes: [{ methods: ['GET POST'] }] }), /^routes\[0\]\.methods\[0\]: is not an HTTP method/],
    ['route names', ok({ routes: [{ name: 'a' }, { name: 'a' }] }), /^routes\[1\]\.name: "a" is used twice/],
    ['defaultRoute', ok({ defaultRoute: 'allow' }), /^defaultRoute: must be "authenticate" or "deny"/],
    ['header name', ok({ identityHeaders: { subject: 'X User' } }), /^identityHeaders\.subject: is not an HTTP header name/],
    ['header twice', ok({ identityHeaders: { subject: 'X-A', issuer: 'x-a' } }), /^identityHeaders: names one header twice/],
    ['failClosedStatus', ok({ failClosedStatus: 400 }), /^failClosedStatus: must be 401, 403 or a 5xx status/],
    ['drainTimeout', ok({ drainTimeout: -1 }), /^drainTimeout: must be an integer/],
    ['publicOrigin', ok({ publicOrigin: 'https://api.example/v1' }), /^publicOrigin: must be an origin/],
    ['envoy prefix', ok({ envoy: { pathPrefix: '/authz/' } }), /^envoy\.pathPrefix: must be an absolute path without a trailing slash/],
    [
      'introspection endpoint',
      ok({ introspection: { clientId: 'c', clientSecret: { env: 'S' } } }),
      /^introspection: needs "endpoint" or "issuer"/,
    ],
    ['redis url', ok({ redis: { url: 'http://x' } }), /^redis\.url: must be a redis:\/\/ or rediss:\/\/ URL/],
    ['redis key', ok({ redis: { url: 'redis://127.0.0.1:6379', prefx: 'a' } }), /^redis: unknown option "prefx"; did you mean "prefix"\?/],
  ];
  for (const [name, raw, message] of cases) it(name, () => configError(raw, message));
});

describe('serve config: secrets only from the environment or a file', () => {
  const intro = (clientSecret: unknown): Record<string, unknown> =>
    ok({ introspection: { endpoint: 'https://as.example/introspect', clientId: 'gw', clientSecret } });

  it('a literal clientSecret is refused, and the message does not show it', () => {
    configError(intro('s3cr3t-value'), /^introspection\.clientSecret: must not be written in the config file/);
    try {
      resolveGatewayConfig(intro('s3cr3t-value'), { env: {} });
    } catch (err) {
      assert.ok(!(err as Error).message.includes('s3cr3t-value'));
    }
  });

  it('from { env }: read; unset or empty is ERR_CONFIG naming the variable, never a value', () => {
    const c = resolveGatewayConfig(intro({ env: 'GW_SECRET' }), { env: { GW_SECRET: 'from-env' } });
    assert.equal(c.introspection?.clientSecret, 'from-env');
    configError(intro({ env: 'GW_SECRET' }), /^introspection\.clientSecret\.env: the environment variable "GW_SECRET" is not set or empty/);
    configError(intro({ env: 'GW_SECRET' }), /not set or empty/, { GW_SECRET: '' });
    configError(intro({ env: 'A', file: 'b' }), /^introspection\.clientSecret: must have exactly one of "env" or "file"/);
    configError(intro({ value: 'x' }), /^introspection\.clientSecret: unknown option "value"/);
  });

  it('from { file }: relative to the config file, one trailing newline dropped; a missing file is ERR_CONFIG', () => {
    writeFileSync(join(dir, 'secret.txt'), 'from-file\n');
    const c = resolveGatewayConfig(intro({ file: 'secret.txt' }), { env: {}, baseDir: dir });
    assert.equal(c.introspection?.clientSecret, 'from-file');
    configError(intro({ file: 'missing.txt' }), /^introspection\.clientSecret\.file: cannot read "missing\.txt" \(ENOENT\)/, {}, dir);
  });

  it('redis.url: a plain URL without a password, or a secret reference; a password in the file is refused', () => {
    assert.equal(resolveGatewayConfig(ok({ redis: { url: 'redis://127.0.0.1:6379' } }), { env: {} }).redis?.url, 'redis://127.0.0.1:6379');
    configError(ok({ redis: { url: 'redis://user:pw@127.0.0.1:6379' } }), /^redis\.url: holds a password/);
    const c = resolveGatewayConfig(ok({ redis: { url: { env: 'REDIS_URL' } } }), { env: { REDIS_URL: 'redis://:pw@127.0.0.1:1' } });
    assert.equal(c.redis?.url, 'redis://:pw@127.0.0.1:1');
    assert.equal(c.redis?.prefix, 'oidc-verifier:');
  });

  it('startGateway rejects a bad config with ERR_CONFIG before listening', async () => {
    await assert.rejects(startGateway({ issuers: 'x' }, { port: 0, log: () => undefined }), (err: unknown) => {
      assert.ok(err instanceof VerifyError);
      assert.equal(err.code, 'ERR_CONFIG');
      assert.match(err.message, /^issuers: must be a non-empty array/);
      return true;
    });
  });
});

describe('serve routes: path normalisation and matching', () => {
  it('normalises as servers route, refuses ambiguous encodings', () => {
    assert.equal(normalizePath('/a/b?x=../y'), '/a/b');
    assert.equal(normalizePath('/a/./b/../c'), '/a/c');
    assert.equal(normalizePath('/a/..'), '/');
    assert.equal(normalizePath('/../../a'), '/a');
    assert.equal(normalizePath('//a\\b'), '/a/b');
    assert.equal(normalizePath('/%61%64min/%7e'), '/admin/~');
    assert.equal(normalizePath('/a%20b'), '/a%20b');
    for (const bad of ['/a/%2e%2e/b', '/a%2Fb', '/a%5cb', '/a%00', '/a b', 'a/b', `/${'a'.repeat(9000)}`])
      assert.equal(normalizePath(bad), undefined, bad);
  });

  it('path prefixes are segment-aware', () => {
    assert.equal(underPrefix('/admin/x', '/admin/'), true);
    assert.equal(underPrefix('/admin', '/admin/'), true);
    assert.equal(underPrefix('/admin', '/admin'), true);
    assert.equal(underPrefix('/admin/x', '/admin'), true);
    assert.equal(underPrefix('/administrator', '/admin'), false);
    assert.equal(underPrefix('/administrator', '/admin/'), false);
    assert.equal(underPrefix('/anything', '/'), true);
  });

  it('the first matching route wins; methods and patterns filter', () => {
    const c = resolveGatewayConfig(
      ok({ routes: [{ name: 'w', methods: ['POST'], path: '/a' }, { pattern: '^/a/[0-9]+$' }, { path: '/a' }] }),
      { env: {} },
    );
    assert.equal(matchRoute(c.routes, 'POST', '/a/1')?.label, 'w');
    assert.equal(matchRoute(c.routes, 'GET', '/a/1')?.label, '1');
    assert.equal(matchRoute(c.routes, 'GET', '/a/x')?.label, '2');
    assert.equal(matchRoute(c.routes, 'GET', '/b'), undefined);
  });
});
