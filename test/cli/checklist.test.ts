/**
 * The checklist shared by `verify` and the inspector, called directly: its verdict must always be
 * the library's, every row it derives must agree with that verdict, and each profile's rows must
 * say what a person needs (expected, actual, reason). Also the small pure helpers it relies on.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, VerifyError } from '../../src/index.js';
import { buildChecklist, type Checklist, type ChecklistRequest } from '../../src/report/checklist-builder.js';
import { jwkThumbprint } from '../../src/dpop/thumbprint.js';
import { RFC7638_KEY, RFC7638_THUMBPRINT } from '../support/spec-vectors.js';
import { describeTime, duration, parseInstant } from '../../src/report/time.js';
import { normalizeToken } from '../../src/report/input-text.js';
import { exitCodeFor } from '../../src/cli/errors.js';
import { hashClaimValue } from '../../src/claims/hash-claim.js';
import { AUDIENCE, ISSUER, NOW_S, idTokenClaims, makeIssuer, type TestIssuer } from '../support/sign.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let rs: TestIssuer;
let hs: TestIssuer;
let base: ChecklistRequest;

before(async () => {
  rs = await makeIssuer('RS256');
  hs = await makeIssuer('HS256');
  base = { token: '', issuer: ISSUER, audience: AUDIENCE, jwks: rs.jwks, at: NOW_S };
});

function row(c: Checklist, id: string) {
  const r = c.rows.find((x) => x.id === id);
  assert.ok(r, `row ${id} exists in ${c.rows.map((x) => x.id).join(',')}`);
  return r;
}

/** The library alone, for comparison: its code, or "valid". */
async function libraryVerdict(req: ChecklistRequest): Promise<string> {
  const v = createVerifier({
    issuer: req.issuer,
    audience: [...(typeof req.audience === 'string' ? [req.audience] : req.audience)],
    jwks: req.jwks!,
    now: () => req.at! * 1000,
  });
  try {
    if (req.type === 'access') await v.verifyAccessToken(req.token);
    else if (req.type === 'logout') await v.verifyLogoutToken(req.token);
    else
      await v.verifyIdToken(req.token, {
        ...(req.nonce ? { nonce: req.nonce } : {}),
        ...(req.accessToken ? { accessToken: req.accessToken } : {}),
      });
    return 'valid';
  } catch (e) {
    assert.ok(e instanceof VerifyError);
    return e.code;
  }
}

describe("checklist: the verdict is the library's, and the rows agree with it", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, Partial<ChecklistRequest>][] = [
    ['valid', {}, {}, {}],
    ['expired', { exp: NOW_S - 1 }, {}, {}],
    ['not yet valid', { nbf: NOW_S + 600 }, {}, {}],
    ['issued in the future', { iat: NOW_S + 600 }, {}, {}],
    ['wrong audience', { aud: 'other' }, {}, {}],
    ['several audiences without azp', { aud: [AUDIENCE, 'other'] }, {}, {}],
    ['azp of another client', { azp: 'other' }, {}, {}],
    ['no sub', { sub: undefined }, {}, {}],
    ['nonce mismatch', { nonce: 'a' }, {}, { nonce: 'b' }],
    ['nonce missing', {}, {}, { nonce: 'b' }],
    ['nonce of the wrong type', { nonce: 5 }, {}, {}],
    ['at_hash mismatch', { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' }, {}, { accessToken: 'opaque-access-token' }],
    ['wrong issuer', { iss: 'https://evil.example' }, {}, {}],
    ['typ of an access token', {}, { typ: 'at+jwt' }, {}],
    ['unknown kid', {}, { kid: 'nope' }, {}],
  ];
  for (const [name, claims, header, extra] of cases) {
    it(name, async () => {
      const token = await rs.sign(idTokenClaims(claims), header);
      const req = { ...base, token, ...extra };
      const c = await buildChecklist(req);
      const lib = await libraryVerdict(req);
      assert.equal(c.verdict === 'valid' ? 'valid' : c.code, lib);
      const failed = c.rows.filter((r) => r.status === 'fail');
      if (lib === 'valid') assert.deepEqual(failed, []);
      else {
        assert.equal(c.verdict, 'invalid');
        assert.ok(
          failed.some((r) => r.code === lib),
          `a failed row carries ${lib}`,
        );
        for (const r of failed) assert.ok(r.reason.length > 0 && r.code !== undefined);
      }
    });
  }

  it('shows every failing claim, not only the first', async () => {
    const token = await rs.sign(idTokenClaims({ aud: 'other', exp: NOW_S - 10, nonce: 'x' }));
    const c = await buildChecklist({ ...base, token, nonce: 'y' });
    assert.equal(c.code, 'ERR_AUDIENCE', 'the library stops at aud');
    assert.deepEqual(
      c.rows.filter((r) => r.status === 'fail').map((r) => r.id),
      ['aud', 'azp', 'exp', 'nonce'].filter((id) => id !== 'azp' || c.rows.some((r) => r.id === 'azp')),
    );
  });

  it('passes at_hash for the right access token, computed independently', async () => {
    const accessToken = 'access-token-value';
    const token = await rs.sign(idTokenClaims({ at_hash: hashClaimValue(accessToken, 'RS256') }));
    const c = await buildChecklist({ ...base, token, accessToken });
    assert.equal(c.verdict, 'valid');
    assert.equal(row(c, 'at_hash').status, 'pass');
    const without = await buildChecklist({ ...base, token });
    assert.equal(row(without, 'at_hash').status, 'skip');
    assert.match(row(without, 'at_hash').reason, /no access token given/);
  });

  it('HS256 with the client secret: the key row names the secret', async () => {
    const token = await hs.sign(idTokenClaims());
    const c = await buildChecklist({ ...base, jwks: { keys: [] }, token, clientSecret: hs.secret! });
    assert.equal(c.verdict, 'valid');
    assert.equal(row(c, 'key').actual, 'the client secret');
    const noSecret = await buildChecklist({ ...base, token });
    assert.equal(noSecret.code, 'ERR_ALG_NOT_ALLOWED');
    assert.equal(row(noSecret, 'alg').status, 'fail');
    assert.equal(row(noSecret, 'signature').status, 'not-checked');
  });

  it('a configuration problem is an error verdict with no rows (exit 2)', async () => {
    const token = await rs.sign(idTokenClaims());
    const c = await buildChecklist({ ...base, token, algorithms: ['none'] });
    assert.equal(c.verdict, 'error');
    assert.equal(c.code, 'ERR_CONFIG');
    assert.equal(exitCodeFor(c.code), 2);
  });
});

describe('checklist: access and logout profiles', () => {
  const at = (over: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    sub: 'u',
    aud: AUDIENCE,
    exp: NOW_S + 60,
    iat: NOW_S - 1,
    jti: 'j',
    client_id: 'c',
    scope: 'read',
    ...over,
  });
  const lt = (over: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    aud: AUDIENCE,
    exp: NOW_S + 60,
    iat: NOW_S - 1,
    jti: 'j',
    sid: 's',
    events: { [EVENT]: {} },
    ...over,
  });

  it('access token: typ first, then the common rows, client_id, jti and scope', async () => {
    const token = await rs.sign(at(), { typ: 'at+jwt' });
    const c = await buildChecklist({ ...base, token, type: 'access', requiredScopes: ['read'] });
    assert.equal(c.verdict, 'valid');
    assert.deepEqual(
      c.rows.filter((r) => r.group === 'claims').map((r) => r.id),
      ['typ', 'iss', 'aud', 'iat', 'exp', 'sub', 'client_id', 'jti', 'scope'],
    );
    const noTyp = await buildChecklist({ ...base, token: await rs.sign(at(), { typ: undefined }), type: 'access' });
    assert.equal(noTyp.code, 'ERR_TYP');
    assert.equal(row(noTyp, 'typ').status, 'fail');
  });

  it('logout token: events, sub or sid, and no nonce', async () => {
    const ok = await buildChecklist({ ...base, token: await rs.sign(lt(), { typ: 'logout+jwt' }), type: 'logout' });
    assert.equal(ok.verdict, 'valid');
    assert.equal(row(ok, 'events').status, 'pass');
    const bad = await buildChecklist({ ...base, token: await rs.sign(lt({ nonce: 'n', sid: undefined, events: {} })), type: 'logout' });
    assert.equal(bad.verdict, 'invalid');
    for (const id of ['events', 'sub', 'nonce']) assert.equal(row(bad, id).status, 'fail', id);
  });
});

describe('helpers', () => {
  it('RFC 7638 §3.1 example thumbprint', () => {
    assert.equal(jwkThumbprint(RFC7638_KEY), RFC7638_THUMBPRINT);
    assert.equal(jwkThumbprint({ kty: 'RSA', e: 'AQAB' }), undefined);
  });

  it('parses --at as Unix seconds or ISO 8601 (UTC when no zone is given)', () => {
    assert.equal(parseInstant('1629968400'), 1629968400);
    assert.equal(parseInstant('2021-08-26T09:00:00Z'), 1629968400);
    assert.equal(parseInstant('2021-08-26T09:00:00'), 1629968400);
    assert.equal(parseInstant('2021-08-26 11:00:00+02:00'), 1629968400);
    assert.equal(parseInstant('2021-08-26'), 1629936000);
    for (const bad of ['yesterday', '1e9', '', '2021-13-01T00:00:00Z', 'May 5']) assert.equal(parseInstant(bad), undefined, bad);
  });

  it('says times the way people do', () => {
    assert.equal(describeTime('exp', 1000, 1000 + 7200), 'expired 2 h ago');
    assert.equal(describeTime('exp', 1000 + 3599, 1000), 'expires in 59 min');
    assert.equal(describeTime('nbf', 2000, 1000), 'not valid until in 16 min');
    assert.equal(describeTime('iat', 0, 3 * 86400), 'issued 3 d ago');
    assert.equal(duration(400 * 86400), '1 y');
    assert.equal(duration(30), '30 s');
  });

  it('cleans pasted tokens without changing them', () => {
    assert.equal(normalizeToken('  "Bearer aaa.bbb.ccc"\n'), 'aaa.bbb.ccc');
    assert.equal(normalizeToken('Authorization: Bearer aaa.\nbbb.ccc'), 'aaa.bbb.ccc');
    assert.equal(normalizeToken("'x.y.z'"), 'x.y.z');
  });
});
