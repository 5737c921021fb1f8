// The hash claims without node:crypto (the edge entry): values computed ahead through WebCrypto,
// checked by the synchronous check, against node:crypto's values once it is installed. The edge
// values are taken before anything installs node:crypto (the mutation runner may load other test
// files into this process after this one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodePlatform } from '../../src/jose/backend.js';
import { checkHashClaim, hashClaimValue, hashClaimValueAsync, hashClaimsAhead, precomputeHashClaims } from '../../src/claims/hash-claim.js';
import { VerifyError } from '../../src/errors.js';
import { OIDC_ACCESS_TOKEN, OIDC_AT_HASH } from '../support/spec-vectors.js';

const ALGS: readonly (readonly [string, string | undefined])[] = [
  ['RS256', undefined],
  ['RS384', undefined],
  ['RS512', undefined],
  ['PS256', undefined],
  ['ES384', undefined],
  ['ES512', undefined],
  ['EdDSA', 'Ed25519'],
  ['Ed25519', undefined],
  ['none', undefined],
];
const VALUES = {
  accessToken: OIDC_ACCESS_TOKEN,
  code: 'Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk',
  state: 'ünïcødé',
};

const edge = nodePlatform() === undefined;
const syncError = ((): unknown => {
  try {
    return hashClaimValue('x', 'RS256');
  } catch (err) {
    return err;
  }
})();
const noneAhead = hashClaimsAhead({}, 'RS256');
const ahead = Promise.all(
  ALGS.map(async ([alg, crv]) => (crv === undefined ? await hashClaimsAhead(VALUES, alg) : await precomputeHashClaims(VALUES, alg, crv))),
);
const single = Promise.all(ALGS.map(([alg, crv]) => hashClaimValueAsync(VALUES.code, alg, crv)));
// One value at a time: each alone is enough to compute ahead, and only its own claim is computed.
const alone = Promise.all([
  hashClaimsAhead({ accessToken: VALUES.accessToken }, 'RS256'),
  hashClaimsAhead({ code: VALUES.code }, 'RS256'),
  hashClaimsAhead({ state: VALUES.state }, 'RS256'),
]);
// Ed448's SHAKE256 is not in WebCrypto: no value, rather than a wrong one.
const ed448 = hashClaimValueAsync(VALUES.code, 'EdDSA', 'Ed448');

test('without node:crypto the hash claims are computed ahead and match node:crypto', async () => {
  assert.ok(edge, 'node:crypto was installed before this file loaded');
  assert.ok(syncError instanceof VerifyError && syncError.code === 'ERR_CONFIG', String(syncError));
  assert.match((syncError as Error).message, /^hashClaimValue is synchronous and needs node:crypto; on .+ use hashClaimValueAsync$/);
  const [onlyToken, onlyCode, onlyState] = await alone;
  assert.deepEqual(
    [onlyToken, onlyCode, onlyState].map((v) =>
      Object.entries(v ?? {})
        .filter(([, x]) => x !== undefined)
        .map(([k]) => k),
    ),
    [['at_hash'], ['c_hash'], ['s_hash']],
  );
  assert.equal(await ed448, undefined);
  assert.equal(noneAhead, undefined, 'nothing to hash: nothing computed ahead');
  const edgeValues = await ahead;
  const edgeSingle = await single;
  // The checks with the values computed ahead: a match passes, a mismatch names the claim.
  const rs256 = edgeValues[0]!;
  assert.ok(rs256.at_hash !== undefined && rs256.c_hash !== undefined && rs256.s_hash !== undefined);
  checkHashClaim(rs256.at_hash, 'at_hash', VALUES.accessToken, true, 'RS256', undefined, rs256);
  checkHashClaim(undefined, 'c_hash', VALUES.code, false, 'RS256', undefined, rs256);
  assert.throws(
    () => checkHashClaim(rs256.c_hash, 's_hash', VALUES.state, true, 'RS256', undefined, rs256),
    (e: unknown) => e instanceof VerifyError && e.code === 'ERR_S_HASH' && e.message.includes('"s_hash" does not match the state'),
  );
  await import('../../src/concurrency/node-platform.js');
  assert.equal(hashClaimsAhead(VALUES, 'RS256'), undefined, 'node:crypto hashes inside the checks');
  ALGS.forEach(([alg, crv], i) => {
    const want = {
      at_hash: hashClaimValue(VALUES.accessToken, alg, crv),
      c_hash: hashClaimValue(VALUES.code, alg, crv),
      s_hash: hashClaimValue(VALUES.state, alg, crv),
    };
    assert.deepEqual(edgeValues[i], want, alg);
    assert.equal(edgeSingle[i], want.c_hash, alg);
  });
  assert.deepEqual(
    [onlyToken?.at_hash, onlyCode?.c_hash, onlyState?.s_hash],
    [hashClaimValue(VALUES.accessToken, 'RS256'), hashClaimValue(VALUES.code, 'RS256'), hashClaimValue(VALUES.state, 'RS256')],
  );
  // OIDC Core §A.3: at_hash of its access token under RS256.
  assert.equal(edgeValues[0]!.at_hash, OIDC_AT_HASH);
});
