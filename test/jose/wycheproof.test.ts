/**
 * Every Wycheproof vector in test/fixtures/wycheproof (copied unchanged from ../shared/vectors/wycheproof)
 * through the project's signature layer, sync and threadpool variants.
 *
 * - `valid` must verify, `invalid` must be rejected.
 * - `acceptable` is recorded (reported as a diagnostic), not asserted: Wycheproof leaves those to the
 *   implementation (here: RSA PKCS#1 v1.5 DigestInfo without the NULL parameter, which OpenSSL accepts).
 * - The number of tests executed per file is asserted against the file's own `numberOfTests` and a
 *   pinned table, so a missing group or an emptied file can never pass silently.
 */
// The Node entry's node:crypto platform (KeyObjects): these tests import internals, not src/index.ts.
import '../../src/concurrency/node-platform.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { ALGORITHMS, MIN_RSA_BITS, type AlgorithmSpec, type AsymmetricAlgorithm } from '../../src/jose/algorithms.js';
import { verifySignature, verifySignatureAsync } from '../../src/jose/signature.js';
import { importJwk } from '../../src/keys/jwk.js';
import { workerKeyIds } from '../../src/concurrency/dispatch.js';
import { WorkerLane, type LaneItem } from '../../src/concurrency/worker-lane.js';

const DIR = new URL('../fixtures/wycheproof/', import.meta.url);

interface WycheproofTest {
  tcId: number;
  comment: string;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
  flags?: string[];
}

interface WycheproofGroup {
  type: string;
  publicKeyPem: string;
  publicKeyJwk?: Record<string, unknown>;
  keyJwk?: Record<string, unknown>;
  publicKey?: { curve?: string };
  sha?: string;
  mgf?: string;
  mgfSha?: string;
  sLen?: number;
  keySize?: number;
  tests: WycheproofTest[];
}

interface WycheproofFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

interface Expected {
  alg: AsymmetricAlgorithm;
  /** Wycheproof group type. */
  type: string;
  /** Wycheproof curve name (EC) and the JWK crv it maps to. */
  curve?: string;
  crv?: string;
  /** Digest name as Wycheproof spells it. */
  sha?: string;
  /** PSS salt length the file uses; must equal the alg table's. */
  sLen?: number;
  tests: number;
  valid: number;
  invalid: number;
  acceptable: number;
}

/** File → JOSE alg, with the counts measured from the files (pinned: a changed file must be looked at). */
const FILES: Record<string, Expected> = {
  'ecdsa_secp256r1_sha256_p1363_test.json': {
    alg: 'ES256',
    type: 'EcdsaP1363Verify',
    curve: 'secp256r1',
    crv: 'P-256',
    sha: 'SHA-256',
    tests: 262,
    valid: 173,
    invalid: 89,
    acceptable: 0,
  },
  'ecdsa_secp384r1_sha384_p1363_test.json': {
    alg: 'ES384',
    type: 'EcdsaP1363Verify',
    curve: 'secp384r1',
    crv: 'P-384',
    sha: 'SHA-384',
    tests: 280,
    valid: 193,
    invalid: 87,
    acceptable: 0,
  },
  'ecdsa_secp521r1_sha512_p1363_test.json': {
    alg: 'ES512',
    type: 'EcdsaP1363Verify',
    curve: 'secp521r1',
    crv: 'P-521',
    sha: 'SHA-512',
    tests: 318,
    valid: 231,
    invalid: 87,
    acceptable: 0,
  },
  'ecdsa_secp256k1_sha256_p1363_test.json': {
    alg: 'ES256K',
    type: 'EcdsaP1363Verify',
    curve: 'secp256k1',
    crv: 'secp256k1',
    sha: 'SHA-256',
    tests: 252,
    valid: 167,
    invalid: 85,
    acceptable: 0,
  },
  'ed25519_test.json': {
    alg: 'EdDSA',
    type: 'EddsaVerify',
    curve: 'edwards25519',
    crv: 'Ed25519',
    tests: 151,
    valid: 88,
    invalid: 63,
    acceptable: 0,
  },
  'ed448_test.json': {
    alg: 'EdDSA',
    type: 'EddsaVerify',
    curve: 'edwards448',
    crv: 'Ed448',
    tests: 87,
    valid: 17,
    invalid: 70,
    acceptable: 0,
  },
  'rsa_signature_2048_sha256_test.json': {
    alg: 'RS256',
    type: 'RsassaPkcs1Verify',
    sha: 'SHA-256',
    tests: 259,
    valid: 9,
    invalid: 249,
    acceptable: 1,
  },
  'rsa_signature_3072_sha256_test.json': {
    alg: 'RS256',
    type: 'RsassaPkcs1Verify',
    sha: 'SHA-256',
    tests: 259,
    valid: 8,
    invalid: 250,
    acceptable: 1,
  },
  'rsa_signature_2048_sha384_test.json': {
    alg: 'RS384',
    type: 'RsassaPkcs1Verify',
    sha: 'SHA-384',
    tests: 258,
    valid: 7,
    invalid: 250,
    acceptable: 1,
  },
  'rsa_signature_2048_sha512_test.json': {
    alg: 'RS512',
    type: 'RsassaPkcs1Verify',
    sha: 'SHA-512',
    tests: 259,
    valid: 8,
    invalid: 250,
    acceptable: 1,
  },
  'rsa_signature_4096_sha512_test.json': {
    alg: 'RS512',
    type: 'RsassaPkcs1Verify',
    sha: 'SHA-512',
    tests: 259,
    valid: 7,
    invalid: 251,
    acceptable: 1,
  },
  'rsa_pss_2048_sha256_mgf1_32_test.json': {
    alg: 'PS256',
    type: 'RsassaPssVerify',
    sha: 'SHA-256',
    sLen: 32,
    tests: 108,
    valid: 63,
    invalid: 45,
    acceptable: 0,
  },
  'rsa_pss_2048_sha384_mgf1_48_test.json': {
    alg: 'PS384',
    type: 'RsassaPssVerify',
    sha: 'SHA-384',
    sLen: 48,
    tests: 141,
    valid: 95,
    invalid: 46,
    acceptable: 0,
  },
  'rsa_pss_4096_sha512_mgf1_64_test.json': {
    alg: 'PS512',
    type: 'RsassaPssVerify',
    sha: 'SHA-512',
    sLen: 64,
    tests: 179,
    valid: 132,
    invalid: 47,
    acceptable: 0,
  },
};

const TOTAL_TESTS = 3072;

function spkiEqual(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

function verifyAsync(spec: AlgorithmSpec, key: KeyObject, msg: Buffer, sig: Buffer): Promise<boolean> {
  return new Promise((resolve) => verifySignatureAsync(spec, key, msg, sig, resolve));
}

// The worker thread that takes piled-up checks (src/concurrency/worker-lane.ts) verifies with its own
// code: every vector goes through it too, in packed batches as the dispatcher sends them.
let lane: WorkerLane<LaneItem> | undefined;
let laneFailed = false;

before(async () => {
  lane = new WorkerLane(
    () => undefined,
    () => {
      laneFailed = true;
    },
  );
  const deadline = Date.now() + 10_000;
  while (!lane.ready) {
    assert.ok(Date.now() < deadline && !laneFailed, 'the worker thread did not come online');
    await new Promise((r) => setTimeout(r, 10));
  }
});

after(() => lane?.terminate());

interface Vector {
  readonly key: KeyObject;
  readonly msg: Buffer;
  readonly sig: Buffer;
}

/** Verifies the vectors on the worker thread, 64 per batch; resolves with one boolean each. */
function verifyOnWorker(spec: AlgorithmSpec, vectors: readonly Vector[]): Promise<boolean[]> {
  const l = lane!;
  const out: boolean[] = new Array<boolean>(vectors.length);
  let left = vectors.length;
  return new Promise((resolve, reject) => {
    if (left === 0) resolve(out);
    for (let start = 0; start < vectors.length; start += 64) {
      const batch: LaneItem[] = vectors.slice(start, start + 64).map((v, i) => ({
        spec,
        keyIds: workerKeyIds(l, spec, [{ keyObject: v.key }], v.sig),
        data: v.msg,
        signature: v.sig,
        done: (k: number) => {
          out[start + i] = k === 0;
          if (--left === 0) {
            if (laneFailed) reject(new Error('the worker failed'));
            else resolve(out);
          }
        },
      }));
      l.send(batch);
    }
  });
}

/** Imports the group's key: PEM through node:crypto always; the group's JWK through importJwk when it has one. */
function groupKey(group: WycheproofGroup, exp: Expected, file: string): { key: KeyObject; via: 'jwk' | 'pem' } {
  const pemKey = createPublicKey(group.publicKeyPem);
  if (exp.alg.startsWith('RS') || exp.alg.startsWith('PS')) {
    const bits = pemKey.asymmetricKeyDetails?.modulusLength ?? 0;
    // None of these files has a key under 2048 bits; if one ever does, the JWK layer must refuse it.
    assert.ok(bits >= MIN_RSA_BITS, `${file}: RSA key of ${bits} bits below ${MIN_RSA_BITS}`);
  }
  const jwk = group.publicKeyJwk ?? group.keyJwk;
  if (jwk === undefined) return { key: pemKey, via: 'pem' };
  const r = importJwk(jwk, 0);
  assert.ok('key' in r, `${file}: importJwk refused the group's JWK: ${'reason' in r ? r.reason : ''}`);
  assert.ok(r.key.algorithms.has(exp.alg), `${file}: imported key cannot verify ${exp.alg}`);
  if (exp.crv !== undefined) assert.equal(r.key.crv, exp.crv);
  assert.ok(spkiEqual(r.key.keyObject!, pemKey), `${file}: JWK and PEM of a group differ`);
  return { key: r.key.keyObject!, via: 'jwk' };
}

test('the fixture directory holds exactly the mapped vector files (no file silently unmapped)', () => {
  const present = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.deepEqual(present, Object.keys(FILES).sort());
  assert.equal(
    Object.values(FILES).reduce((n, e) => n + e.tests, 0),
    TOTAL_TESTS,
  );
});

describe('Wycheproof vectors through verifySignature, the threadpool and the worker thread', () => {
  for (const [file, exp] of Object.entries(FILES)) {
    test(`${file} as ${exp.alg}`, async (t) => {
      const data = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as WycheproofFile;
      const spec = ALGORITHMS[exp.alg];
      if (exp.sLen !== undefined) assert.equal(spec.saltLength, exp.sLen, `${exp.alg} salt length`);

      const counts = { tests: 0, valid: 0, invalid: 0, acceptable: 0 };
      const acceptableOutcome = { verified: 0, rejected: 0 };
      const keysVia = { jwk: 0, pem: 0 };
      let workerChecked = 0;
      const failures: string[] = [];

      for (const group of data.testGroups) {
        assert.equal(group.type, exp.type, `${file}: group type`);
        if (exp.sha !== undefined) assert.equal(group.sha, exp.sha, `${file}: group digest`);
        if (exp.curve !== undefined) assert.equal(group.publicKey?.curve, exp.curve, `${file}: group curve`);
        if (exp.sLen !== undefined) {
          assert.equal(group.sLen, exp.sLen, `${file}: group salt length`);
          assert.equal(group.mgf, 'MGF1');
          assert.equal(group.mgfSha, exp.sha, `${file}: MGF1 digest`);
        }
        const { key, via } = groupKey(group, exp, file);
        keysVia[via]++;

        const vectors: Vector[] = [];
        const expected: boolean[] = [];
        for (const tc of group.tests) {
          counts.tests++;
          counts[tc.result]++;
          const msg = Buffer.from(tc.msg, 'hex');
          const sig = Buffer.from(tc.sig, 'hex');
          const sync = verifySignature(spec, key, msg, sig);
          const threaded = await verifyAsync(spec, key, msg, sig);
          if (sync !== threaded) failures.push(`tcId ${tc.tcId}: sync ${sync} vs threadpool ${threaded}`);
          vectors.push({ key, msg, sig });
          expected.push(sync);
          if (tc.result === 'acceptable') {
            acceptableOutcome[sync ? 'verified' : 'rejected']++;
            continue;
          }
          const want = tc.result === 'valid';
          if (sync !== want) failures.push(`tcId ${tc.tcId} (${tc.result}, ${tc.comment || tc.flags?.join(',')}): got ${sync}`);
        }
        const onWorker = await verifyOnWorker(spec, vectors);
        group.tests.forEach((tc, i) => {
          if (onWorker[i] !== expected[i]) failures.push(`tcId ${tc.tcId}: sync ${expected[i]} vs worker thread ${onWorker[i]}`);
        });
        workerChecked += vectors.length;
      }

      assert.deepEqual(failures, [], `${file}: ${failures.length} disagreements`);
      assert.equal(counts.tests, data.numberOfTests, `${file}: executed ${counts.tests} of numberOfTests ${data.numberOfTests}`);
      assert.deepEqual(counts, { tests: exp.tests, valid: exp.valid, invalid: exp.invalid, acceptable: exp.acceptable });
      assert.ok(counts.tests > 0, 'counts.tests > 0');
      assert.equal(workerChecked, counts.tests, `${file}: every vector also through the worker thread`);
      t.diagnostic(
        `${file}: ${counts.tests} tests (${counts.valid} valid verified, ${counts.invalid} invalid rejected, ` +
          `${counts.acceptable} acceptable: ${acceptableOutcome.verified} verified / ${acceptableOutcome.rejected} rejected); ` +
          `keys: ${keysVia.jwk} via importJwk, ${keysVia.pem} via PEM`,
      );
    });
  }
});

// The harness itself must be able to fail: the same vectors under a wrong parameter are rejected.
describe('harness sanity: first valid vector of each file fails under a wrong parameter', () => {
  const wrong: Record<string, AlgorithmSpec> = {
    RS256: ALGORITHMS.RS384,
    RS384: ALGORITHMS.RS512,
    RS512: ALGORITHMS.RS256,
    PS256: { ...ALGORITHMS.PS256, saltLength: 20 },
    PS384: { ...ALGORITHMS.PS384, saltLength: 32 },
    PS512: { ...ALGORITHMS.PS512, saltLength: 32 },
    ES256: ALGORITHMS.ES384,
    ES384: ALGORITHMS.ES512,
    ES512: ALGORITHMS.ES256,
    // Same curve length, other digest. (ES256 with a secp256k1 key would verify: the signature layer
    // does not bind curves, importJwk/KeySet do; see test/keys.)
    ES256K: { ...ALGORITHMS.ES256K, digest: 'sha384' },
    EdDSA: ALGORITHMS.ES256,
  };
  for (const [file, exp] of Object.entries(FILES)) {
    test(`${file}`, () => {
      const data = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as WycheproofFile;
      const group = data.testGroups.find((g) => g.tests.some((tc) => tc.result === 'valid'))!;
      const tc = group.tests.find((x) => x.result === 'valid')!;
      const key = createPublicKey(group.publicKeyPem);
      const msg = Buffer.from(tc.msg, 'hex');
      const sig = Buffer.from(tc.sig, 'hex');
      assert.equal(verifySignature(ALGORITHMS[exp.alg], key, msg, sig), true);
      assert.equal(verifySignature(wrong[exp.alg]!, key, msg, sig), false);
      const flipped = Buffer.from(sig);
      flipped[flipped.length >> 1]! ^= 0x01;
      assert.equal(verifySignature(ALGORITHMS[exp.alg], key, msg, flipped), false);
    });
  }
});
