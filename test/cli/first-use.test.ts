/**
 * Issue 18, first use of `oidc-verifier verify` (the BUILT binary): the profile comes from the token
 * unless --type says otherwise, the output names it, shows the header and payload, and shows
 * times as dates; row and message agree; no user-facing text cites internal material.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLAIM_MEANINGS, HEADER_MEANINGS } from '../../src/report/claim-meanings.js';
import { buildChecklist } from '../../src/report/checklist-builder.js';
import { detectTokenType } from '../../src/report/detect-type.js';
import { datesInText } from '../../src/report/time.js';
import { AUDIENCE, ISSUER, NOW_S, idTokenClaims, makeIssuer, type TestIssuer } from '../support/sign.js';
import { assertBuilt, cli } from './run-cli.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let rs: TestIssuer;
let args: string[];
const accessClaims = { iss: ISSUER, sub: 'u', aud: AUDIENCE, exp: NOW_S + 60, iat: NOW_S - 1, jti: 'j', client_id: 'c', scope: 'read' };
const logoutClaims = { iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60, iat: NOW_S - 1, jti: 'j', sid: 's', events: { [EVENT]: {} } };

before(async () => {
  assertBuilt();
  rs = await makeIssuer('RS256');
  const dir = mkdtempSync(join(tmpdir(), 'oidc-first-use-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(rs.jwks));
  args = ['verify', '-', '--issuer', ISSUER, '--audience', AUDIENCE, '--jwks', jwksFile, '--at', String(NOW_S)];
});

describe('verify picks the profile from the token', () => {
  it('typ at+jwt is verified as a JWT access token, and the output says why', async () => {
    const token = await rs.sign(accessClaims, { typ: 'at+jwt' });
    const r = await cli(args, { input: token });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Verifying a JWT access token \(RFC 9068\) \(profile from the token: header typ "at\+jwt"/);
    const json = await cli([...args, '--json'], { input: token });
    const out = JSON.parse(json.stdout) as { ok: boolean; type: string; typeFrom: string };
    assert.deepEqual([out.ok, out.type, out.typeFrom], [true, 'access', 'token']);
  });

  it('a back-channel logout event is verified as a logout token', async () => {
    const token = await rs.sign(logoutClaims, { typ: 'logout+jwt' });
    const r = await cli([...args, '--json'], { input: token });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { type: string }).type, 'logout');
    const noTyp = await rs.sign(logoutClaims, { typ: 'JWT' });
    assert.equal(detectTokenType(noTyp).type, 'logout', 'the events claim alone says logout');
  });

  it('--type overrides: an access token checked as an ID token fails on typ, and the output says --type', async () => {
    const token = await rs.sign(accessClaims, { typ: 'at+jwt' });
    const r = await cli([...args, '--type', 'id'], { input: token });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /profile from --type id/);
    assert.match(r.stdout, /ERR_TYP/);
  });

  it('an ID-token option on a detected access token names the detected profile and --type', async () => {
    const token = await rs.sign(accessClaims, { typ: 'at+jwt' });
    const r = await cli([...args, '--nonce', 'n'], { input: token });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--nonce is for ID tokens.*a JWT access token.*at\+jwt.*--type/);
  });

  it('an ID token stays an ID token', async () => {
    const token = await rs.sign(idTokenClaims());
    const r = await cli([...args, '--json'], { input: token });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { type: string }).type, 'id');
  });
});

describe('verify: human output', () => {
  it('shows the header and payload, marked verified', async () => {
    const token = await rs.sign(idTokenClaims({ name: 'Ada' }));
    const r = await cli(args, { input: token });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Header \(verified\)[\s\S]*"kid": "[^"]+"[\s\S]*Payload \(verified\)[\s\S]*"name": "Ada"/);
  });

  it('marks the header and payload of a failing token as not verified, and its last line shows dates', async () => {
    const token = await rs.sign(idTokenClaims({ exp: NOW_S - 7200 }));
    const r = await cli(args, { input: token });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Payload \(NOT verified/);
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    assert.match(last, /ERR_EXPIRED/);
    assert.match(last, /2023-12-31T22:00:00Z \(1704060000\)/, last);
    assert.match(last, /now is 2024-01-01T00:00:00Z \(1704067200\)/, last);
  });

  it('dates in text: NumericDates become ISO dates, other numbers stay', () => {
    assert.equal(datesInText('exp is 1629968400, size 65536'), 'exp is 2021-08-26T09:00:00Z (1629968400), size 65536');
    assert.equal(datesInText('kid abc1629968400 v1.1629968400'), 'kid abc1629968400 v1.1629968400');
  });
});

describe('row and message agree', () => {
  for (const [type, typ, claims] of [
    ['id', 'at+jwt', idTokenClaims()],
    ['access', 'JWT', accessClaims],
    ['logout', 'at+jwt', logoutClaims],
  ] as const) {
    it(`${type}: the typ row's expected value is the one in the library's message`, async () => {
      const token = await rs.sign(claims, { typ });
      const c = await buildChecklist({ token, issuer: ISSUER, audience: AUDIENCE, jwks: rs.jwks, at: NOW_S, type });
      assert.equal(c.code, 'ERR_TYP');
      const row = c.rows.find((r) => r.id === 'typ')!;
      const expected = /expected (.*?), got/.exec(c.message!)![1]!;
      assert.ok(row.expected!.startsWith(expected), `row "${row.expected}" vs message "${c.message}"`);
    });
  }
});

describe('meanings cite the specs', () => {
  it('no claim or header meaning names internal material; each cites a spec or the issuer docs', () => {
    for (const [name, m] of Object.entries({ ...CLAIM_MEANINGS, ...HEADER_MEANINGS })) {
      assert.doesNotMatch(`${m.meaning} ${m.source}`, /seed/i, name);
      assert.match(m.source, /RFC \d+|OIDC |FAPI |issuer/, `${name}: ${m.source}`);
    }
  });
});
