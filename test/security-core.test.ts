/**
 * Security audit of the core (keys, claims, compact parsing, options, verifier): each test fails on
 * the code before the fix.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify as cryptoVerify, createPublicKey, type JsonWebKey } from 'node:crypto';
import {
  createVerifier,
  createRemoteKeySource,
  hashClaimValue,
  BACKCHANNEL_LOGOUT_EVENT,
  ClaimError,
  KeyNotFoundError,
  VerifyError,
  type ErrorCode,
  type RemoteKeyEvent,
  type Verifier,
  type VerifierOptions,
} from '../src/index.js';
import { importJwk, isSmallOrderEdwardsKey } from '../src/keys/jwk.js';
import { parseCompactJws } from '../src/jose/compact.js';
import { freshKeyPair } from './support/fresh-key-pair.js';
import { AUDIENCE, ISSUER, NOW_MS, NOW_S, b64u, compose, idTokenClaims, makeIssuer, type TestIssuer } from './support/sign.js';
import { json, startServer } from './support/jwks-server.js';

type J = Record<string, unknown>;

function isCode(code: ErrorCode, claim?: string, message?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof VerifyError, `expected VerifyError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (claim !== undefined) {
      assert.ok(e instanceof ClaimError);
      assert.equal(e.claim, claim);
    }
    if (message !== undefined) assert.match(e.message, message);
    return true;
  };
}

/** Both the async and the sync method must fail with `code`. */
async function bothFail(
  v: Verifier,
  method: 'IdToken' | 'AccessToken' | 'LogoutToken',
  token: string,
  code: ErrorCode,
  options?: object,
  claim?: string,
  message?: RegExp,
): Promise<void> {
  const call = (sync: boolean): unknown => {
    const m = (v as unknown as Record<string, (t: string, o?: object) => unknown>)[`verify${method}${sync ? 'Sync' : ''}`]!.bind(v);
    return options === undefined ? m(token) : m(token, options);
  };
  await assert.rejects(async () => call(false), isCode(code, claim, message));
  assert.throws(() => call(true), isCode(code, claim, message));
}

const API = 'https://api.example.com';

function atClaims(over: J = {}): J {
  const c: J = { iss: ISSUER, sub: 'u1', aud: API, exp: NOW_S + 300, iat: NOW_S - 5, jti: 'j1', client_id: 'c1', ...over };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

function logoutClaims(over: J = {}): J {
  const c: J = {
    iss: ISSUER,
    aud: AUDIENCE,
    iat: NOW_S - 1,
    exp: NOW_S + 120,
    jti: 'l1',
    sid: 's1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...over,
  };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

let es: TestIssuer;
let hs: TestIssuer;
let verifier: Verifier;

before(async () => {
  es = await makeIssuer('ES256');
  hs = await makeIssuer('HS256');
  verifier = createVerifier({ issuer: ISSUER, audience: [AUDIENCE, API], jwks: es.jwks, now: () => NOW_MS });
});

describe('private key material in a key set (RFC 7517 §5)', () => {
  const ec = freshKeyPair('ec', { namedCurve: 'P-256' });
  const rsa = freshKeyPair('rsa', { modulusLength: 2048 });
  const ed = freshKeyPair('ed25519');
  const ecPrivate: J = { ...(ec.privateKey.export({ format: 'jwk' }) as J), kid: 'leaked', alg: 'ES256', use: 'sig' };

  it('a member carrying d (RSA, EC, OKP) or any other private member is skipped with a reason', () => {
    const privates: J[] = [ecPrivate, rsa.privateKey.export({ format: 'jwk' }), ed.privateKey.export({ format: 'jwk' })];
    for (const jwk of privates) {
      assert.ok(typeof jwk.d === 'string');
      const r = importJwk(jwk, 0);
      assert.ok('reason' in r, `a private ${String(jwk.kty)} key was imported`);
      assert.match(r.reason, /^private key material published: member "d"/);
    }
    const ecPublic = ec.publicKey.export({ format: 'jwk' }) as J;
    const rsaPublic = rsa.publicKey.export({ format: 'jwk' }) as J;
    for (const [m, base] of [
      ['p', rsaPublic],
      ['q', rsaPublic],
      ['dp', rsaPublic],
      ['dq', rsaPublic],
      ['qi', rsaPublic],
      ['oth', rsaPublic],
      ['k', ecPublic],
    ] as const) {
      const r = importJwk({ ...base, [m]: m === 'oth' ? [] : 'AQAB' }, 0);
      assert.ok('reason' in r, `imported with private member ${m}`);
      assert.match(r.reason, new RegExp(`member "${m}"`));
    }
    // Reported as leaked key material even when the member is unusable for another reason too.
    const encrypting = importJwk({ ...ecPrivate, use: 'enc' }, 0);
    assert.ok('reason' in encrypting);
    assert.match(encrypting.reason, /^private key material published/);
    // The same keys without private members are fine.
    assert.ok('key' in importJwk(ecPublic, 0));
    assert.ok('key' in importJwk(rsaPublic, 0));
  });

  it('a token signed by the leaked key is not verified with it (static JWKS)', async () => {
    const { SignJWT } = await import('jose');
    const token = await new SignJWT(idTokenClaims()).setProtectedHeader({ alg: 'ES256', kid: 'leaked' }).sign(ec.privateKey);
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [ecPrivate as never] }, now: () => NOW_MS });
    await assert.rejects(v.verifyIdToken(token), (e: unknown) => {
      assert.ok(e instanceof KeyNotFoundError, String(e));
      assert.match(e.message, /private key material published/);
      assert.ok(!e.message.includes(String(ecPrivate.d)), 'message leaks the private key');
      return true;
    });
  });

  it('a remote JWKS with a private member: skipped, reported in refresh.skipped and as a private-key-published warning', async () => {
    const server = await startServer();
    try {
      const pub = { ...(ed.publicKey.export({ format: 'jwk' }) as J), kid: 'ok', alg: 'EdDSA', use: 'sig' };
      server.route('/jwks', json({ keys: [pub, ecPrivate] }));
      const events: RemoteKeyEvent[] = [];
      const source = createRemoteKeySource({ jwksUri: `${server.origin}/jwks`, allowHttp: true, onEvent: (e) => events.push(e) });
      try {
        await source.warmUp();
        const refresh = events.find((e) => e.type === 'refresh');
        assert.ok(refresh && refresh.type === 'refresh');
        assert.equal(refresh.keys, 1);
        assert.equal(refresh.skipped.length, 1);
        assert.match(refresh.skipped[0]!.reason, /private key material/);
        const warning = events.find((e) => e.type === 'private-key-published');
        assert.ok(warning && warning.type === 'private-key-published', `events: ${events.map((e) => e.type).join(', ')}`);
        assert.equal(warning.jwksUri, `${server.origin}/jwks`);
        assert.deepEqual(
          warning.keys.map((k) => [k.index, k.kid]),
          [[1, 'leaked']],
        );
        assert.ok(!JSON.stringify(warning).includes(String(ecPrivate.d)), 'the event carries the private key');
        assert.equal(server.count('/jwks'), 1);
      } finally {
        source.close?.();
      }
    } finally {
      await server.close();
    }
  });
});

describe('HS* with the client secret is for ID tokens only (OIDC Core §10.1)', () => {
  let withSecret: Verifier;
  before(() => {
    withSecret = createVerifier({
      issuer: ISSUER,
      audience: [AUDIENCE, API],
      jwks: es.jwks,
      clientSecret: hs.secret!,
      algorithms: ['ES256', 'HS256'],
      now: () => NOW_MS,
    });
  });

  it('an HS256 ID token is still accepted', async () => {
    assert.equal((await withSecret.verifyIdToken(await hs.sign(idTokenClaims()))).key.alg, 'HS256');
  });

  it('an HS256 access token or logout token is ERR_ALG_NOT_ALLOWED, whatever algorithms says', async () => {
    const at = await hs.sign(atClaims(), { typ: 'at+jwt' });
    await bothFail(
      withSecret,
      'AccessToken',
      at,
      'ERR_ALG_NOT_ALLOWED',
      undefined,
      undefined,
      /access token: HMAC with the client secret is for ID tokens only.*expected one of ES256$/,
    );
    const lt = await hs.sign(logoutClaims(), { typ: 'logout+jwt' });
    await bothFail(withSecret, 'LogoutToken', lt, 'ERR_ALG_NOT_ALLOWED', undefined, undefined, /logout token: HMAC/);
    const hsOnly = createVerifier({ issuer: ISSUER, audience: API, clientSecret: hs.secret!, algorithms: ['HS256'], now: () => NOW_MS });
    await bothFail(
      hsOnly,
      'AccessToken',
      at,
      'ERR_ALG_NOT_ALLOWED',
      undefined,
      undefined,
      /ID tokens only.*no asymmetric algorithm is configured/,
    );
    hsOnly.close();
    // The same tokens signed with the issuer's key pass.
    await withSecret.verifyAccessToken(await es.sign(atClaims(), { typ: 'at+jwt' }));
    await withSecret.verifyLogoutToken(await es.sign(logoutClaims(), { typ: 'logout+jwt' }));
  });
});

describe('a logout token never passes as an ID or access token (Back-Channel Logout §2.4)', () => {
  it('verifyIdToken refuses a token with "events" (typ absent or JWT, no nonce expected)', async () => {
    for (const typ of [undefined, 'JWT']) {
      const t = await es.sign(logoutClaims({ sub: 'user-123' }), { typ });
      await bothFail(verifier, 'IdToken', t, 'ERR_CLAIM_INVALID', undefined, 'events', /logout token/);
      assert.equal((await verifier.verifyLogoutToken(t)).payload.jti, 'l1');
    }
  });

  it('verifyAccessToken refuses a token with "events"', async () => {
    const t = await es.sign(atClaims({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } }), { typ: 'at+jwt' });
    await bothFail(verifier, 'AccessToken', t, 'ERR_CLAIM_INVALID', undefined, 'events');
  });
});

describe('header kid must be a string (RFC 7515 §4.1.4)', () => {
  it('parseCompactJws: a number, object, array, null or boolean kid is ERR_MALFORMED', () => {
    for (const kid of [7, { a: 1 }, ['k'], null, true]) {
      assert.throws(
        () => parseCompactJws(compose({ alg: 'ES256', kid }, { a: 1 }, 'AAAA')),
        isCode('ERR_MALFORMED', undefined, /"kid" must be a string/),
      );
    }
    assert.equal(parseCompactJws(compose({ alg: 'ES256', kid: 'k' }, { a: 1 }, 'AAAA')).header.kid, 'k');
  });
});

describe('key_ops members (RFC 7517 §4.3)', () => {
  const jwk = freshKeyPair('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as J;
  it('non-string or duplicate members make the key unusable', () => {
    for (const [ops, reason] of [
      [['verify', 1], /not a string/],
      [['verify', null], /not a string/],
      [['verify', ['sign']], /not a string/],
      [['verify', 'verify'], /duplicate/],
      [['sign', 'verify', 'sign'], /duplicate/],
    ] as const) {
      const r = importJwk({ ...jwk, key_ops: ops }, 0);
      assert.ok('reason' in r, `accepted key_ops ${JSON.stringify(ops)}`);
      assert.match(r.reason, reason);
    }
    assert.ok('key' in importJwk({ ...jwk, key_ops: ['verify'] }, 0));
  });
});

describe('requiredClaims counts own members only', () => {
  it('toString, constructor, __proto__ and hasOwnProperty from Object.prototype are not present claims', async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const v = createVerifier({ issuer: ISSUER, audience: [AUDIENCE, API], jwks: es.jwks, now: () => NOW_MS, requiredClaims: [name] });
      await bothFail(v, 'IdToken', await es.sign(idTokenClaims()), 'ERR_CLAIM_MISSING', undefined, name);
      await bothFail(v, 'AccessToken', await es.sign(atClaims(), { typ: 'at+jwt' }), 'ERR_CLAIM_MISSING', undefined, name);
      await bothFail(v, 'LogoutToken', await es.sign(logoutClaims()), 'ERR_CLAIM_MISSING', undefined, name);
      if (name !== '__proto__') await v.verifyIdToken(await es.sign(idTokenClaims({ [name]: 1 })));
    }
  });
});

describe('small-order Ed25519 / Ed448 public keys (RFC 8032)', () => {
  const ed25519 = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];

  /** y as 57 little-endian bytes (x sign bit 0). */
  function ed448(y: bigint): string {
    const b = Buffer.alloc(57);
    for (let i = 0; i < 56; i++) b[i] = Number((y >> BigInt(8 * i)) & 0xffn);
    return b.toString('hex');
  }
  const p448 = 2n ** 448n - 2n ** 224n - 1n;

  function withSign(hex: string): string {
    const b = Buffer.from(hex, 'hex');
    b[b.length - 1]! |= 0x80;
    return b.toString('hex');
  }

  it('every small-order encoding (canonical, non-canonical, either x sign bit) is refused at import', () => {
    const ed448List = [1n, p448 - 1n, 0n, p448, p448 + 1n].map(ed448);
    for (const [crv, list] of [
      ['Ed25519', ed25519],
      ['Ed448', ed448List],
    ] as const) {
      for (const hex of [...list, ...list.map(withSign)]) {
        const r = importJwk({ kty: 'OKP', crv, x: Buffer.from(hex, 'hex').toString('base64url') }, 0);
        assert.ok('reason' in r, `${crv} ${hex} imported`);
        assert.match(r.reason, /small-order/);
      }
    }
    // Real keys import.
    for (const type of ['ed25519', 'ed448'] as const) {
      const jwk = freshKeyPair(type).publicKey.export({ format: 'jwk' }) as J;
      assert.ok('key' in importJwk(jwk, 0));
      assert.equal(isSmallOrderEdwardsKey(Buffer.from(jwk.x as string, 'base64url')), false);
    }
  });

  it('the universal forgery against the identity key (R = identity, S = 0) is refused', async () => {
    const x = Buffer.from(ed25519[0]!, 'hex').toString('base64url');
    const forged = Buffer.alloc(64);
    forged[0] = 1;
    // OpenSSL itself accepts this "signature" for any message against that key.
    const raw = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x } as JsonWebKey, format: 'jwk' });
    assert.equal(cryptoVerify(null, Buffer.from('any message'), raw, forged), true);
    const v = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid: 'zero' }] },
      now: () => NOW_MS,
    });
    const token = compose({ alg: 'EdDSA', kid: 'zero' }, idTokenClaims(), forged);
    await bothFail(v, 'IdToken', token, 'ERR_KEY_NOT_FOUND', undefined, undefined, /small-order/);
  });
});

describe('sub and sid must be non-empty strings', () => {
  it('an empty sub fails in ID, access and logout tokens; an empty sid in logout tokens', async () => {
    await bothFail(verifier, 'IdToken', await es.sign(idTokenClaims({ sub: '' })), 'ERR_CLAIM_INVALID', undefined, 'sub', /non-empty/);
    await bothFail(verifier, 'AccessToken', await es.sign(atClaims({ sub: '' }), { typ: 'at+jwt' }), 'ERR_CLAIM_INVALID', undefined, 'sub');
    await bothFail(verifier, 'LogoutToken', await es.sign(logoutClaims({ sub: '' })), 'ERR_CLAIM_INVALID', undefined, 'sub');
    await bothFail(verifier, 'LogoutToken', await es.sign(logoutClaims({ sid: '' })), 'ERR_CLAIM_INVALID', undefined, 'sid');
    await bothFail(verifier, 'LogoutToken', await es.sign(logoutClaims({ sid: '', sub: 'u' })), 'ERR_CLAIM_INVALID', undefined, 'sid');
    await verifier.verifyLogoutToken(await es.sign(logoutClaims({ sid: undefined, sub: 'u' })));
  });
});

describe('a broken clock fails closed', () => {
  it('now() returning NaN, Infinity, a string, undefined, or throwing is ERR_CONFIG at verification time', async () => {
    const token = await es.sign(idTokenClaims());
    const clocks: (() => unknown)[] = [
      () => NaN,
      () => Infinity,
      () => -Infinity,
      () => String(NOW_MS),
      () => undefined,
      () => null,
      () => BigInt(NOW_MS),
    ];
    clocks.push(() => {
      throw new Error('clock down');
    });
    for (const now of clocks) {
      const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks, now: now as () => number });
      await bothFail(v, 'IdToken', token, 'ERR_CONFIG', undefined, undefined, /now option/);
    }
  });
});

describe('hash claims over the exact octets', () => {
  it('at_hash of "tokenA" does not match "tokenŁ" (U+0141 has low byte 0x41)', async () => {
    assert.notEqual(hashClaimValue('tokenŁ', 'ES256'), hashClaimValue('tokenA', 'ES256'));
    const utf8 = createHash('sha256').update(Buffer.from('tokenŁ', 'utf8')).digest().subarray(0, 16).toString('base64url');
    assert.equal(hashClaimValue('tokenŁ', 'ES256'), utf8);
    const t = await es.sign(idTokenClaims({ at_hash: hashClaimValue('tokenA', 'ES256') }));
    await verifier.verifyIdToken(t, { accessToken: 'tokenA' });
    await bothFail(verifier, 'IdToken', t, 'ERR_AT_HASH', { accessToken: 'tokenŁ' });
  });
});

describe('per-call option values', () => {
  it('responseType is a space-separated set of code, id_token, token, none (exact case)', async () => {
    const t = await es.sign(idTokenClaims());
    for (const rt of [
      'Code',
      'code  id_token',
      'code,id_token',
      ' code',
      'code ',
      '',
      'code code',
      'none code',
      'id_token\ttoken',
      'code id_token token x',
    ]) {
      await bothFail(verifier, 'IdToken', t, 'ERR_CONFIG', { responseType: rt }, undefined, /responseType/);
    }
    for (const rt of ['code', 'id_token', 'token code', 'none']) await verifier.verifyIdToken(t, { responseType: rt });
    // A valid response type still drives the hash requirements.
    await bothFail(verifier, 'IdToken', t, 'ERR_C_HASH', { responseType: 'code id_token' });
  });

  it('requireAtHash, requireCHash, requireSHash must be booleans', async () => {
    const t = await es.sign(idTokenClaims());
    for (const name of ['requireAtHash', 'requireCHash', 'requireSHash']) {
      for (const value of ['true', 1, 0, null, {}])
        await bothFail(verifier, 'IdToken', t, 'ERR_CONFIG', { [name]: value }, undefined, new RegExp(`${name} must be a boolean`));
      await verifier.verifyIdToken(t, { [name]: false });
    }
  });
});

describe('unknown option names are ERR_CONFIG naming the closest known option', () => {
  const base = (): VerifierOptions => ({ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks });

  it('createVerifier: top level and each issuers[] entry', () => {
    const cases: [object, RegExp][] = [
      [{ ...base(), clockTolerence: 5 }, /createVerifier: unknown option "clockTolerence"; did you mean "clockTolerance"\?/],
      [{ issuer: ISSUER, audiance: AUDIENCE, jwks: es.jwks }, /unknown option "audiance"; did you mean "audience"\?/],
      [{ ...base(), requiredClaim: ['x'] }, /did you mean "requiredClaims"/],
      [
        {
          issuers: [
            { issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks },
            { issuer: 'https://b.example', audience: 'b', jwks: es.jwks, algoritms: ['ES256'] },
          ],
        },
        /issuers\[1\]: unknown option "algoritms"; did you mean "algorithms"\?/,
      ],
      // Verifier-wide options belong at the top level, not in an issuers[] entry.
      [
        { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks, clockTolerance: 5 }] },
        /issuers\[0\]: unknown option "clockTolerance"/,
      ],
    ];
    for (const [o, message] of cases) assert.throws(() => createVerifier(o), isCode('ERR_CONFIG', undefined, message));
    // Every documented option is known.
    const v = createVerifier({
      ...base(),
      algorithms: ['ES256'],
      clockTolerance: 1,
      now: () => NOW_MS,
      maxTokenLength: 4096,
      maxTokenAge: 100,
      requiredClaims: [],
      validate: () => undefined,
      worker: false,
      timeout: 1000,
      maxResponseSize: 1000,
      allowHttp: false,
      cooldown: 1000,
      maxStale: 1000,
      maxKeys: 10,
      onEvent: () => undefined,
    });
    v.close();
  });

  it('per-call options of verifyIdToken, verifyAccessToken and verifyLogoutToken (+Sync)', async () => {
    const id = await es.sign(idTokenClaims());
    const at = await es.sign(atClaims(), { typ: 'at+jwt' });
    const lt = await es.sign(logoutClaims());
    await bothFail(
      verifier,
      'IdToken',
      id,
      'ERR_CONFIG',
      { nonse: 'n' },
      undefined,
      /verifyIdToken: unknown option "nonse"; did you mean "nonce"\?/,
    );
    await bothFail(verifier, 'IdToken', id, 'ERR_CONFIG', { max_age: 5 }, undefined, /did you mean "maxAge"/);
    await bothFail(
      verifier,
      'IdToken',
      id,
      'ERR_CONFIG',
      { requiredScopes: ['a'] },
      undefined,
      /verifyIdToken: unknown option "requiredScopes"/,
    );
    await bothFail(
      verifier,
      'AccessToken',
      at,
      'ERR_CONFIG',
      { requiredScope: ['a'] },
      undefined,
      /verifyAccessToken: unknown option "requiredScope"; did you mean "requiredScopes"\?/,
    );
    await bothFail(verifier, 'AccessToken', at, 'ERR_CONFIG', { nonce: 'n' }, undefined, /verifyAccessToken: unknown option "nonce"/);
    await bothFail(verifier, 'LogoutToken', lt, 'ERR_CONFIG', { nonce: 'n' }, undefined, /verifyLogoutToken: unknown option "nonce"/);
    // Known options, and no options, pass.
    await verifier.verifyIdToken(id, { maxAge: 100, acrValues: undefined });
    await verifier.verifyAccessToken(at, { requiredScopes: [] });
    await verifier.verifyLogoutToken(lt);
    (verifier as unknown as { verifyLogoutTokenSync(t: string, o: object): unknown }).verifyLogoutTokenSync(lt, {});
  });
});

describe('the forged and broken inputs above never throw anything but VerifyError', () => {
  it('a private JWK with a non-string d, an OKP key with junk x', () => {
    for (const jwk of [
      { kty: 'EC', crv: 'P-256', d: 5 },
      { kty: 'OKP', crv: 'Ed25519', x: b64u('short') },
      { kty: 'OKP', crv: 'Ed448', x: 7 },
    ]) {
      assert.doesNotThrow(() => importJwk(jwk, 0));
    }
  });
});
