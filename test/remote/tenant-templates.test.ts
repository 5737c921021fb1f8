// Issuer templates under attack: a tenant id taken from an unverified token must not steer
// discovery to another host, and tokens of made-up tenants must not make the verifier call the
// issuer (or keep memory) without bound. Real servers on 127.0.0.1 count every request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, VerifyError, type VerifierStats } from '../../src/index.js';
import { parseTemplate, tenantSyntaxProblem, tenantUrlProblem } from '../../src/issuers.js';
import { sharedJwksCache } from '../../src/remote/jwks-registry.js';
import { clock, json, jwks, makeKey, rejectsWith, startServer, type TestKey, type TestServer } from '../support/jwks-server.js';

/** The per-issuer entries of `stats()` (without the verified-signature cache's `cache`). */
function issuerStats(v: { stats(): VerifierStats }): Omit<VerifierStats, 'cache'> {
  const { cache: _cache, ...issuers } = v.stats();
  return issuers;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WK = '/.well-known/openid-configuration';

let attacker: TestServer;
let good: TestServer;
let attackerKey: TestKey;
let key: TestKey;

before(async () => {
  [attacker, good] = await Promise.all([startServer(), startServer()]);
  [attackerKey, key] = await Promise.all([makeKey('evil'), makeKey('k1')]);
  attacker.route('/jwks', json(jwks(attackerKey)));
});

after(async () => {
  await Promise.all([attacker.close(), good.close()]);
});

function exp(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000) + 600;
}

/** A token with the right shape and kid but a random (garbage) signature. */
function junkToken(payload: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'ES256', kid: 'k1' })}.${enc(payload)}.${randomBytes(64).toString('base64url')}`;
}

/** Rejects with ERR_ISSUER (never ERR_CONFIG, never a non-VerifyError). */
async function issuerError(p: Promise<unknown>, label: string): Promise<VerifyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof VerifyError, `${label}: expected a VerifyError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_ISSUER', `${label}: ${err.message}`);
    return err;
  }
  assert.fail(`${label}: accepted`);
}

const BAD_ANYWHERE = [
  '@',
  'a@b',
  'user@127.0.0.1',
  '%',
  '%41',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  ':',
  'a:1',
  '127.0.0.1:443',
  ' ',
  'a b',
  ' a',
  'a ',
  '\t',
  'a\tb',
  'a\n',
  '\r\na',
  '\u0000',
  'é',
  'ｅｖｉｌ',
  'İ',
  'a\u200bb',
  'a\u202eb',
  '.',
  '..',
  '\\',
  'a\\b',
  'evil.com\\',
  '[::1]',
  'a;b',
  'a,b',
  "a'b",
  'a$b',
  'a&b',
  'a+b',
  'a=b',
  'a"b',
  'a<b',
  'a{b}',
];
const BAD_HOST = ['EVIL', 'Contoso', '-a', 'a-', 'a.b', 'evil.com', 'a_b', '~a', 'a'.repeat(64)];
const BAD_PATH = ['.hidden', 'a'.repeat(129)];
const GOOD_HOST = ['contoso', 'a', 'a-b', 'a'.repeat(63), '9188040d-6c67-4c5b-b112-36a304b66dad'];
const GOOD_PATH = ['9188040d-6c67-4c5b-b112-36a304b66dad', 'Contoso', 'contoso.onmicrosoft.com', 'a..b', 'a_b~c', 'a'.repeat(128)];

describe('issuer templates: the tenant cannot steer discovery (finding 1)', () => {
  it('a backslash tenant in a host template is refused with ERR_ISSUER and the attacker server gets no request', async () => {
    // With WHATWG URL parsing, "http://127.0.0.1:PORT\.idp.invalid/v2.0" is host 127.0.0.1:PORT.
    // .invalid (RFC 2606) never resolves, so nothing can leave 127.0.0.1 whatever happens.
    const port = new URL(attacker.origin).port;
    const verifier = createVerifier({
      issuer: 'http://{tenantid}.idp.invalid/v2.0',
      audience: 'client',
      tenants: () => true,
      allowHttp: true,
    });
    const crafted = [
      `127.0.0.1:${port}\\`,
      `127.0.0.1:${port}\t\\`,
      `x@127.0.0.1:${port}\\`,
      `127.0.0.1:${port}?`,
      `127.0.0.1:${port}#`,
      `127.0.0.1:${port}/`,
      `127.0.0.1:${port}%5C`,
    ];
    for (const tenant of crafted) {
      const iss = `http://${tenant}.idp.invalid/v2.0`;
      let path: string | undefined;
      try {
        path = new URL(iss + WK).pathname;
      } catch {
        path = undefined;
      }
      // The attacker serves metadata claiming exactly this issuer, and its own keys.
      if (path !== undefined) attacker.route(path, json({ issuer: iss, jwks_uri: `${attacker.origin}/jwks` }));
      const token = await attackerKey.sign({ iss, tid: tenant, aud: 'client', sub: 'victim', exp: exp() });
      await issuerError(verifier.verifyIdToken(token), JSON.stringify(tenant));
      await issuerError(verifier.verifyAccessToken(token), JSON.stringify(tenant));
    }
    assert.equal(attacker.total(), 0, 'the attacker server must receive no request');
    assert.deepEqual(issuerStats(verifier), {}, 'no context was built for a refused tenant');
    verifier.close();
  });

  it('a path template refuses delimiter, percent, whitespace, unicode, dot-segment, empty and overlong tenants with no request', async () => {
    const verifier = createVerifier({ issuer: `${good.origin}/{tenantid}/v2.0`, audience: 'client', tenants: () => true });
    const before = good.total();
    for (const tenant of [...BAD_ANYWHERE, ...BAD_PATH, '']) {
      const token = await key.sign({ iss: `${good.origin}/${tenant}/v2.0`, tid: tenant, aud: 'client', sub: 's', exp: exp() });
      await issuerError(verifier.verifyIdToken(token), JSON.stringify(tenant));
    }
    assert.equal(good.total(), before, 'refused tenants cost no request');
    assert.equal(attacker.total(), 0);
    assert.deepEqual(issuerStats(verifier), {});
    verifier.close();
  });

  it('host and path templates with static keys: bad tenants are ERR_ISSUER, good ones verify', async () => {
    const keys = jwks(key) as never;
    const host = createVerifier({
      issuer: 'https://{tenantid}.b2clogin.example/tfp/v2.0/',
      audience: 'client',
      tenants: () => true,
      jwks: keys,
    });
    const path = createVerifier({ issuer: 'https://login.example/{tenantid}/v2.0', audience: 'client', tenants: () => true, jwks: keys });
    for (const tenant of [...BAD_ANYWHERE, ...BAD_HOST, '']) {
      const iss = `https://${tenant}.b2clogin.example/tfp/v2.0/`;
      await issuerError(
        host.verifyIdToken(await key.sign({ iss, tid: tenant, aud: 'client', sub: 's', exp: exp() })),
        `host ${JSON.stringify(tenant)}`,
      );
    }
    for (const tenant of [...BAD_ANYWHERE, ...BAD_PATH]) {
      const iss = `https://login.example/${tenant}/v2.0`;
      await issuerError(
        path.verifyIdToken(await key.sign({ iss, tid: tenant, aud: 'client', sub: 's', exp: exp() })),
        `path ${JSON.stringify(tenant)}`,
      );
    }
    for (const tenant of GOOD_HOST) {
      const iss = `https://${tenant}.b2clogin.example/tfp/v2.0/`;
      assert.equal((await host.verifyIdToken(await key.sign({ iss, tid: tenant, aud: 'client', sub: 's', exp: exp() }))).issuer, iss);
    }
    for (const tenant of GOOD_PATH) {
      const iss = `https://login.example/${tenant}/v2.0`;
      assert.equal((await path.verifyIdToken(await key.sign({ iss, tid: tenant, aud: 'client', sub: 's', exp: exp() }))).issuer, iss);
    }
  });

  it('every ASCII character and a few non-ASCII ones: exactly the documented set is accepted, the rest is ERR_ISSUER', async () => {
    const keys = jwks(key) as never;
    const host = createVerifier({
      issuer: 'https://{tenantid}.b2clogin.example/tfp/',
      audience: 'client',
      tenants: () => true,
      jwks: keys,
    });
    const path = createVerifier({ issuer: 'https://login.example/{tenantid}/v2.0', audience: 'client', tenants: () => true, jwks: keys });
    const chars = [
      ...Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)),
      '\u0080',
      '\u00a0',
      '\u0131',
      '\u212a',
      '\u2024',
      '\uff0e',
      '\ud83d\ude00',
      '\ud800',
    ];
    const accepted = { host: '', path: '' };
    for (const c of chars) {
      for (const [name, v, iss] of [
        ['host', host, (t: string) => `https://${t}.b2clogin.example/tfp/`],
        ['path', path, (t: string) => `https://login.example/${t}/v2.0`],
      ] as const) {
        const tenant = `a${c}b`;
        try {
          await v.verifyIdToken(await key.sign({ iss: iss(tenant), tid: tenant, aud: 'client', sub: 's', exp: exp() }));
          accepted[name] += c;
        } catch (err) {
          assert.ok(err instanceof VerifyError && err.code === 'ERR_ISSUER', `${name} ${JSON.stringify(tenant)}: ${String(err)}`);
        }
      }
    }
    assert.equal(accepted.host, '-0123456789abcdefghijklmnopqrstuvwxyz');
    assert.equal(accepted.path, '-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~');
  });

  it('the URL check alone (without the character rule) catches host changes and normalisation', () => {
    const host = parseTemplate('https://{tenantid}.b2clogin.com/tfp/v2.0/');
    assert.equal(host.position, 'host');
    const at = (shape: typeof host, prefix: string, suffix: string, tenant: string) =>
      tenantUrlProblem(shape, prefix + tenant + suffix, tenant);
    for (const tenant of [
      'evil.com\\',
      'evil.com?',
      'evil.com#',
      'x@evil.com\\',
      'evil.com:444\\',
      'EVIL',
      'evil.com',
      'ｅｖｉｌ',
      'a%2eb',
    ]) {
      assert.match(
        at(host, 'https://', '.b2clogin.com/tfp/v2.0/', tenant) ?? 'accepted',
        /host|port|parses|not a URL/,
        JSON.stringify(tenant),
      );
      assert.notEqual(tenantSyntaxProblem('host', tenant), undefined);
    }
    assert.equal(at(host, 'https://', '.b2clogin.com/tfp/v2.0/', 'contoso'), undefined);
    const path = parseTemplate('https://login.example.com/{tenantid}/v2.0');
    assert.equal(path.position, 'path');
    for (const tenant of ['..', '.', '%2e%2e', '.%2E', 'a\\..\\..', '\\\\evil.com\\x', 'a b', 'é']) {
      assert.notEqual(at(path, 'https://login.example.com/', '/v2.0', tenant), undefined, JSON.stringify(tenant));
    }
    assert.equal(at(path, 'https://login.example.com/', '/v2.0', '9188040d-6c67-4c5b-b112-36a304b66dad'), undefined);
  });

  it('templates and tenant lists are checked at createVerifier (ERR_CONFIG)', () => {
    const bad: Record<string, unknown>[] = [
      { issuer: 'https://x{tenantid}.example.com/', tenants: () => true },
      { issuer: 'https://example.com:{tenantid}/', tenants: () => true },
      { issuer: 'https://{tenantid}@example.com/', tenants: () => true },
      { issuer: 'https://example.com/v2.0?t={tenantid}', tenants: () => true },
      { issuer: 'https://example.com/v2.0#{tenantid}', tenants: () => true },
      { issuer: '{tenantid}', tenants: () => true },
      { issuer: 'https://{tenantid}.example.com/', tenants: ['EVIL'] },
      { issuer: 'https://{tenantid}.example.com/', tenants: ['evil.com\\'] },
      { issuer: 'https://example.com/{tenantid}', tenants: ['a/b'] },
      { issuer: 'https://example.com/{tenantid}', tenants: ['..'] },
      // Discovery over plain http to a non-loopback host: refused now, not on every token.
      { issuer: 'http://{tenantid}.example.com/', tenants: () => true, jwks: undefined },
      // Remote options of a template are checked before its first token too.
      { issuer: 'https://{tenantid}.example.com/', tenants: () => true, jwks: undefined, maxKeys: 0 },
      { issuer: 'https://{tenantid}.example.com/', tenants: () => true, jwks: undefined, jwksUri: 'http://keys.example.com/' },
      { issuer: 'https://example.com/{tenantid}', tenants: () => true, tenantLimits: { newTenants: 0 } },
      { issuer: 'https://example.com/{tenantid}', tenants: () => true, tenantLimits: { maxUnproven: 1.5 } },
      { issuer: 'https://example.com/{tenantid}', tenants: () => true, tenantLimits: { window: -1 } },
      { issuer: 'https://example.com/{tenantid}', tenants: () => true, tenantLimits: { maxTennants: 5 } },
      { issuer: 'https://example.com/{tenantid}', tenants: () => true, tenantLimits: 5 },
      { issuer: 'https://example.com/', tenantLimits: { newTenants: 5 } },
    ];
    for (const o of bad) {
      const options = { audience: 'a', jwks: { keys: [] }, ...o };
      assert.throws(
        () => createVerifier(options),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
        JSON.stringify(o),
      );
    }
    createVerifier({ issuer: 'https://example.com/t-{tenantid}/v2.0', audience: 'a', jwks: { keys: [] }, tenants: ['contoso'] }).close();
    createVerifier({
      issuer: 'https://{tenantid}.example.com/',
      audience: 'a',
      tenants: () => true,
      tenantLimits: { newTenants: 1, window: 1000 },
    }).close();
  });

  it('a throwing tenants predicate is ERR_ISSUER, not the thrown error', async () => {
    const verifier = createVerifier({
      issuer: 'https://login.example/{tenantid}/v2.0',
      audience: 'client',
      jwks: jwks(key) as never,
      tenants: () => {
        throw new TypeError('boom');
      },
    });
    await issuerError(
      verifier.verifyIdToken(await key.sign({ iss: 'https://login.example/t/v2.0', tid: 't', aud: 'client', sub: 's', exp: exp() })),
      'predicate',
    );
  });
});

/** A multi-tenant IdP on 127.0.0.1: discovery and a JWKS for any (existing) tenant path; counts requests. */
async function tenantIdp(
  k: TestKey,
  exists: (tid: string) => boolean = () => true,
): Promise<{ origin: string; total(): number; close(): Promise<void> }> {
  let total = 0;
  let origin = '';
  const server: Server = createServer((req, res) => {
    total++;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    const body =
      m && !exists(m[1]!)
        ? undefined
        : m
          ? { issuer: `${origin}/${m[1]}/v2.0`, jwks_uri: `${origin}/${m[1]}/keys` }
          : /^\/[^/]+\/keys$/.test(path)
            ? jwks(k)
            : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    total: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('issuer templates: unauthenticated tenants are budgeted (finding 3)', () => {
  it('junk tokens with random GUID tids cost O(1) requests per window and bounded contexts; a genuine new tenant still verifies', async () => {
    const idp = await tenantIdp(key);
    try {
      const clk = clock(Date.now());
      const limits = { newTenants: 5, maxUnproven: 8, window: 60_000 };
      const verifier = createVerifier({
        issuer: `${idp.origin}/{tenantid}/v2.0`,
        audience: 'client',
        tenants: (t) => GUID.test(t),
        tenantLimits: limits,
        now: clk.now,
        monotonicClock: clk.now,
      });
      const jwksUri = (tid: string) => `${idp.origin}/${tid}/keys`;
      /** Whether the process-wide JWKS cache of this URI is still held by a user (not released). */
      const cacheAlive = (tid: string) => {
        const c = sharedJwksCache(jwksUri(tid), { monotonicClock: clk.now });
        const alive = c.users > 0; // released caches may stay parked (idle, bounded) for reuse
        c.acquire().release(); // leaves a live cache as it was; frees one this probe created
        return alive;
      };

      const heapBefore = process.memoryUsage().heapUsed;
      const windows = 6;
      const perWindow = 500;
      const created: string[] = [];
      let budgetErrors = 0;
      for (let w = 0; w < windows; w++) {
        const tids = Array.from({ length: perWindow }, () => randomUUID());
        const results = await Promise.allSettled(
          tids.map((tid) =>
            verifier.verifyIdToken(junkToken({ iss: `${idp.origin}/${tid}/v2.0`, tid, aud: 'client', sub: 's', exp: exp(clk.now()) })),
          ),
        );
        results.forEach((r, i) => {
          assert.equal(r.status, 'rejected');
          const e = r.reason as VerifyError;
          assert.ok(e instanceof VerifyError, String(e));
          if (e.code === 'ERR_SIGNATURE_INVALID') created.push(tids[i]!);
          else {
            assert.equal(e.code, 'ERR_DISCOVERY', e.message);
            assert.match(e.message, /new-tenant budget .* is spent/);
            budgetErrors++;
          }
        });
        assert.ok(Object.keys(issuerStats(verifier)).length <= limits.maxUnproven, 'live tenant contexts stay bounded');
        clk.advance(limits.window);
      }
      const heapAfter = process.memoryUsage().heapUsed;
      const tokens = windows * perWindow;
      console.log(
        `# ${tokens} junk tokens: ${idp.total()} requests, ${created.length} tenants discovered, ${budgetErrors} refused by the budget, ` +
          `${Object.keys(issuerStats(verifier)).length} live contexts, heap ${(heapBefore / 2 ** 20).toFixed(1)} -> ${(heapAfter / 2 ** 20).toFixed(1)} MB`,
      );
      assert.equal(created.length, windows * limits.newTenants, 'exactly the budget of new tenants ran discovery');
      assert.ok(idp.total() <= 2 * windows * limits.newTenants, `requests ${idp.total()} <= 2 per budgeted tenant`);
      assert.equal(budgetErrors, tokens - created.length);
      // Dropped contexts released their shared JWKS caches; the live ones still hold theirs.
      const live = created.slice(-limits.maxUnproven);
      for (const tid of live) assert.ok(cacheAlive(tid), 'a live unproven tenant keeps its JWKS cache');
      for (const tid of created.slice(0, -limits.maxUnproven)) assert.ok(!cacheAlive(tid), 'a dropped tenant released its JWKS cache');

      // Spend the fresh window's budget, then a genuine new tenant must wait for the next one.
      for (let i = 0; i < limits.newTenants; i++) {
        const tid = randomUUID();
        await rejectsWith(
          verifier.verifyIdToken(junkToken({ iss: `${idp.origin}/${tid}/v2.0`, tid, aud: 'client', sub: 's', exp: exp(clk.now()) })),
          'ERR_SIGNATURE_INVALID',
        );
      }
      const genuine = randomUUID();
      const genuineIss = `${idp.origin}/${genuine}/v2.0`;
      const sign = () =>
        key.sign({ iss: genuineIss, tid: genuine, aud: 'client', sub: 'alice', exp: exp(clk.now()), iat: Math.floor(clk.now() / 1000) });
      const requests = idp.total();
      const spent = await rejectsWith(verifier.verifyIdToken(await sign()), 'ERR_DISCOVERY');
      assert.match(spent.message, /budget/);
      assert.equal(idp.total(), requests, 'a refused new tenant costs no request');
      clk.advance(limits.window);
      assert.equal((await verifier.verifyIdToken(await sign())).issuer, genuineIss);

      // Proven now: more junk churns the unproven set but never drops the genuine tenant.
      for (let w = 0; w < 3; w++) {
        await Promise.allSettled(
          Array.from({ length: 200 }, () => {
            const tid = randomUUID();
            return verifier.verifyIdToken(
              junkToken({ iss: `${idp.origin}/${tid}/v2.0`, tid, aud: 'client', sub: 's', exp: exp(clk.now()) }),
            );
          }),
        );
        clk.advance(limits.window);
      }
      const afterChurn = idp.total();
      assert.equal((await verifier.verifyIdToken(await sign())).issuer, genuineIss);
      assert.equal(idp.total(), afterChurn, 'the proven tenant is still cached');
      assert.ok(genuineIss in issuerStats(verifier));
      assert.ok(Object.keys(issuerStats(verifier)).length <= limits.maxUnproven + 1);
      verifier.close();
      assert.ok(!cacheAlive(genuine), 'close() releases every JWKS cache');
    } finally {
      await idp.close();
    }
  });

  it('a tenant whose discovery fails, or whose token names an unknown key, is dropped: asking again spends the budget again', async () => {
    const missing = (tid: string) => tid.startsWith('00000000');
    const idp = await tenantIdp(key, (tid) => !missing(tid));
    try {
      const clk = clock(Date.now());
      const limits = { newTenants: 1, maxUnproven: 10, window: 60_000 };
      const verifier = createVerifier({
        issuer: `${idp.origin}/{tenantid}/v2.0`,
        audience: 'client',
        tenants: (t) => GUID.test(t),
        tenantLimits: limits,
        now: clk.now,
        monotonicClock: clk.now,
      });
      const token = (tid: string, kid = 'k1') => {
        const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const payload = { iss: `${idp.origin}/${tid}/v2.0`, tid, aud: 'client', sub: 's', exp: exp(clk.now()) };
        return `${enc({ alg: 'ES256', kid })}.${enc(payload)}.${randomBytes(64).toString('base64url')}`;
      };
      // Tenants the IdP does not know (discovery answers 404), retried past every discovery backoff.
      const fakes = Array.from({ length: 5 }, () => `00000000${randomUUID().slice(8)}`);
      const rounds = 20;
      const step = 31_000;
      for (let r = 0; r < rounds; r++) {
        for (const tid of fakes) {
          const e = await rejectsWith(verifier.verifyIdToken(token(tid)), 'ERR_DISCOVERY');
          assert.ok(/404|budget/.test(e.message), e.message);
        }
        clk.advance(step);
      }
      const budget = limits.newTenants + Math.floor((rounds * step * limits.newTenants) / limits.window);
      assert.ok(idp.total() <= budget, `discovery requests ${idp.total()} stay within the budget ${budget}`);
      assert.deepEqual(issuerStats(verifier), {}, 'failed tenants keep no context');

      // An existing tenant but a kid it never published: each attempt costs a budget unit.
      clk.advance(limits.window);
      const real = randomUUID();
      const before = idp.total();
      await rejectsWith(verifier.verifyIdToken(token(real, 'nope')), 'ERR_KEY_NOT_FOUND');
      assert.equal(idp.total(), before + 2, 'discovery and JWKS, once');
      for (let i = 0; i < 50; i++) await rejectsWith(verifier.verifyIdToken(token(real, `nope-${i}`)), 'ERR_DISCOVERY');
      assert.equal(idp.total(), before + 2, 'unknown kids of an unproven tenant cost no more requests');
      // The same tenant with a genuine token, once the budget allows.
      clk.advance(limits.window);
      const iss = `${idp.origin}/${real}/v2.0`;
      const genuine = await key.sign({
        iss,
        tid: real,
        aud: 'client',
        sub: 'alice',
        exp: exp(clk.now()),
        iat: Math.floor(clk.now() / 1000),
      });
      assert.equal((await verifier.verifyIdToken(genuine)).issuer, iss);
      verifier.close();
    } finally {
      await idp.close();
    }
  });

  it('listed tenants skip the budget; beyond maxTenants the oldest context is dropped and its JWKS cache released', async () => {
    const idp = await tenantIdp(key);
    try {
      const tids = [randomUUID(), randomUUID(), randomUUID()];
      const verifier = createVerifier({
        issuer: `${idp.origin}/{tenantid}/v2.0`,
        audience: 'client',
        tenants: tids,
        tenantLimits: { maxTenants: 2, newTenants: 1 },
      });
      for (const tid of tids) {
        const iss = `${idp.origin}/${tid}/v2.0`;
        assert.equal((await verifier.verifyIdToken(await key.sign({ iss, tid, aud: 'client', sub: 's', exp: exp() }))).issuer, iss);
      }
      assert.deepEqual(
        Object.keys(issuerStats(verifier)).sort(),
        tids
          .slice(1)
          .map((t) => `${idp.origin}/${t}/v2.0`)
          .sort(),
      );
      const released = sharedJwksCache(`${idp.origin}/${tids[0]}/keys`);
      assert.equal(released.users, 0, 'the dropped tenant released its JWKS cache');
      released.acquire().release();
      const kept = sharedJwksCache(`${idp.origin}/${tids[2]}/keys`);
      assert.notEqual(kept.keySet, undefined);
      assert.equal(kept.users, 1, 'a live tenant still holds its JWKS cache');
      kept.acquire().release();
      verifier.close();
    } finally {
      await idp.close();
    }
  });
});
