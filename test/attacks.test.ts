/**
 * Attacks of RFC 8725 §2 and the known CVE shapes against createVerifier. Every case asserts a
 * VerifyError with the exact code, on verifyIdToken and verifyIdTokenSync, and that the message
 * does not contain the signature segment.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  constants,
  createPrivateKey,
  createHmac,
  sign as cryptoSign,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createVerifier, VerifyError, type ErrorCode, type Jwks, type Verifier, type VerifierOptions } from '../src/index.js';
import { importJwk } from '../src/keys/jwk.js';
import { freshKeyPair } from './support/fresh-key-pair.js';
import {
  ASYMMETRIC_KINDS,
  AUDIENCE,
  ISSUER,
  NOW_MS,
  b64u,
  compose,
  idTokenClaims,
  issuerFor,
  kindLabel,
  makeIssuer,
  type TestIssuer,
} from './support/sign.js';

// ---------------------------------------------------------------------------------------------
// helpers

function checkError(err: unknown, code: ErrorCode, token: string): true {
  assert.ok(
    err instanceof VerifyError,
    `expected VerifyError ${code}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
  );
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  const sig = typeof token === 'string' ? (token.split('.')[2] ?? '') : '';
  if (sig.length >= 8) assert.ok(!err.message.includes(sig.slice(0, 32)), `message leaks the signature: ${err.message}`);
  return true;
}

/** The token must fail with `code` on the async and on the sync path. */
async function fails(verifier: Verifier, token: string, code: ErrorCode): Promise<void> {
  let outcome: unknown = 'accepted';
  try {
    await verifier.verifyIdToken(token);
  } catch (err) {
    outcome = err;
  }
  if (outcome === 'accepted') assert.fail(`verifyIdToken accepted a token that must fail with ${code}`);
  checkError(outcome, code, token);
  let syncOutcome: unknown = 'accepted';
  try {
    verifier.verifyIdTokenSync(token);
  } catch (err) {
    syncOutcome = err;
  }
  if (syncOutcome === 'accepted') assert.fail(`verifyIdTokenSync accepted a token that must fail with ${code}`);
  checkError(syncOutcome, code, token);
}

function verifierWith(jwks: { keys: unknown[] }, extra: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: jwks as unknown as Jwks,
    now: () => NOW_MS,
    ...extra,
  });
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Signs arbitrary header/payload text with the issuer's key (header and payload taken verbatim). */
async function signParts(
  iss: TestIssuer,
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string | Uint8Array,
): Promise<string> {
  const input = `${compose(header, payload)}`.slice(0, -1); // drop the trailing '.'
  return `${input}.${b64u(await iss.signRaw(input))}`;
}

/** IEEE P1363 r||s → DER SEQUENCE { INTEGER r, INTEGER s }. */
function p1363ToDer(sig: Buffer): Buffer {
  const half = sig.length / 2;
  const int = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, half)), int(sig.subarray(half))]);
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

// Curve orders n, as `openssl ecparam -param_enc explicit -text` prints them.
const ORDERS: Record<string, string> = {
  ES256: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  ES384: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  ES512:
    '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
  ES256K: 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
};
const SIG_LEN: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132, ES256K: 64 };

// ---------------------------------------------------------------------------------------------
// fixtures

let rsa: TestIssuer;
let es256: TestIssuer;
let victim: Verifier;
let victimWithSecret: Verifier;
const CLIENT_SECRET = 'the-real-client-secret-0123456789abcdef';

before(async () => {
  rsa = await makeIssuer('RS256');
  es256 = await makeIssuer('ES256');
  victim = verifierWith({ keys: [rsa.jwk!, es256.jwk!] });
  victimWithSecret = verifierWith({ keys: [rsa.jwk!, es256.jwk!] }, { clientSecret: CLIENT_SECRET });
});

// ---------------------------------------------------------------------------------------------

describe('RFC 8725 §2.1: alg "none" in every spelling', () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE', 'NoNe']) {
    test(alg, async () => {
      const valid = await rsa.sign(idTokenClaims());
      const validSig = valid.split('.')[2]!;
      const tokens = [
        compose({ alg, typ: 'JWT' }, idTokenClaims(), ''),
        compose({ alg, typ: 'JWT' }, idTokenClaims(), Buffer.from('x'.repeat(32))),
        compose({ alg, kid: rsa.kid }, idTokenClaims(), validSig),
        `${compose({ alg }, idTokenClaims(), '')}`.slice(0, -1) + '.', // explicit empty third segment
      ];
      for (const t of tokens) {
        await fails(victim, t, 'ERR_ALG_NOT_ALLOWED');
        await fails(victimWithSecret, t, 'ERR_ALG_NOT_ALLOWED');
      }
    });
  }

  test('"none" cannot even be configured', () => {
    assert.throws(
      () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] }, algorithms: ['none' as never] }),
      (e: unknown) => e instanceof VerifyError && e.code === 'ERR_CONFIG',
    );
  });

  test('near spellings ("none ", "", unknown algs) are refused too', async () => {
    await fails(victim, compose({ alg: 'none ' }, idTokenClaims(), ''), 'ERR_ALG_NOT_ALLOWED');
    await fails(victim, compose({ alg: 'RS1' }, idTokenClaims(), ''), 'ERR_ALG_NOT_ALLOWED');
    await fails(victim, compose({ alg: 'rs256', kid: rsa.kid }, idTokenClaims(), ''), 'ERR_ALG_NOT_ALLOWED');
    await fails(victim, compose({ alg: '' }, idTokenClaims(), ''), 'ERR_MALFORMED');
  });
});

describe('algorithm confusion (CVE-2015-9235 shape): HS256 keyed with the RSA public key', () => {
  function publicKeyForms(iss: TestIssuer): [string, Uint8Array][] {
    const pub = iss.publicKey!;
    const spki = pub.export({ type: 'spki', format: 'pem' }) as string;
    const pkcs1 = pub.export({ type: 'pkcs1', format: 'pem' }) as string;
    return [
      ['SPKI PEM', Buffer.from(spki)],
      ['SPKI PEM without trailing newline', Buffer.from(spki.trimEnd())],
      ['PKCS#1 PEM', Buffer.from(pkcs1)],
      ['SPKI DER', pub.export({ type: 'spki', format: 'der' })],
      ['JWK JSON', Buffer.from(JSON.stringify(iss.jwk))],
      ['JWKS JSON', Buffer.from(JSON.stringify(iss.jwks))],
      ['modulus bytes', Buffer.from(iss.jwk!.n!, 'base64url')],
    ];
  }

  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    test(`${alg} signed with each encoding of the RSA public key`, async () => {
      for (const [, secret] of publicKeyForms(rsa)) {
        for (const kid of [rsa.kid, undefined]) {
          const header = { alg, typ: 'JWT', ...(kid ? { kid } : {}) };
          const input = compose(header, idTokenClaims()).slice(0, -1);
          const token = `${input}.${b64u(
            createHmac(`sha${alg.slice(2)}`, secret)
              .update(input)
              .digest(),
          )}`;
          // Without clientSecret HS* is not allowed at all; with one, only the client secret keys HMAC.
          await fails(victim, token, 'ERR_ALG_NOT_ALLOWED');
          await fails(victimWithSecret, token, 'ERR_SIGNATURE_INVALID');
        }
      }
    });
  }

  test('the same with HS256 explicitly allowlisted next to RS256', async () => {
    const v = verifierWith({ keys: [rsa.jwk!] }, { clientSecret: CLIENT_SECRET, algorithms: ['RS256', 'HS256'] });
    for (const [, secret] of publicKeyForms(rsa)) {
      const input = compose({ alg: 'HS256', kid: rsa.kid }, idTokenClaims()).slice(0, -1);
      await fails(v, `${input}.${b64u(createHmac('sha256', secret).update(input).digest())}`, 'ERR_SIGNATURE_INVALID');
    }
  });

  test('an EC public key as HMAC secret fares no better', async () => {
    const pem = es256.publicKey!.export({ type: 'spki', format: 'pem' }) as string;
    const input = compose({ alg: 'HS256', kid: es256.kid }, idTokenClaims()).slice(0, -1);
    const token = `${input}.${b64u(createHmac('sha256', pem).update(input).digest())}`;
    await fails(victim, token, 'ERR_ALG_NOT_ALLOWED');
    await fails(victimWithSecret, token, 'ERR_SIGNATURE_INVALID');
  });
});

describe('CVE-2018-0114 shape: a key embedded in the header is never trusted', () => {
  for (const kind of ASYMMETRIC_KINDS) {
    test(`${kindLabel(kind)}: attacker signs with own key and ships it as "jwk"`, async () => {
      const real = await issuerFor(kind);
      const attacker = await issuerFor(kind, 'attacker');
      const v = verifierWith(real.jwks);
      // Same kid as the real key: the real key is used and the signature does not match.
      await fails(v, await attacker.sign(idTokenClaims(), { kid: real.kid, jwk: attacker.jwk }), 'ERR_SIGNATURE_INVALID');
      // No kid: the candidates come from the configured set only.
      await fails(v, await attacker.sign(idTokenClaims(), { kid: undefined, jwk: attacker.jwk }), 'ERR_SIGNATURE_INVALID');
      // The attacker's own kid: not in the configured set.
      await fails(v, await attacker.sign(idTokenClaims(), { jwk: attacker.jwk }), 'ERR_KEY_NOT_FOUND');
    });
  }
});

describe('RFC 8725 §2.9 / header key URLs: jku, x5u and x5c are ignored', () => {
  let server: Server;
  let url: string;
  let hits = 0;
  let attacker: TestIssuer;

  before(async () => {
    attacker = await makeIssuer('ES256', { name: 'attacker' });
    server = createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(attacker.jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the attacker server works (control)', async () => {
    const res = await fetch(`${url}/jwks.json`);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(attacker.jwks)));
    hits = 0;
  });

  test('jku / x5u pointing at an attacker JWKS: not fetched, not used', async () => {
    for (const extra of [{ jku: `${url}/jwks.json` }, { x5u: `${url}/cert.pem` }, { jku: `${url}/jwks.json`, x5u: `${url}/c` }]) {
      await fails(victim, await attacker.sign(idTokenClaims(), extra), 'ERR_KEY_NOT_FOUND');
      await fails(victim, await attacker.sign(idTokenClaims(), { ...extra, kid: es256.kid }), 'ERR_SIGNATURE_INVALID');
      await fails(victim, await attacker.sign(idTokenClaims(), { ...extra, kid: undefined }), 'ERR_SIGNATURE_INVALID');
    }
    assert.equal(hits, 0, 'the verifier fetched a URL from the token header');
  });

  test('x5c with the attacker certificate (self-signed, matching key): not used', async () => {
    const fx = JSON.parse(readFileSync(new URL('./fixtures/attacker-x5c.json', import.meta.url), 'utf8')) as {
      privateKeyPem: string;
      x5c: string[];
    };
    const key: KeyObject = createPrivateKey(fx.privateKeyPem);
    const cert = new X509Certificate(Buffer.from(fx.x5c[0]!, 'base64'));
    assert.ok(cert.checkPrivateKey(key), 'cert.checkPrivateKey(key)');
    const s256 = b64u(Buffer.from(cert.fingerprint256.replaceAll(':', ''), 'hex'));
    const s1 = b64u(Buffer.from(cert.fingerprint.replaceAll(':', ''), 'hex'));
    const mk = (header: Record<string, unknown>): string => {
      const input = compose({ alg: 'ES256', typ: 'JWT', x5c: fx.x5c, ...header }, idTokenClaims()).slice(0, -1);
      return `${input}.${b64u(cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`;
    };
    await fails(victim, mk({}), 'ERR_SIGNATURE_INVALID');
    await fails(victim, mk({ kid: es256.kid }), 'ERR_SIGNATURE_INVALID');
    await fails(victim, mk({ kid: 'attacker-cert' }), 'ERR_KEY_NOT_FOUND');
    await fails(victim, mk({ 'x5t#S256': s256, x5t: s1 }), 'ERR_SIGNATURE_INVALID');
  });
});

describe('CVE-2022-21449 shape: ECDSA r = s = 0 and other out-of-range scalars', () => {
  for (const alg of ['ES256', 'ES384', 'ES512', 'ES256K'] as const) {
    test(alg, async () => {
      const iss = await makeIssuer(alg);
      const v = verifierWith(iss.jwks);
      const len = SIG_LEN[alg]!;
      const half = len / 2;
      const n = Buffer.from(ORDERS[alg]!.padStart(half * 2, '0'), 'hex');
      assert.equal(n.length, half);
      const one = Buffer.alloc(half);
      one[half - 1] = 1;
      const zero = Buffer.alloc(half);
      const input = compose({ alg, typ: 'JWT', kid: iss.kid }, idTokenClaims()).slice(0, -1);
      const variants: [string, Buffer][] = [
        ['r = s = 0', Buffer.alloc(len)],
        ['r = 0', Buffer.concat([zero, one])],
        ['s = 0', Buffer.concat([one, zero])],
        ['r = s = n', Buffer.concat([n, n])],
        ['r = n, s = 1', Buffer.concat([n, one])],
        ['r = s = 0xff…', Buffer.alloc(len, 0xff)],
      ];
      for (const [name, sig] of variants) {
        const token = `${input}.${b64u(sig)}`;
        await fails(v, token, 'ERR_SIGNATURE_INVALID').catch((e: unknown) => {
          throw new Error(`${alg} ${name}: ${(e as Error).message}`);
        });
      }
    });
  }
});

describe('ECDSA malleability is inherent: (r, n - s) verifies too (documented choice)', () => {
  // ECDSA itself accepts both s and n - s, and issuers (OpenSSL among them) sign with either, so a
  // low-s rule would refuse about half of all genuine tokens. A third party can therefore re-spell
  // a valid ECDSA token's signature: replay and result caches must key on the signing input or jti,
  // never on the whole token text (README, Security). This test pins the behaviour.
  test('the curve orders used here have the curve length (a wrong constant would test nothing)', () => {
    for (const alg of ['ES256', 'ES384', 'ES512', 'ES256K']) assert.equal(ORDERS[alg]!.length, SIG_LEN[alg], alg);
  });

  for (const alg of ['ES256', 'ES384', 'ES512', 'ES256K'] as const) {
    test(`${alg}: the mirrored signature is a second valid spelling of the same token`, async () => {
      const iss = await makeIssuer(alg);
      const v = verifierWith(iss.jwks);
      const token = await iss.sign(idTokenClaims());
      const [h, p, s] = token.split('.') as [string, string, string];
      const sig = Buffer.from(s, 'base64url');
      const half = SIG_LEN[alg]! / 2;
      const n = BigInt(`0x${ORDERS[alg]!}`);
      const sValue = BigInt(`0x${sig.subarray(half).toString('hex')}`);
      const mirrored = Buffer.concat([sig.subarray(0, half), Buffer.from((n - sValue).toString(16).padStart(half * 2, '0'), 'hex')]);
      assert.notEqual(b64u(mirrored), s);
      const a = await v.verifyIdToken(token);
      const b = await v.verifyIdToken(`${h}.${p}.${b64u(mirrored)}`);
      assert.deepEqual(b.payload, a.payload);
    });
  }
});

describe('ECDSA signatures must be raw r||s of the exact length', () => {
  for (const alg of ['ES256', 'ES384', 'ES512', 'ES256K'] as const) {
    test(`${alg}: the DER form of a valid signature is refused`, async () => {
      const iss = await makeIssuer(alg);
      const v = verifierWith(iss.jwks);
      const token = await iss.sign(idTokenClaims());
      await v.verifyIdToken(token); // control: the raw form verifies
      const [h, p, s] = token.split('.') as [string, string, string];
      const der = p1363ToDer(Buffer.from(s, 'base64url'));
      // Prove the DER signature is genuinely valid for node:crypto's default (DER) encoding.
      assert.ok(
        cryptoVerify(alg === 'ES256K' ? 'sha256' : `sha${alg.slice(2)}`, Buffer.from(`${h}.${p}`), iss.publicKey!, der),
        "cryptoVerify(alg === 'ES256K' ? 'sha256' : `sha${alg.slice(2)}`...",
      );
      await fails(v, `${h}.${p}.${b64u(der)}`, 'ERR_SIGNATURE_INVALID');
    });

    test(`${alg}: wrong lengths (short, long, zero-padded, doubled, empty)`, async () => {
      const iss = await makeIssuer(alg);
      const v = verifierWith(iss.jwks);
      const [h, p, s] = (await iss.sign(idTokenClaims())).split('.') as [string, string, string];
      const sig = Buffer.from(s, 'base64url');
      const half = sig.length / 2;
      const r = sig.subarray(0, half);
      const sv = sig.subarray(half);
      const variants = [
        sig.subarray(0, sig.length - 1),
        Buffer.concat([sig, Buffer.from([0])]),
        Buffer.concat([Buffer.from([0]), sig]),
        Buffer.concat([Buffer.from([0]), r, Buffer.from([0]), sv]), // each half left-padded by one byte
        Buffer.concat([sig, sig]),
        sig.subarray(0, half),
        Buffer.alloc(0),
      ];
      for (const bad of variants) await fails(v, `${h}.${p}.${b64u(bad)}`, 'ERR_SIGNATURE_INVALID');
    });
  }

  test('RSA: a signature whose leading zero octet is dropped is refused (RFC 8017 §8.1.2/§8.2.2 step 1)', async () => {
    // OpenSSL verifies a PSS signature one octet short when the dropped octet was 0x00: the same
    // integer, a second spelling. About 1 signature in 256 starts with 0x00, so sign until one does.
    for (const alg of ['PS256', 'RS256'] as const) {
      const iss = await makeIssuer(alg);
      const v = verifierWith(iss.jwks);
      let found = false;
      for (let i = 0; i < 5000 && !found; i++) {
        const input = compose({ alg, kid: iss.kid, typ: 'JWT' }, { ...idTokenClaims(), jti: `j${i}` }).slice(0, -1);
        const sig = await iss.signRaw(input);
        if (sig[0] !== 0) continue;
        found = true;
        await v.verifyIdToken(`${input}.${b64u(sig)}`);
        await fails(v, `${input}.${b64u(sig.subarray(1))}`, 'ERR_SIGNATURE_INVALID');
        assert.throws(
          () => v.verifyIdTokenSync(`${input}.${b64u(sig.subarray(1))}`),
          (e: Error & { code?: string }) => e.code === 'ERR_SIGNATURE_INVALID',
        );
      }
      assert.ok(found, `${alg}: no signature starting with 0x00 in 5000 tries`);
    }
  });

  test('PSS: the salt must be exactly the hash length (RFC 7518 §3.5); other salt lengths are refused', async () => {
    const { privateKey, publicKey } = freshKeyPair('rsa', { modulusLength: 2048 });
    const v = verifierWith({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'pss', use: 'sig' }] });
    for (const [alg, bits] of [
      ['PS256', 256],
      ['PS384', 384],
      ['PS512', 512],
    ] as const) {
      const input = compose({ alg, kid: 'pss', typ: 'JWT' }, idTokenClaims()).slice(0, -1);
      const signWith = (saltLength: number) =>
        b64u(cryptoSign(`sha${bits}`, Buffer.from(input), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
      await v.verifyIdToken(`${input}.${signWith(bits / 8)}`); // control
      for (const saltLength of [0, bits / 8 - 1, bits / 8 + 1, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
        await fails(v, `${input}.${signWith(saltLength)}`, 'ERR_SIGNATURE_INVALID');
      }
    }
  });

  test('RSA and EdDSA: wrong lengths', async () => {
    for (const kind of ASYMMETRIC_KINDS.filter((k) => !k.alg.startsWith('ES'))) {
      const iss = await issuerFor(kind);
      const v = verifierWith(iss.jwks);
      const [h, p, s] = (await iss.sign(idTokenClaims())).split('.') as [string, string, string];
      const sig = Buffer.from(s, 'base64url');
      for (const bad of [
        sig.subarray(1),
        Buffer.concat([Buffer.from([0]), sig]),
        Buffer.concat([sig, Buffer.from([0])]),
        Buffer.alloc(0),
      ]) {
        await fails(v, `${h}.${p}.${b64u(bad)}`, 'ERR_SIGNATURE_INVALID');
      }
    }
  });
});

describe('size caps', () => {
  test('a validly signed token over 64 KiB is ERR_MALFORMED by default', async () => {
    const token = await es256.sign(idTokenClaims({ pad: 'x'.repeat(50_000) }));
    assert.ok(token.length > 64 * 1024, 'token.length > 64 * 1024');
    await fails(victim, token, 'ERR_MALFORMED');
  });

  test('a token just under 64 KiB is accepted', async () => {
    const token = await es256.sign(idTokenClaims({ pad: 'x'.repeat(48_000) }));
    assert.ok(token.length < 64 * 1024, `token of ${token.length} chars`);
    assert.equal((await victim.verifyIdToken(token)).payload.pad, 'x'.repeat(48_000));
  });

  test('a custom maxTokenLength: at the limit accepted, one above refused', async () => {
    const token = await es256.sign(idTokenClaims());
    const atLimit = verifierWith(es256.jwks, { maxTokenLength: token.length });
    await atLimit.verifyIdToken(token);
    await fails(verifierWith(es256.jwks, { maxTokenLength: token.length - 1 }), token, 'ERR_MALFORMED');
    await fails(
      verifierWith(es256.jwks, { maxTokenLength: 1000 }),
      await es256.sign(idTokenClaims({ pad: 'y'.repeat(1000) })),
      'ERR_MALFORMED',
    );
  });

  test('megabytes of junk are refused by length before anything is decoded', async () => {
    await fails(victim, 'a'.repeat(4_000_000), 'ERR_MALFORMED');
    await fails(victim, '.'.repeat(4_000_000), 'ERR_MALFORMED');
    await fails(victim, `${'A'.repeat(2_000_000)}.${'B'.repeat(2_000_000)}.C`, 'ERR_MALFORMED');
  });
});

describe('non-object JSON, nesting, encodings', () => {
  for (const [name, json] of [
    ['array', '[]'],
    ['array of claims', JSON.stringify([idTokenClaims()])],
    ['string', '"claims"'],
    ['number', '1'],
    ['null', 'null'],
    ['true', 'true'],
  ] as const) {
    test(`signed payload that is JSON ${name}: ERR_MALFORMED`, async () => {
      await fails(victim, await es256.sign(json), 'ERR_MALFORMED');
    });
    test(`header that is JSON ${name}: ERR_MALFORMED`, async () => {
      await fails(victim, await signParts(es256, json, idTokenClaims()), 'ERR_MALFORMED');
    });
  }

  test('signed payload that is not JSON at all: ERR_MALFORMED', async () => {
    await fails(victim, await es256.sign('not json'), 'ERR_MALFORMED');
    await fails(victim, await es256.sign(new Uint8Array([0, 1, 2, 3])), 'ERR_MALFORMED');
  });

  test('deep nesting inside a registered claim: ERR_CLAIM_INVALID', async () => {
    const depth = 10_000;
    const payload = JSON.stringify(idTokenClaims()).replace(
      `"aud":"${AUDIENCE}"`,
      `"aud":${'['.repeat(depth)}"${AUDIENCE}"${']'.repeat(depth)}`,
    );
    await fails(victim, await es256.sign(payload), 'ERR_CLAIM_INVALID');
  });

  test('deep nesting in an extra claim: verified, no stack overflow', async () => {
    for (const nested of [`${'['.repeat(20_000)}${']'.repeat(20_000)}`, `${'{"a":'.repeat(7_000)}1${'}'.repeat(7_000)}`]) {
      const payload = JSON.stringify(idTokenClaims()).replace(/}$/, `,"deep":${nested}}`);
      const token = await es256.sign(payload);
      assert.ok(token.length < 64 * 1024, `token of ${token.length} chars`);
      assert.equal((await victim.verifyIdToken(token)).payload.sub, 'user-123');
    }
  });

  test('deep nesting in an extra claim together with "__proto__": never an error other than ERR_MALFORMED', async () => {
    const depth = 10_000;
    const payload = JSON.stringify(idTokenClaims()).replace(/}$/, `,"__proto__":{},"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const token = await es256.sign(payload);
    try {
      await victim.verifyIdToken(token);
    } catch (err) {
      checkError(err, 'ERR_MALFORMED', token);
    }
  });

  test('deep nesting in a header member: never an error other than ERR_MALFORMED', async () => {
    // Header members are not registered JOSE parameters here; the verifier may accept the token or
    // refuse it as malformed, but must not throw a RangeError (stack overflow) at the caller.
    for (const nested of [`${'['.repeat(15_000)}${']'.repeat(15_000)}`, `${'{"a":'.repeat(6_000)}1${'}'.repeat(6_000)}`]) {
      const header = `{"alg":"ES256","kid":${JSON.stringify(es256.kid)},"deep":${nested}}`;
      const token = await signParts(es256, header, idTokenClaims());
      assert.ok(token.length < 64 * 1024, `token of ${token.length} chars`);
      for (const run of [() => victim.verifyIdToken(token), async () => victim.verifyIdTokenSync(token)]) {
        try {
          await run();
        } catch (err) {
          checkError(err, 'ERR_MALFORMED', token);
        }
      }
    }
  });

  test('invalid UTF-8 in a signed payload: ERR_MALFORMED', async () => {
    // RFC 7519 §7.2 / RFC 8259 §8.1: the claims set is UTF-8. Lenient decoding maps different
    // signed byte strings to one claim value (U+FFFD), a multiplicity of encodings (RFC 8725 §2.6).
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const payload = Buffer.concat([
        Buffer.from(JSON.stringify(idTokenClaims()).replace(/}$/, ',"name":"')),
        Buffer.from(bad),
        Buffer.from('"}'),
      ]);
      await fails(victim, await es256.sign(payload), 'ERR_MALFORMED');
    }
  });

  test('invalid UTF-8 in a signed header: ERR_MALFORMED', async () => {
    const header = Buffer.concat([
      Buffer.from(`{"alg":"ES256","kid":${JSON.stringify(es256.kid)},"x":"`),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const input = `${b64u(header)}.${b64u(JSON.stringify(idTokenClaims()))}`;
    await fails(victim, `${input}.${b64u(await es256.signRaw(input))}`, 'ERR_MALFORMED');
  });

  test('non-canonical spellings of a valid token are ERR_MALFORMED (RFC 8725 §2.6)', async () => {
    const token = await rsa.sign(idTokenClaims());
    const [h, p, s] = token.split('.') as [string, string, string];
    await fails(victim, `${h}.${p}.${s}=`, 'ERR_MALFORMED');
    await fails(victim, `${h}=.${p}.${s}`, 'ERR_MALFORMED');
    await fails(victim, ` ${token}`, 'ERR_MALFORMED');
    await fails(victim, `${token}\n`, 'ERR_MALFORMED');
    await fails(victim, `${h}.${p}.${s.replaceAll('-', '+').replaceAll('_', '/')}${/[-_]/.test(s) ? '' : '+'}`, 'ERR_MALFORMED');
  });

  test('JWE (5 segments), crit and b64:false: ERR_MALFORMED', async () => {
    await fails(victim, 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d', 'ERR_MALFORMED');
    // jose refuses to sign an unknown crit itself: the parts are signed directly.
    await fails(victim, await signParts(es256, { alg: 'ES256', kid: es256.kid, crit: ['exp'], exp: 1 }, idTokenClaims()), 'ERR_MALFORMED');
    await fails(victim, await signParts(es256, { alg: 'ES256', kid: es256.kid, crit: [] }, idTokenClaims()), 'ERR_MALFORMED');
    await fails(
      victim,
      await signParts(es256, { alg: 'ES256', kid: es256.kid, b64: false, crit: ['b64'] }, idTokenClaims()),
      'ERR_MALFORMED',
    );
    await fails(victim, await signParts(es256, { alg: 'ES256', kid: es256.kid, b64: false }, idTokenClaims()), 'ERR_MALFORMED');
  });
});

describe('duplicate claim names: the last one wins, consistently (RFC 8725 §2.6)', () => {
  function dup(first: string, last: string, name: string): string {
    const claims = JSON.stringify(idTokenClaims({ [name]: undefined }));
    return claims.replace(/^\{/, `{"${name}":${first},`).replace(/}$/, `,"${name}":${last}}`);
  }

  test('aud: accepted audience first, attacker value last → ERR_AUDIENCE', async () => {
    await fails(victim, await es256.sign(dup(JSON.stringify(AUDIENCE), '"evil-client"', 'aud')), 'ERR_AUDIENCE');
  });

  test('aud: attacker value first, accepted audience last → verified, and the result shows the last', async () => {
    const r = await victim.verifyIdToken(await es256.sign(dup('"evil-client"', JSON.stringify(AUDIENCE), 'aud')));
    assert.equal(r.payload.aud, AUDIENCE);
  });

  test('iss: real issuer first, attacker issuer last → ERR_ISSUER', async () => {
    await fails(victim, await es256.sign(dup(JSON.stringify(ISSUER), '"https://evil.example"', 'iss')), 'ERR_ISSUER');
  });

  test('exp: future first, past last → ERR_EXPIRED', async () => {
    await fails(victim, await es256.sign(dup(String(NOW_MS / 1000 + 600), String(NOW_MS / 1000 - 600), 'exp')), 'ERR_EXPIRED');
  });

  test('header alg: "ES256" first, "none" last → ERR_ALG_NOT_ALLOWED', async () => {
    const header = `{"alg":"ES256","kid":${JSON.stringify(es256.kid)},"alg":"none"}`;
    await fails(victim, await signParts(es256, header, idTokenClaims()), 'ERR_ALG_NOT_ALLOWED');
  });

  test('header kid: real kid first, unknown kid last → ERR_KEY_NOT_FOUND', async () => {
    const header = `{"alg":"ES256","kid":${JSON.stringify(es256.kid)},"kid":"other"}`;
    await fails(victim, await signParts(es256, header, idTokenClaims()), 'ERR_KEY_NOT_FOUND');
  });
});

describe('key type binding', () => {
  test('ES256 header with a kid naming the RSA key: ERR_KEY_NOT_FOUND', async () => {
    const input = compose({ alg: 'ES256', kid: rsa.kid }, idTokenClaims()).slice(0, -1);
    await fails(victim, `${input}.${b64u(await rsa.signRaw(input))}`, 'ERR_KEY_NOT_FOUND');
    await fails(victim, `${input}.${b64u(await es256.signRaw(input))}`, 'ERR_KEY_NOT_FOUND');
  });

  test('RS256 header with a kid naming the EC key: ERR_KEY_NOT_FOUND', async () => {
    const input = compose({ alg: 'RS256', kid: es256.kid }, idTokenClaims()).slice(0, -1);
    await fails(victim, `${input}.${b64u(await rsa.signRaw(input))}`, 'ERR_KEY_NOT_FOUND');
  });

  test('ES256 header, no kid, only RSA keys configured: ERR_KEY_NOT_FOUND', async () => {
    const v = verifierWith(rsa.jwks);
    await fails(v, await es256.sign(idTokenClaims(), { kid: undefined }), 'ERR_KEY_NOT_FOUND');
  });

  test('alg/curve mismatch: ES384 header naming the P-256 key, EdDSA header naming an EC key', async () => {
    const es384 = await makeIssuer('ES384');
    const input = compose({ alg: 'ES384', kid: es256.kid }, idTokenClaims()).slice(0, -1);
    await fails(victim, `${input}.${b64u(await es384.signRaw(input))}`, 'ERR_KEY_NOT_FOUND');
    const ed = await makeIssuer('EdDSA');
    const input2 = compose({ alg: 'EdDSA', kid: es256.kid }, idTokenClaims()).slice(0, -1);
    await fails(victim, `${input2}.${b64u(await ed.signRaw(input2))}`, 'ERR_KEY_NOT_FOUND');
  });

  test('ES256K header naming a P-256 key (same size, other curve): ERR_KEY_NOT_FOUND', async () => {
    const k = await makeIssuer('ES256K');
    const input = compose({ alg: 'ES256K', kid: es256.kid }, idTokenClaims()).slice(0, -1);
    await fails(victim, `${input}.${b64u(await k.signRaw(input))}`, 'ERR_KEY_NOT_FOUND');
  });

  test('a custom keySource returning an unfit key cannot bypass the alg/kty/crv binding', async () => {
    // KeySource is a public extension point; a naive one returns every key it has. The verifier
    // must still refuse a key that does not fit the token's alg (curve, kty, the JWK's own alg).
    const k1 = await makeIssuer('ES256K');
    const ps = await makeIssuer('PS256');
    const imported = (jwk: unknown) => {
      const r = importJwk(jwk, 0);
      assert.ok('key' in r, 'importJwk');
      return r.key;
    };
    const cases: [TestIssuer, Record<string, unknown>, string][] = [
      [k1, k1.jwk!, 'ES256'], // secp256k1 key, ES256 (P-256) header: same digest and length
      [ps, { ...ps.jwk!, alg: 'RS256' }, 'PS256'], // JWK restricted to RS256, PS256 token
      [es256, es256.jwk!, 'ES256K'],
    ];
    for (const [signer, jwk, alg] of cases) {
      const key = imported(jwk);
      const v = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        now: () => NOW_MS,
        keySource: { synchronous: true, getKeys: () => [key] },
      });
      const input = compose({ alg, kid: signer.kid }, idTokenClaims()).slice(0, -1);
      await fails(v, `${input}.${b64u(await signer.signRaw(input))}`, 'ERR_KEY_NOT_FOUND');
    }
  });

  test('a custom keySource returning junk (not imported keys, an empty list, not a list) fails with ERR_KEY_NOT_FOUND', async () => {
    const token = await es256.sign(idTokenClaims());
    for (const junk of [[{}], [null], [{ keyObject: 'x', algorithms: ['ES256'] }], [], 'keys', undefined]) {
      const v = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        now: () => NOW_MS,
        keySource: { synchronous: true, getKeys: () => junk as never },
      });
      await fails(v, token, 'ERR_KEY_NOT_FOUND');
      assert.throws(
        () => v.verifyIdTokenSync(token),
        (e: Error & { code?: string }) => e.code === 'ERR_KEY_NOT_FOUND',
      );
    }
  });

  test('kid injection strings are just unknown kids', async () => {
    for (const kid of ['../../../../dev/null', "' OR 1=1 --", '', '\u0000', '__proto__', 'constructor', 'x'.repeat(2000)]) {
      await fails(victim, await es256.sign(idTokenClaims(), { kid }), 'ERR_KEY_NOT_FOUND');
    }
  });

  test('non-string kid is malformed (RFC 7515 §4.1.4), never "no kid", even signed by a trusted key', async () => {
    const attacker = await makeIssuer('ES256', { name: 'attacker' });
    for (const kid of [1, 0, null, ['k'], [], { $ne: '' }, true, false]) {
      await fails(victim, await attacker.sign(idTokenClaims(), { kid }), 'ERR_MALFORMED');
      await fails(victim, await es256.sign(idTokenClaims(), { kid }), 'ERR_MALFORMED');
    }
  });
});

describe('RFC 8725 §2.7-2.8: substitution and cross-JWT confusion', () => {
  test('a JWT access token (typ at+jwt) or logout token is not an ID token: ERR_TYP', async () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'logout+jwt', 'secevent+jwt', 'JOSE']) {
      await fails(victim, await es256.sign(idTokenClaims(), { typ }), 'ERR_TYP');
    }
  });

  test('a token for another client: ERR_AUDIENCE', async () => {
    await fails(victim, await es256.sign(idTokenClaims({ aud: 'other-client' })), 'ERR_AUDIENCE');
    await fails(victim, await es256.sign(idTokenClaims({ aud: ['other-client', 'third'], azp: 'other-client' })), 'ERR_AUDIENCE');
  });

  test('a token from another issuer signed by a trusted key: ERR_ISSUER', async () => {
    await fails(victim, await es256.sign(idTokenClaims({ iss: 'https://other.example' })), 'ERR_ISSUER');
  });
});

describe('bad input never throws anything but VerifyError', () => {
  test('non-string tokens', async () => {
    for (const t of [undefined, null, 1, {}, [], Buffer.from('a.b.c'), Symbol('x')]) {
      await assert.rejects(victim.verifyIdToken(t as never), (e: unknown) => e instanceof VerifyError && e.code === 'ERR_MALFORMED');
      assert.throws(
        () => victim.verifyIdTokenSync(t as never),
        (e: unknown) => e instanceof VerifyError && e.code === 'ERR_MALFORMED',
      );
    }
  });

  test('payload with every registered claim of the wrong JSON type: ERR_CLAIM_INVALID', async () => {
    const cases: Record<string, unknown>[] = [
      { sub: 1 },
      { sub: null },
      { sub: ['u'] },
      { exp: '2000000000' },
      { exp: null },
      { iat: '1' },
      { nbf: {} },
      { aud: 5 },
      { aud: [] },
      { aud: [1] },
      { azp: 1 },
      { iat: true },
      { auth_time: 'yesterday' },
    ];
    const payloads = cases.map((c) => JSON.stringify(idTokenClaims(c)));
    // Infinity is not valid JSON; 1e400 is, and parses to Infinity.
    payloads.push(JSON.stringify(idTokenClaims({ exp: 0 })).replace('"exp":0', '"exp":1e400'));
    payloads.push(JSON.stringify(idTokenClaims({ iat: 0 })).replace('"iat":0', '"iat":-1e400'));
    for (const payload of payloads) {
      await fails(victim, await es256.sign(payload), 'ERR_CLAIM_INVALID').catch((e: unknown) => {
        throw new Error(`${payload}: ${(e as Error).message}`);
      });
    }
  });

  test('iss of the wrong type is ERR_CLAIM_INVALID, missing iss ERR_CLAIM_MISSING', async () => {
    await fails(victim, await es256.sign(idTokenClaims({ iss: ['a'] })), 'ERR_CLAIM_INVALID');
    await fails(victim, await es256.sign(idTokenClaims({ iss: undefined })), 'ERR_CLAIM_MISSING');
  });

  test('__proto__ in the payload does not pollute and does not break checks', async () => {
    const payload = JSON.stringify(idTokenClaims()).replace(/}$/, ',"__proto__":{"admin":true,"aud":"x"}}');
    const r = await victim.verifyIdToken(await es256.sign(payload));
    assert.equal((r.payload as { admin?: unknown }).admin, undefined);
    assert.equal(({} as { admin?: unknown }).admin, undefined);
    assert.equal(Object.getPrototypeOf(r.payload), Object.prototype);
  });

  test('headers of a verified token cannot be used to poison later verifications', async () => {
    const token = await es256.sign(idTokenClaims());
    const r = await victim.verifyIdToken(token);
    try {
      (r.header as Record<string, unknown>).kid = 'changed';
    } catch {
      // frozen: fine
    }
    assert.equal((await victim.verifyIdToken(token)).header.kid, es256.kid);
  });
});

test('the attack suite itself: each check above is against a verifier that does accept the genuine token', async () => {
  assert.equal((await victim.verifyIdToken(await rsa.sign(idTokenClaims()))).key.alg, 'RS256');
  assert.equal((await victim.verifyIdToken(await es256.sign(idTokenClaims()))).key.alg, 'ES256');
  assert.equal(headerOf(await es256.sign(idTokenClaims())).kid, es256.kid);
  assert.equal((await victimWithSecret.verifyIdToken(await rsa.sign(idTokenClaims()))).key.alg, 'RS256');
});
