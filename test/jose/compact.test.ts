/**
 * parseCompactJws: strict compact JWS parsing (RFC 7515 §7.1) — segment counts, canonical base64url,
 * JSON object header/payload, alg/crit/b64 rules, the size cap, duplicate names and __proto__.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifyError } from '../../src/errors.js';
import { DEFAULT_MAX_TOKEN_LENGTH, parseCompactJws } from '../../src/jose/compact.js';
import { decodeBase64url } from '../../src/jose/base64url.js';
import { b64u, compose } from '../support/sign.js';

const HEADER = { alg: 'RS256', kid: 'k1', typ: 'JWT' };
const PAYLOAD = { iss: 'https://issuer.example', sub: 'u1', aud: 'c1', exp: 2_000_000_000, iat: 1_700_000_000 };
const SIG = Buffer.alloc(256, 0xa5);
const TOKEN = compose(HEADER, PAYLOAD, SIG);
const [H, P, S] = TOKEN.split('.') as [string, string, string];

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function rejects(input: unknown, message: RegExp, maxLength?: number): VerifyError {
  let caught: unknown;
  try {
    parseCompactJws(input, maxLength);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof VerifyError, `expected VerifyError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_MALFORMED');
  assert.match(caught.message, message);
  return caught;
}

/** Flips the lowest (spare) bit of the last character: Node decodes both spellings to the same bytes. */
function withSpareBit(seg: string): string {
  assert.notEqual(seg.length % 4, 0, 'segment has no spare bits');
  const last = ALPHABET.indexOf(seg.at(-1)!);
  const variant = seg.slice(0, -1) + ALPHABET[last ^ 1];
  // Prove the point: Node's own decoder would accept the variant silently.
  assert.ok(
    Buffer.from(variant, 'base64url').equals(Buffer.from(seg, 'base64url')),
    "Buffer.from(variant, 'base64url').equals(Buffer.from(seg, 'base6...",
  );
  return variant;
}

/** A JSON segment whose length is not a multiple of 3 bytes, so its last character carries spare bits. */
function segmentWithSpareBits(obj: Record<string, unknown>): string {
  for (let pad = 0; ; pad++) {
    const s = b64u(JSON.stringify({ ...obj, ...(pad ? { p: 'x'.repeat(pad) } : {}) }));
    if (s.length % 4 !== 0) return s;
  }
}

describe('parseCompactJws: happy path', () => {
  test('returns header, payload, signing input and signature', () => {
    const r = parseCompactJws(TOKEN);
    assert.deepEqual(r.header, HEADER);
    assert.deepEqual(r.payload, PAYLOAD);
    assert.equal(Buffer.from(r.signingInput).toString('latin1'), `${H}.${P}`);
    assert.ok(Buffer.from(r.signature).equals(SIG), 'r.signature.equals(SIG)');
  });

  test('an empty signature segment parses (it is the signature layer that rejects it)', () => {
    const r = parseCompactJws(`${H}.${P}.`);
    assert.equal(r.signature.length, 0);
  });

  test('b64: true is the default and accepted', () => {
    assert.equal(parseCompactJws(compose({ ...HEADER, b64: true }, PAYLOAD, SIG)).header.b64, true);
  });
});

describe('parseCompactJws: segment counts', () => {
  const cases: [string, string, RegExp][] = [
    ['empty string', '', /3 dot-separated segments, got 0/],
    ['one segment', H, /got 1/],
    ['two segments', `${H}.${P}`, /got 2/],
    ['four segments', `${H}.${P}.${S}.${S}`, /got 4/],
    ['trailing dot (four segments)', `${TOKEN}.`, /got 4/],
    ['six segments', `${TOKEN}.a.b.c`, /got 6/],
    ['dots only', '..', /empty/],
  ];
  for (const [name, token, re] of cases) test(name, () => void rejects(token, re));

  test('five segments (JWE) says encrypted tokens are not supported', () => {
    const jwe = `${b64u(JSON.stringify({ alg: 'RSA-OAEP', enc: 'A256GCM' }))}.${b64u('k')}.${b64u('iv')}.${b64u('ct')}.${b64u('tag')}`;
    const err = rejects(jwe, /5 segments/);
    assert.match(err.message, /encrypted/);
    assert.match(err.message, /JWE/);
  });

  test('non-string inputs', () => {
    for (const v of [undefined, null, 42, {}, [], Buffer.from(TOKEN), Symbol('t')]) rejects(v, /token must be a string/);
  });
});

describe('parseCompactJws: empty segments', () => {
  test('empty header', () => void rejects(`.${P}.${S}`, /header is empty/));
  test('empty payload', () => void rejects(`${H}..${S}`, /payload is empty/));
});

describe('parseCompactJws: canonical base64url only', () => {
  const parts: ['header' | 'payload' | 'signature', (seg: (s: string) => string) => string][] = [
    ['header', (f) => `${f(H)}.${P}.${S}`],
    ['payload', (f) => `${H}.${f(P)}.${S}`],
    ['signature', (f) => `${H}.${P}.${f(S)}`],
  ];
  for (const [part, build] of parts) {
    const re = new RegExp(`${part} is not canonical base64url`);
    test(`${part}: padding '=' / '=='`, () => {
      rejects(
        build((s) => `${s}=`),
        re,
      );
      rejects(
        build((s) => `${s}==`),
        re,
      );
    });
    test(`${part}: characters outside the alphabet (space, newline, '*', '.'-free junk, non-ASCII)`, () => {
      rejects(
        build((s) => `${s.slice(0, 4)} ${s.slice(4)}`),
        re,
      );
      rejects(
        build((s) => `${s.slice(0, 4)}\n${s.slice(4)}`),
        re,
      );
      rejects(
        build((s) => `${s.slice(0, 4)}*${s.slice(4)}`),
        re,
      );
      rejects(
        build((s) => `${s.slice(0, 4)}é${s.slice(4)}`),
        re,
      );
      // 'Ł' (U+0141) in place of a character: Node's decoder would read its low byte, 'A'.
      rejects(
        build((s) => `${s.slice(0, 4)}Ł${s.slice(5)}`),
        re,
      );
      rejects(
        build((s) => `${s.slice(0, 4)}\u0141\u0141${s.slice(6)}`),
        re,
      );
    });
    test(`${part}: a dangling character (length ≡ 1 mod 4)`, () => {
      rejects(
        build((s) => (s.length % 4 === 0 ? `${s}A` : `${s}${'A'.repeat(5 - (s.length % 4))}`)),
        re,
      );
    });
  }

  test("'+' and '/' (base64, not base64url) are rejected even though Node decodes them", () => {
    // '>>>' encodes to 'Pj4-' and '???' to 'Pz8_'.
    const payload = b64u(JSON.stringify({ ...PAYLOAD, s: '>>>???' }));
    assert.ok(payload.includes('-') && payload.includes('_'), "payload.includes('-') && payload.includes('_')");
    assert.doesNotThrow(() => parseCompactJws(`${H}.${payload}.${S}`));
    const std = payload.replaceAll('-', '+').replaceAll('_', '/');
    assert.ok(
      Buffer.from(std, 'base64url').equals(Buffer.from(payload, 'base64url')),
      "Buffer.from(std, 'base64url').equals(Buffer.from(payload, 'base6...",
    );
    rejects(`${H}.${std}.${S}`, /payload is not canonical base64url/);
    const sigStd = b64u(Buffer.from([0xfb, 0xff, 0xfe, 0xfb, 0xef, 0xff]));
    assert.match(sigStd, /[-_]/);
    rejects(`${H}.${P}.${sigStd.replaceAll('-', '+').replaceAll('_', '/')}`, /signature is not canonical/);
  });

  test('non-zero spare bits: two spellings of one value', () => {
    const h = segmentWithSpareBits(HEADER);
    const p = segmentWithSpareBits(PAYLOAD);
    const sig = b64u(Buffer.alloc(64, 7)); // 64 bytes → 86 chars, 2 spare bits
    assert.doesNotThrow(() => parseCompactJws(`${h}.${p}.${sig}`));
    rejects(`${withSpareBit(h)}.${p}.${sig}`, /header is not canonical/);
    rejects(`${h}.${withSpareBit(p)}.${sig}`, /payload is not canonical/);
    rejects(`${h}.${p}.${withSpareBit(sig)}`, /signature is not canonical/);
  });

  test('decodeBase64url round-trips only canonical input', () => {
    assert.deepEqual(decodeBase64url(''), Buffer.alloc(0));
    assert.deepEqual(decodeBase64url('QQ'), Buffer.from('A'));
    assert.equal(decodeBase64url('QR'), undefined);
    assert.equal(decodeBase64url('QQ=='), undefined);
    assert.equal(decodeBase64url('Q'), undefined);
  });

  test('the error message never contains the signature segment', () => {
    const bad = `${S.slice(0, -2)}==`;
    const err = rejects(`${H}.${P}.${bad}`, /signature is not canonical/);
    assert.ok(!err.message.includes(bad.slice(0, 16)), '!err.message.includes(bad.slice(0, 16))');
  });
});

describe('parseCompactJws: header and payload must be JSON objects', () => {
  const nonObjects: [string, string][] = [
    ['array', '[1,2]'],
    ['empty array', '[]'],
    ['string', '"RS256"'],
    ['number', '42'],
    ['null', 'null'],
    ['true', 'true'],
    ['invalid JSON', '{"alg":'],
    ['trailing garbage', '{"alg":"RS256"}x'],
    ['two objects', '{}{}'],
    ['single quotes', "{'alg':'RS256'}"],
    ['byte order mark', '\uFEFF{"alg":"RS256"}'],
    ['NaN', '{"alg":"RS256","n":NaN}'],
  ];
  for (const [name, json] of nonObjects) {
    test(`header: ${name}`, () => void rejects(`${b64u(json)}.${P}.${S}`, /header is not a JSON object/));
    test(`payload: ${name}`, () => void rejects(`${H}.${b64u(json)}.${S}`, /payload is not a JSON object/));
  }

  test('payload with invalid UTF-8 inside a JSON string is rejected', () => {
    // {"sub":"<ff fe>"}: Node's lenient UTF-8 decoder turns the bytes into U+FFFD, so two different
    // signed byte strings would read as the same claim. RFC 8259 §8.1 / RFC 7519 §7.2: JSON is UTF-8.
    const invalid = [
      [0xff],
      [0xfe, 0xff],
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9],
      [0xe2, 0x82],
      [0xf4, 0x90, 0x80, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0x80],
    ];
    for (const bad of invalid) {
      const bytes = Buffer.concat([Buffer.from('{"iss":"x","sub":"'), Buffer.from(bad), Buffer.from('"}')]);
      rejects(`${H}.${b64u(bytes)}.${S}`, /payload is not valid UTF-8/);
    }
  });

  test('a real U+FFFD next to invalid bytes is still caught; a real U+FFFD alone is accepted', () => {
    // The byte check only runs when the decoded text holds U+FFFD, so both sides of that shortcut are tested.
    const real = Buffer.from('\uFFFD');
    const alone = Buffer.concat([Buffer.from('{"iss":"x","sub":"'), real, Buffer.from('"}')]);
    assert.equal(parseCompactJws(`${H}.${b64u(alone)}.${S}`).payload.sub, '\uFFFD');
    const mixed = Buffer.concat([Buffer.from('{"iss":"x","sub":"'), real, Buffer.from([0xff]), Buffer.from('"}')]);
    rejects(`${H}.${b64u(mixed)}.${S}`, /payload is not valid UTF-8/);
  });

  test('header with invalid UTF-8 is rejected', () => {
    const bytes = Buffer.concat([Buffer.from('{"alg":"RS256","kid":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    rejects(`${b64u(bytes)}.${P}.${S}`, /header/);
  });

  test('header shortcut: the previous header is reused only for the very same segment', () => {
    // Same length, different alg: must be decoded afresh, not taken from the last token.
    const a = parseCompactJws(compose({ alg: 'RS256', kid: 'k1' }, PAYLOAD, SIG));
    const b = parseCompactJws(compose({ alg: 'ES256', kid: 'k1' }, PAYLOAD, SIG));
    assert.equal(a.header.alg, 'RS256');
    assert.equal(b.header.alg, 'ES256');
    // A longer header starting with the previous segment.
    const c = parseCompactJws(compose({ alg: 'ES256', kid: 'k1', x: 'y' }, PAYLOAD, SIG));
    assert.equal(c.header.x, 'y');
    // Right after a valid token, an empty header is still refused.
    rejects(`.${P}.${S}`, /header is empty/);
    assert.equal(parseCompactJws(compose({ alg: 'ES256', kid: 'k1' }, PAYLOAD, SIG)).header.alg, 'ES256');
  });

  test('valid multi-byte UTF-8 is accepted', () => {
    const r = parseCompactJws(compose(HEADER, { ...PAYLOAD, name: 'Zoë 🦊 名前' }, SIG));
    assert.equal(r.payload.name, 'Zoë 🦊 名前');
  });

  test('deeply nested JSON never throws anything but ERR_MALFORMED', () => {
    const depth = 20_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    for (const json of [
      `{"iss":"x","deep":${nested}}`,
      `{"iss":"x","__proto__":{},"deep":${nested}}`, // the reviver path recurses
    ]) {
      try {
        const r = parseCompactJws(`${H}.${b64u(json)}.${S}`);
        assert.equal(r.payload.iss, 'x');
      } catch (err) {
        assert.ok(err instanceof VerifyError, `threw ${String(err)}`);
        assert.equal(err.code, 'ERR_MALFORMED');
      }
    }
  });
});

describe('parseCompactJws: alg, crit, b64', () => {
  test('missing alg', () => void rejects(compose({ typ: 'JWT' }, PAYLOAD, SIG), /no "alg" string/));
  for (const alg of [null, 256, true, ['RS256'], { name: 'RS256' }, '']) {
    test(`alg ${JSON.stringify(alg)}`, () => void rejects(compose({ alg }, PAYLOAD, SIG), /no "alg" string/));
  }
  test('alg none is left to the allowlist (parsing accepts any string)', () => {
    assert.equal(parseCompactJws(compose({ alg: 'none' }, PAYLOAD, '')).header.alg, 'none');
  });
  for (const crit of [['exp'], [], ['b64'], 'exp', null, 0]) {
    test(`crit ${JSON.stringify(crit)} is rejected`, () => {
      rejects(compose({ ...HEADER, crit, exp: 1 }, PAYLOAD, SIG), /"crit"/);
    });
  }
  for (const b64 of [false, 'false', 0, null]) {
    test(`b64 ${JSON.stringify(b64)} is rejected`, () => {
      rejects(compose({ ...HEADER, b64, crit: undefined }, PAYLOAD, SIG), /"b64"/);
    });
  }
  test('b64:false with crit:["b64"] (RFC 7797 form) is rejected', () => {
    rejects(compose({ ...HEADER, b64: false, crit: ['b64'] }, PAYLOAD, SIG), /"crit"|"b64"/);
  });
});

describe('parseCompactJws: size cap before decoding', () => {
  test('default cap is 64 KiB', () => assert.equal(DEFAULT_MAX_TOKEN_LENGTH, 64 * 1024));

  test('a token of exactly the cap parses; one character more is refused', () => {
    const base = compose(HEADER, { ...PAYLOAD, pad: '' }, SIG);
    // Each 3 padding characters add 4 base64url characters; find a padding that lands on a limit.
    const token = compose(HEADER, { ...PAYLOAD, pad: 'x'.repeat(3000) }, SIG);
    assert.ok(token.length > base.length, 'token.length > base.length');
    assert.doesNotThrow(() => parseCompactJws(token, token.length));
    rejects(token, new RegExp(`${token.length} characters, above the ${token.length - 1} limit`), token.length - 1);
  });

  test('over 64 KiB is refused by default', () => {
    const token = compose(HEADER, { ...PAYLOAD, pad: 'x'.repeat(50_000) }, SIG);
    assert.ok(token.length > DEFAULT_MAX_TOKEN_LENGTH, 'token.length > DEFAULT_MAX_TOKEN_LENGTH');
    rejects(token, /above the 65536 limit/);
  });

  test('the cap is checked before anything is decoded (junk over the cap reports the size, not the junk)', () => {
    rejects('*'.repeat(DEFAULT_MAX_TOKEN_LENGTH + 1), /above the 65536 limit/);
    rejects('.'.repeat(1_000_000), /above the 65536 limit/);
    rejects(`${'A'.repeat(40)}.x.y`, /above the 10 limit/, 10);
  });
});

describe('parseCompactJws: duplicate member names and __proto__', () => {
  test('duplicate claim names: the last one wins (ECMAScript JSON.parse semantics)', () => {
    const r = parseCompactJws(`${H}.${b64u('{"sub":"alice","aud":"c1","sub":"mallory"}')}.${S}`);
    assert.equal(r.payload.sub, 'mallory');
    assert.deepEqual(Object.keys(r.payload), ['sub', 'aud']);
  });

  test('duplicate header names: the last one wins too', () => {
    const r = parseCompactJws(`${b64u('{"alg":"none","kid":"a","alg":"RS256"}')}.${P}.${S}`);
    assert.equal(r.header.alg, 'RS256');
  });

  test('__proto__ members are dropped at every level and nothing is polluted', () => {
    const json = '{"sub":"u","__proto__":{"admin":true},"nested":{"__proto__":{"admin":true},"ok":1}}';
    const r = parseCompactJws(`${b64u('{"alg":"RS256","__proto__":{"x":1}}')}.${b64u(json)}.${S}`);
    for (const obj of [r.payload, r.payload.nested as object, r.header]) {
      assert.equal(Object.hasOwn(obj, '__proto__'), false);
      assert.equal(Object.getPrototypeOf(obj), Object.prototype);
      assert.equal((obj as { admin?: unknown }).admin, undefined);
    }
    assert.equal((r.payload.nested as { ok: number }).ok, 1);
    assert.equal(({} as { admin?: unknown }).admin, undefined);
    assert.equal(Object.keys(r.payload).join(), 'sub,nested');
  });

  test('__proto__ spelled with JSON escapes is dropped too', () => {
    // JSON.parse decodes "\u005f_proto__" to "__proto__" and creates it as an own member, which a
    // later naive merge (target[k] = src[k]) turns into a prototype swap.
    for (const spelled of ['\\u005f_proto__', '__proto\\u005f_', '\\u005F\\u005Fproto__', '__\\u0070roto__']) {
      const json = `{"sub":"u","${spelled}":{"admin":true}}`;
      const r = parseCompactJws(`${H}.${b64u(json)}.${S}`);
      assert.equal(Object.hasOwn(r.payload, '__proto__'), false, `${spelled} survived as an own member`);
      const merged: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.payload)) merged[k] = v;
      assert.equal((merged as { admin?: unknown }).admin, undefined, `${spelled}: merge polluted the target`);
    }
  });
});
