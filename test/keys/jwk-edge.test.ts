// importJwk without node:crypto (the edge entry: browsers, workerd) against importJwk with it: the
// member checks of the edge path must accept and refuse exactly the keys OpenSSL's import and the
// checks after it do. The edge results are taken at load time, before anything installs node:crypto
// (the mutation runner may load other test files into this process after this one). Ed448 is left
// out: the edge refuses it by design (WebCrypto has no Ed448).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { nodePlatform } from '../../src/jose/backend.js';
import { importJwk, type ImportResult } from '../../src/keys/jwk.js';
import { encodeBase64url, decodeBase64url } from '../../src/jose/base64url.js';

type Jwk = Record<string, unknown>;
const pub = (type: string, o: Record<string, unknown> = {}): Jwk =>
  (generateKeyPairSync as unknown as (t: string, o: Record<string, unknown>) => { publicKey: { export(o: object): Jwk } })(
    type,
    o,
  ).publicKey.export({
    format: 'jwk',
  });

const rsa2048 = pub('rsa', { modulusLength: 2048 });
const rsa1024 = pub('rsa', { modulusLength: 1024 });
const p256 = pub('ec', { namedCurve: 'P-256' });
const p384 = pub('ec', { namedCurve: 'P-384' });
const p521 = pub('ec', { namedCurve: 'P-521' });
const ed25519 = pub('ed25519');
const bytes = (v: unknown): Uint8Array => decodeBase64url(String(v))!;
const shorter = (v: unknown): string => encodeBase64url(bytes(v).subarray(1));
const longer = (v: unknown): string => encodeBase64url(Uint8Array.of(0, ...bytes(v)));

const CORPUS: Record<string, Jwk> = {
  'RSA 2048': rsa2048,
  'RSA 1024 (too small)': rsa1024,
  'RSA e = 3': { ...rsa2048, e: 'Aw' },
  'RSA e = 1': { ...rsa2048, e: 'AQ' },
  'RSA n not base64url': { ...rsa2048, n: `${String(rsa2048.n)}!` },
  'RSA e not base64url': { ...rsa2048, e: 'A=' },
  'RSA n one octet short': { ...rsa2048, n: shorter(rsa2048.n) },
  // Leading zero octets do not make a key longer: 1024 bits padded to 258 octets is still 1024.
  'RSA 1024 padded with 130 zero octets': { ...rsa1024, n: encodeBase64url(Uint8Array.of(...new Uint8Array(130), ...bytes(rsa1024.n))) },
  'RSA 2048 with a leading zero octet': { ...rsa2048, n: longer(rsa2048.n) },
  'P-256': p256,
  'P-384': p384,
  'P-521': p521,
  'P-256 x one octet short': { ...p256, x: shorter(p256.x) },
  'P-256 y one octet long': { ...p256, y: longer(p256.y) },
  'P-384 x not base64url': { ...p384, x: '+' },
  'P-521 y short': { ...p521, y: shorter(p521.y) },
  'P-256 y not base64url': { ...p256, y: `${String(p256.y)}*` },
  'unknown curve': { ...p256, crv: 'P-255' },
  Ed25519: ed25519,
  'Ed25519 x short': { ...ed25519, x: shorter(ed25519.x) },
  'Ed25519 x long': { ...ed25519, x: longer(ed25519.x) },
  'Ed25519 identity (small order)': { ...ed25519, x: encodeBase64url(Uint8Array.of(1, ...new Uint8Array(31))) },
  'Ed25519 x not base64url': { ...ed25519, x: '/'.repeat(43) },
  'OKP unknown curve': { ...ed25519, crv: 'X25519' },
};

/** What must agree between the two paths: the key, or the reason it was refused. */
function outcome(r: ImportResult): string {
  if ('reason' in r) return `refused: ${r.reason}`;
  const k = r.key;
  return JSON.stringify({ kty: k.kty, crv: k.crv, bits: k.bits, algorithms: [...k.algorithms].sort() });
}

const edge =
  nodePlatform() === undefined ? Object.entries(CORPUS).map(([name, jwk]) => [name, outcome(importJwk(jwk, 0))] as const) : undefined;

test('the edge path decides every key of the corpus as node:crypto does', async () => {
  assert.ok(edge !== undefined, 'node:crypto was installed before this file loaded');
  await import('../../src/concurrency/node-platform.js');
  assert.ok(nodePlatform() !== undefined);
  const accepted = edge.filter(([, o]) => !o.startsWith('refused')).length;
  assert.ok(accepted >= 6 && accepted < edge.length, `${accepted} of ${edge.length} accepted`);
  for (const [name, o] of edge)
    assert.equal(o, outcome(importJwk(CORPUS[name], 0)), `${name}: ${JSON.stringify(importJwk(CORPUS[name], 0))}`);
});

test('the edge path names what is wrong with a refused key', () => {
  assert.ok(edge !== undefined);
  const reason = new Map(edge);
  const expected: Record<string, string> = {
    'RSA n not base64url': 'refused: cannot import: "n" is not base64url',
    'RSA e not base64url': 'refused: cannot import: "e" is not base64url',
    'RSA 1024 padded with 130 zero octets': 'refused: RSA key of 1024 bits is below the 2048-bit minimum',
    'RSA e = 1': 'refused: RSA public exponent 1 is not an odd number of at least 3',
    'P-256 y one octet long': 'refused: cannot import: "y" of a P-256 key has 33 octets, not 32',
    'P-521 y short': 'refused: cannot import: "y" of a P-521 key has 65 octets, not 66',
    'P-384 x not base64url': 'refused: cannot import: "x" is not base64url',
    'P-256 y not base64url': 'refused: cannot import: "y" is not base64url',
    'Ed25519 x short': 'refused: cannot import: "x" of a Ed25519 key has 31 octets, not 32',
  };
  for (const [name, want] of Object.entries(expected)) assert.equal(reason.get(name), want, name);
  assert.match(reason.get('RSA 2048 with a leading zero octet')!, /"bits":2048/);
});
