// Canonical base64url (RFC 7515 §2, RFC 4648 §5), the JSON object parser, and the parsed-header
// cache of parseCompactJws (its bound and deep freezing), each pinned directly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64url, decodePortable, encodeBase64url } from '../../src/jose/base64url.js';
import { parseJsonObject } from '../../src/jose/json.js';
import { VerifyError } from '../../src/errors.js';
import { parseCompactJws } from '../../src/jose/compact.js';
import type * as Compact from '../../src/jose/compact.js';
import type { JoseHeader } from '../../src/jose/types.js';

const bytes = (s: string, ascii?: boolean): number[] | undefined => {
  const b = decodeBase64url(s, ascii);
  return b === undefined ? undefined : [...b];
};

describe('decodePortable (the decoder without Buffer: browsers, workerd)', () => {
  const portable = (t: string): number[] | undefined => {
    const b = decodePortable(t, t.length & 3);
    return b === undefined ? undefined : [...b];
  };

  it('agrees with the Buffer decoder on every string of up to 4 characters over a mixed alphabet', () => {
    // Valid characters at both ends of the alphabet, spare-bit edges, and characters Node skips or maps.
    const alphabet = ['A', 'B', 'P', 'Q', 'g', 'z', '0', '9', '-', '_', '+', '/', '=', ' ', 'Ł', '\x7f', '\x80'];
    let checked = 0;
    const walk = (prefix: string, depth: number): void => {
      if ((prefix.length & 3) !== 1) {
        assert.deepEqual(portable(prefix), bytes(prefix), JSON.stringify(prefix));
        checked++;
      }
      if (depth === 0) return;
      for (const c of alphabet) walk(prefix + c, depth - 1);
    };
    walk('', 4);
    assert.ok(checked > 50_000, `${checked} strings`);
  });

  it('decodes long values like the Buffer decoder', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 31, 32, 33, 255, 256, 1000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = encodeBase64url(data);
      assert.deepEqual(portable(text), [...data], `${n} bytes`);
    }
  });
});

describe('decodeBase64url', () => {
  it('decodes every length class; a length of 4n+1 is never base64url', () => {
    assert.deepEqual(bytes(''), []);
    assert.deepEqual(bytes('AA'), [0]);
    assert.deepEqual(bytes('AAA'), [0, 0]);
    assert.deepEqual(bytes('AAAA'), [0, 0, 0]);
    assert.deepEqual(bytes('-_8'), [251, 255]);
    assert.deepEqual(bytes('____'), [255, 255, 255]);
    assert.deepEqual(bytes('----'), [251, 239, 190]);
    assert.equal(bytes('A'), undefined);
    assert.equal(bytes('AAAAA'), undefined);
  });

  it('every spare bit must be zero, not only the lowest', () => {
    // Two characters: 4 spare bits. Q = 16 has them clear.
    assert.deepEqual(bytes('AQ'), [1]);
    for (const c of 'BCDEFGHIJKLMNOP') assert.equal(bytes(`A${c}`), undefined, `A${c}`);
    // Three characters: 2 spare bits. E = 4 has them clear.
    assert.deepEqual(bytes('AAE'), [0, 1]);
    for (const c of 'BCD') assert.equal(bytes(`AA${c}`), undefined, `AA${c}`);
    assert.equal(bytes('AA_'), undefined);
  });

  it("refuses '+' and '/' alone or together, padding, whitespace and other characters", () => {
    for (const s of ['++++', '////', '+/+/', 'AA+A', 'AA/A', 'AA==', 'AA=', 'AA A', 'AA\nA', 'AA.A', 'AA*A', 'AA%3']) {
      assert.equal(bytes(s), undefined, JSON.stringify(s));
    }
  });

  it('refuses non-ASCII text, and a non-ASCII last character even when told the text is ASCII', () => {
    assert.equal(bytes('AAŁA'), undefined);
    assert.equal(bytes('AŁ'), undefined);
    assert.equal(bytes('AAŁ', true), undefined);
    assert.equal(bytes('AAAŁ'), undefined);
    assert.deepEqual(bytes('AAE', true), [0, 1]);
  });

  it('encodeBase64url: strings as UTF-8, bytes as is, no padding', () => {
    assert.equal(encodeBase64url('hi'), 'aGk');
    assert.equal(encodeBase64url(new Uint8Array([251, 255])), '-_8');
    assert.equal(encodeBase64url('é'), 'w6k');
  });
});

describe('parseJsonObject', () => {
  it('objects only', () => {
    assert.deepEqual(parseJsonObject('{"a":1}'), { a: 1 });
    for (const t of ['[]', 'null', '1', '"s"', 'true', '', '{', '{"a":1}x']) assert.equal(parseJsonObject(t), undefined, t);
  });

  it('the last duplicate wins; escapes decode', () => {
    assert.deepEqual(parseJsonObject('{"a":1,"a":2}'), { a: 2 });
    assert.deepEqual(parseJsonObject('{"a":"\\u0041","b":[1,{"c":null}]}'), { a: 'A', b: [1, { c: null }] });
  });

  it('drops __proto__ members, plain or escaped, at any depth', () => {
    for (const t of ['{"__proto__":{"x":1},"a":1}', '{"\\u005f_proto__":{"x":1},"a":1}', '{"a":1,"n":{"__proto__":{"x":1}}}']) {
      const o = parseJsonObject(t)!;
      assert.equal(o.a, 1);
      assert.equal(Object.hasOwn(o, '__proto__'), false, t);
      assert.equal(Object.getPrototypeOf(o), Object.prototype);
      assert.equal((o as { x?: unknown }).x, undefined);
      if (o.n !== undefined) assert.equal(Object.hasOwn(o.n as object, '__proto__'), false);
    }
  });
});

const seg = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const token = (header: Record<string, unknown>): string => `${seg(header)}.${seg({ sub: 'x' })}.`;
let serial = 0;
/** A header segment never parsed before in this process. */
const fresh = (): JoseHeader => parseCompactJws(token({ alg: 'RS256', kid: `fresh-${serial++}` })).header;

describe('parsed-header cache of parseCompactJws', () => {
  it('cached headers are frozen, deeply', () => {
    const { header } = parseCompactJws(token({ alg: 'RS256', x: { y: { z: [1, null, 's', { w: 2 }] } }, e: {}, a: [], n: null }));
    const x = header.x as { y: { z: [number, null, string, { w: number }] } };
    for (const o of [header, x, x.y, x.y.z, x.y.z[3], header.e, header.a]) assert.ok(Object.isFrozen(o));
    assert.equal(header.n, null);
    assert.throws(() => {
      x.y.z[3].w = 3;
    }, TypeError);
  });

  it('freezes a header nested deeper than the call stack', () => {
    const deep = `{"alg":"RS256","d":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const { header } = parseCompactJws(`${Buffer.from(deep).toString('base64url')}.${seg({})}.`);
    let o: unknown = header.d;
    for (let i = 0; i < 20_000; i++) {
      assert.ok(Object.isFrozen(o));
      o = (o as unknown[])[0];
    }
  });

  it('the first token a fresh parser sees: an empty header segment is still malformed', async () => {
    const fresh = (await import(new URL('../../src/jose/compact.js?first-token', import.meta.url).href)) as typeof Compact;
    assert.throws(() => fresh.parseCompactJws(`.${seg({})}.`), /^VerifyError: token header is empty$/);
  });

  it('a repeated header is the same object, through the last-header fast path and through the cache', () => {
    const a = token({ alg: 'RS256', kid: 'same' });
    const first = parseCompactJws(a).header;
    assert.equal(parseCompactJws(a).header, first);
    fresh();
    assert.equal(parseCompactJws(a).header, first);
  });

  it('holds at most 256 headers, then starts again', () => {
    const a = token({ alg: 'RS256', kid: 'bound' });
    // Synchronise: parse fresh headers until the cache is cleared, which evicts A.
    let current = parseCompactJws(a).header;
    for (let i = 0; i < 300; i++) {
      fresh();
      const again = parseCompactJws(a).header;
      if (again !== current) {
        current = again;
        break;
      }
      assert.ok(i < 299, 'the cache was never cleared');
    }
    // Now the cache holds the header that cleared it, and A: 254 more fill it to 256.
    for (let i = 0; i < 254; i++) fresh();
    assert.equal(parseCompactJws(a).header, current, 'evicted before the cache held 256 headers');
    fresh();
    assert.notEqual(parseCompactJws(a).header, current, 'still cached beyond 256 headers');
  });
});

/** parseCompactJws must throw ERR_MALFORMED with exactly this message. */
function malformed(input: unknown, message: string): void {
  assert.throws(
    () => parseCompactJws(input),
    (e: unknown) => e instanceof VerifyError && e.code === 'ERR_MALFORMED' && e.message === message,
    message,
  );
}

describe('parseCompactJws: the exact errors', () => {
  it('a token that is not a string names its type', () => {
    for (const [v, shown] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [42, 'number'],
      [{}, 'object'],
      [[], 'object'],
      [Symbol('t'), 'symbol'],
    ] as const) {
      malformed(v, `token must be a string, got ${shown}`);
    }
  });

  it('segment counts: none, two, four, five (JWE)', () => {
    malformed('abcd', 'token must have 3 dot-separated segments, got 1');
    malformed('', 'token must have 3 dot-separated segments, got 0');
    malformed('a.b', 'token must have 3 dot-separated segments, got 2');
    malformed('a.b.c.d', 'token must have 3 dot-separated segments, got 4');
    malformed('a.b.c.d.e', 'token has 5 segments: encrypted tokens (JWE) are not supported');
  });

  it('a kid that is not a string is malformed, and the message names its type', () => {
    for (const [kid, shown] of [
      [5, 'number'],
      [null, 'null'],
      [['k'], 'an array'],
      [{ k: 1 }, 'object'],
      [true, 'boolean'],
    ] as const) {
      malformed(token({ alg: 'RS256', kid }), `token header "kid" must be a string, got ${shown}`);
    }
    assert.equal(parseCompactJws(token({ alg: 'RS256', kid: 'k' })).header.kid, 'k');
    assert.equal(parseCompactJws(token({ alg: 'RS256' })).header.kid, undefined);
  });

  it('the last-header fast path needs the same header segment at the start of the token', () => {
    const first = seg({ alg: 'RS256', kid: 'a' });
    const other = seg({ alg: 'RS256', kid: 'b' });
    assert.equal(first.length, other.length);
    assert.equal(parseCompactJws(`${first}.${seg({})}.`).header.kid, 'a');
    // Same length, and the token ends with the previous header segment (as its signature).
    assert.equal(parseCompactJws(`${other}.${seg({})}.${first}`).header.kid, 'b');
    assert.equal(parseCompactJws(`${first}.${seg({})}.`).header.kid, 'a');
  });
});
