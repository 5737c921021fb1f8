// The edge entry's plain-JavaScript SHA-2 / HMAC and byte helpers (src/jose/sha2.ts, bytes.ts,
// base64url.ts without Buffer) against node:crypto and Buffer, on inputs around every block edge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hmacSha256, sha2 } from '../../src/jose/sha2.js';
import { decodeBase64url, decodePortable } from '../../src/jose/base64url.js';
import { concatBytes, hex, isUtf8 } from '../../src/jose/bytes.js';

test('SHA-256/384/512 equal node:crypto for every length 0..300 and a few large inputs', () => {
  for (const name of ['sha256', 'sha384', 'sha512'] as const) {
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      assert.equal(hex(sha2(name, data)), createHash(name).update(data).digest('hex'), `${name} of ${n} bytes`);
    }
    for (const n of [1000, 4096, 65537]) {
      const data = randomBytes(n);
      assert.equal(hex(sha2(name, data)), createHash(name).update(data).digest('hex'), `${name} of ${n} bytes`);
    }
  }
  // FIPS 180-4 example "abc".
  assert.equal(hex(sha2('sha256', Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('HMAC-SHA-256 equals node:crypto for keys shorter than, equal to and longer than a block', () => {
  for (const k of [0, 1, 32, 63, 64, 65, 200]) {
    for (const n of [0, 8, 100]) {
      const key = randomBytes(k);
      const data = randomBytes(n);
      assert.equal(hex(hmacSha256(key, data)), createHmac('sha256', key).update(data).digest('hex'), `key ${k}, data ${n}`);
    }
  }
});

test('base64url without Buffer decodes exactly what the Buffer path decodes, and refuses the same spellings', () => {
  for (let n = 0; n < 70; n++) {
    const data = randomBytes(n);
    const text = data.toString('base64url');
    assert.deepEqual(decodePortable(text, text.length & 3), new Uint8Array(data), `${n} bytes`);
  }
  for (const bad of ['QR', 'QQ==', 'Q Q', 'QQ+/', 'Q/', 'ŁQ', 'QQ=', 'A-_+']) {
    assert.equal(decodeBase64url(bad), undefined, `Buffer path: ${bad}`);
    if ((bad.length & 3) !== 1) assert.equal(decodePortable(bad, bad.length & 3), undefined, `portable: ${bad}`);
  }
});

test('isUtf8 (TextDecoder) and concatBytes', () => {
  assert.equal(isUtf8(Buffer.from([0xc3, 0xa9])), true);
  assert.equal(isUtf8(Buffer.from([0xc3])), false);
  assert.equal(isUtf8(Buffer.from([0xed, 0xa0, 0x80])), false, 'a UTF-8 encoded surrogate');
  assert.deepEqual([...concatBytes([Buffer.from('ab'), Buffer.from('cd')], 4)], [...Buffer.from('abcd')]);
});
