// The per-call options check runs on every verification with options, so it looks only at the
// names given (issue 12 review). Every option must still be type-checked, an unknown name must
// still be reported first with its hint, and a reused options object is checked again each call.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, VerifyError, type Verifier } from '../src/index.js';
import { AUDIENCE, ISSUER, NOW_MS, NOW_S, idTokenClaims, makeIssuer, type TestIssuer } from './support/sign.js';

let es: TestIssuer;
let verifier: Verifier;
let idToken: string;
let accessToken: string;

before(async () => {
  es = await makeIssuer('ES256');
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: es.jwks, now: () => NOW_MS });
  idToken = await es.sign(idTokenClaims());
  accessToken = await es.sign(
    { iss: ISSUER, sub: 'u1', aud: AUDIENCE, exp: NOW_S + 300, iat: NOW_S, jti: 'j1', client_id: 'c1', scope: 'read' },
    { typ: 'at+jwt' },
  );
});

async function configError(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG' && message.test(e.message));
}

const BAD_ID: [string, unknown, RegExp][] = [
  ['nonce', 1, /option nonce must be a string/],
  ['accessToken', {}, /option accessToken must be a string/],
  ['code', false, /option code must be a string/],
  ['state', [], /option state must be a string/],
  ['responseType', 7, /option responseType must be a string/],
  ['responseType', 'code banana', /option responseType must be a space-separated set/],
  ['requireAtHash', 'yes', /option requireAtHash must be a boolean/],
  ['requireCHash', 1, /option requireCHash must be a boolean/],
  ['requireSHash', null, /option requireSHash must be a boolean/],
  ['maxAge', -1, /option maxAge must be a non-negative number/],
  ['maxAge', Number.NaN, /option maxAge must be a non-negative number/],
  ['acrValues', ['a', 1], /option acrValues must be an array of strings/],
  ['preventReplay', 'no', /option preventReplay must be a boolean/],
];
const BAD_ACCESS: [string, unknown, RegExp][] = [
  ['requiredScopes', 'read', /option requiredScopes must be an array of strings/],
  ['requiredScopes', [1], /option requiredScopes must be an array of strings/],
  ['scheme', 'bearer', /option scheme must be "Bearer" or "DPoP"/],
  ['dpop', { proof: 'p', method: 'GET' }, /option dpop must be \{ proof/],
  ['preventReplay', 0, /option preventReplay must be a boolean/],
];

test('every ID token option is type-checked', async () => {
  for (const [name, value, message] of BAD_ID) await configError(verifier.verifyIdToken(idToken, { [name]: value }), message);
});

test('every access token option is type-checked', async () => {
  for (const [name, value, message] of BAD_ACCESS) await configError(verifier.verifyAccessToken(accessToken, { [name]: value }), message);
  await configError(
    verifier.verifyAccessToken(accessToken, { scheme: 'Bearer', dpop: { proof: 'p', method: 'GET', url: 'https://api.example/' } }),
    /option dpop contradicts scheme "Bearer"/,
  );
});

test('an unknown name is reported before a bad value, with its hint, whatever the order', async () => {
  await configError(
    verifier.verifyIdToken(idToken, { nonce: 1, maxAg: 5 } as never),
    /verifyIdToken: unknown option "maxAg"; did you mean "maxAge"\?/,
  );
  await configError(verifier.verifyAccessToken(accessToken, { requiredScope: ['read'] } as never), /did you mean "requiredScopes"\?/);
  await configError(verifier.verifyAccessToken(accessToken, { nonce: 'n' } as never), /verifyAccessToken: unknown option "nonce"/);
  await configError(
    (verifier.verifyLogoutToken as (t: string, o: object) => Promise<unknown>).call(verifier, idToken, { nonce: 'n' }),
    /verifyLogoutToken: unknown option "nonce"/,
  );
});

test('a reused options object is checked on every call', async () => {
  const options: { requiredScopes: unknown[] } = { requiredScopes: ['read'] };
  assert.equal((await verifier.verifyAccessToken(accessToken, options as never)).payload.jti, 'j1');
  options.requiredScopes.push(5);
  await configError(verifier.verifyAccessToken(accessToken, options as never), /option requiredScopes must be an array of strings/);
  options.requiredScopes.pop();
  assert.equal(verifier.verifyAccessTokenSync(accessToken, options as never).payload.jti, 'j1');
});
