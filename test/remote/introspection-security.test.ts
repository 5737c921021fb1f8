/**
 * Security findings on the RFC 7662 introspection client, against real node:http servers on
 * 127.0.0.1: hostile response nesting, discovery backoff during an outage, secrets echoed back by
 * the authorization server, redaction of configuration errors, and calls that must never throw
 * anything but a VerifyError nor hang.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FetchError, VerifyError } from '../../src/errors.js';
import { checkIssuerOptions } from '../../src/options.js';
import {
  createIntrospector,
  processIntrospectionResponse,
  sendIntrospectionRequest,
  type IntrospectorOptions,
} from '../../src/remote/introspection.js';
import { requireUrl } from '../../src/remote/url-policy.js';
import { clock, hang, json, rejectsWith, startServer, type TestServer } from '../support/jwks-server.js';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(() => srv.close());

const NOW = 1_700_000_000_000;
const WK = '/.well-known/openid-configuration';

/** A body nesting arrays `depth` levels below the response object (which is level 1). */
function nested(depth: number): string {
  return `{"active":true,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

describe('response nesting depth', () => {
  test('a 100,000-deep response is ERR_INTROSPECTION, with the cache on or off (it used to throw RangeError from structuredClone)', async () => {
    srv.route('/deep', json(nested(100_000)));
    for (const cache of [undefined, { ttl: 10_000 }]) {
      const i = createIntrospector({
        endpoint: `${srv.origin}/deep`,
        clientId: 'c',
        clientSecret: 'secret',
        now: () => NOW,
        ...(cache ? { cache } : {}),
      });
      const err = await rejectsWith(i.introspect('tok'), 'ERR_INTROSPECTION');
      assert.ok(err instanceof FetchError);
      assert.equal(err.status, 200);
      assert.match(err.message, /nests objects or arrays more than 32 levels deep/);
      assert.equal(i.stats().cached, 0);
    }
  });

  test('32 levels pass and are cached (a hit copies them again); 33 do not', async () => {
    srv.route('/d32', json(nested(31)));
    srv.route('/d33', json(nested(32)));
    const i = createIntrospector({
      endpoint: `${srv.origin}/d32`,
      clientId: 'c',
      clientSecret: 'secret',
      now: () => NOW,
      cache: { ttl: 10_000 },
    });
    const first = await i.introspect('tok');
    const again = await i.introspect('tok');
    assert.deepEqual(again, first);
    assert.deepEqual(i.stats(), { requests: 1, cacheHits: 1, cached: 1 });
    const j = createIntrospector({
      endpoint: `${srv.origin}/d33`,
      clientId: 'c',
      clientSecret: 'secret',
      now: () => NOW,
      cache: { ttl: 10_000 },
    });
    await rejectsWith(j.introspect('tok'), 'ERR_INTROSPECTION');
  });

  test('deep objects count like deep arrays', async () => {
    srv.route('/deep-obj', json(`{"active":true,"x":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`));
    const err = await rejectsWith(
      createIntrospector({ endpoint: `${srv.origin}/deep-obj`, clientId: 'c', clientSecret: 'secret' }).introspect('tok'),
      'ERR_INTROSPECTION',
    );
    assert.match(err.message, /more than 32 levels/);
  });
});

describe('discovery backoff during an outage', () => {
  test('200 calls while discovery fails make 1 request; then 1 s, 2 s, 4 s ... capped at 30 s; success resets', async () => {
    const issuer = `${srv.origin}/outage`;
    let up = false;
    srv.route(`/outage${WK}`, (req, res) =>
      up
        ? json({ issuer, jwks_uri: `${issuer}/jwks`, introspection_endpoint: `${issuer}/introspect` })(req, res)
        : json({ error: 'down' }, {}, 503)(req, res),
    );
    srv.route('/outage/introspect', json({ active: true }));
    const c = clock(NOW);
    const i = createIntrospector({ issuer, clientId: 'c', clientSecret: 'secret', now: c.now });
    const discoveries = () => srv.count(`/outage${WK}`);

    const results = await Promise.allSettled(Array.from({ length: 100 }, () => i.introspect('tok')));
    for (let n = 0; n < 100; n++) await rejectsWith(i.introspect('tok'), 'ERR_DISCOVERY');
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof VerifyError && r.reason.code === 'ERR_DISCOVERY'));
    assert.equal(discoveries(), 1, '200 calls during the outage, one discovery request');

    const waiting = await rejectsWith(i.introspect('tok'), 'ERR_DISCOVERY');
    assert.ok(waiting instanceof FetchError);
    assert.equal(waiting.status, 503);
    assert.equal(waiting.url, issuer + WK);
    assert.match(waiting.message, /HTTP 503.*not retried for 1 s after 1 failed discovery/);
    await rejectsWith(i.endpoint(), 'ERR_DISCOVERY');

    // Doubling: the n-th failure waits min(2^(n-1) s, 30 s).
    const expected = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    for (const [k, wait] of expected.entries()) {
      c.advance(wait - 1);
      await rejectsWith(i.introspect('tok'), 'ERR_DISCOVERY');
      assert.equal(discoveries(), k + 1, `still backing off ${wait - 1} ms after failure ${k + 1}`);
      c.advance(1);
      await rejectsWith(i.introspect('tok'), 'ERR_DISCOVERY');
      assert.equal(discoveries(), k + 2, `asked again ${wait} ms after failure ${k + 1}`);
    }

    up = true;
    c.advance(30_000);
    assert.equal((await i.introspect('tok')).active, true);
    assert.equal(await i.endpoint(), `${issuer}/introspect`);
    assert.equal(discoveries(), expected.length + 2, 'the endpoint is remembered once discovered');
  });

  test('a discovery that never answers fails at the deadline (ERR_DISCOVERY), and backs off too', async () => {
    srv.route(`/slow${WK}`, hang);
    const c = clock(NOW);
    const i = createIntrospector({ issuer: `${srv.origin}/slow`, clientId: 'c', clientSecret: 'secret', timeout: 150, now: c.now });
    const err = await rejectsWith(i.introspect('tok'), 'ERR_DISCOVERY');
    assert.match(err.message, /timed out after 150 ms/);
    await rejectsWith(i.introspect('tok'), 'ERR_DISCOVERY');
    assert.equal(srv.count(`/slow${WK}`), 1);
  });

  test('maxRedirects reaches discovery (a GET follows redirects)', async () => {
    srv.route(`/moved${WK}`, json('', { location: `/elsewhere${WK}` }, 302));
    const err = await rejectsWith(
      createIntrospector({ issuer: `${srv.origin}/moved`, clientId: 'c', clientSecret: 'secret', maxRedirects: 0 }).endpoint(),
      'ERR_DISCOVERY',
    );
    assert.match(err.message, /more than 0 redirects/);
  });
});

describe('secrets stay out of errors', () => {
  // Every character class that changes between raw, form-encoded, percent-encoded and JSON forms.
  const CLIENT_ID = 'resource server';
  const SECRET = `Zq9:p@ss w/rd+%&=~*'()!"\\-${'k'.repeat(24)}`;
  const TOKEN = `at+opaque/${'T'.repeat(20)}=${'0123456789'.repeat(4)}`;

  const form = (v: string) => new URLSearchParams([['', v]]).toString().slice(1);
  const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');
  const FORMS: Record<string, string> = {
    secret: SECRET,
    'secret, form-encoded': form(SECRET),
    'secret, percent-encoded': encodeURIComponent(SECRET),
    'secret, JSON-escaped': JSON.stringify(SECRET).slice(1, -1),
    'Basic credentials': basic(form(CLIENT_ID), form(SECRET)),
    'Basic credentials of the raw pair': basic(CLIENT_ID, SECRET),
    'Basic credentials, decoded': `${form(CLIENT_ID)}:${form(SECRET)}`,
    'secret, first 16 characters': SECRET.slice(0, 16),
    'secret, first 10 characters of the form-encoded': form(SECRET).slice(0, 10),
    'Basic credentials, first 16 characters': basic(form(CLIENT_ID), form(SECRET)).slice(0, 16),
    token: TOKEN,
    'token, form-encoded': form(TOKEN),
    'token, percent-encoded': encodeURIComponent(TOKEN),
    'token, first 16 characters of the form-encoded': form(TOKEN).slice(0, 16),
  };

  /** Everything an error shows: message, stack, inspect, and every cause serialised. */
  function everything(err: unknown): string {
    const parts = [inspect(err, { depth: 10 }), inspect(err, { depth: 10, showHidden: true })];
    for (let e: unknown = err, n = 0; e !== undefined && n < 20; e = (e as { cause?: unknown }).cause, n++) {
      if (e instanceof Error) parts.push(e.message, e.stack ?? '', String(e));
      parts.push(JSON.stringify(e, Object.getOwnPropertyNames(e ?? {})) ?? '');
      try {
        parts.push(JSON.stringify(e) ?? '');
      } catch {
        // A cyclic cause: inspect covered it.
      }
    }
    return parts.join('\n');
  }

  function assertClean(err: unknown, what: string): void {
    const all = everything(err);
    for (const [name, v] of Object.entries(FORMS)) assert.ok(!all.includes(v), `${what}: the ${name} appears in the error:\n${all}`);
  }

  /** Reads the request, then answers with what `answer` makes of its body and Authorization header. */
  function echo(answer: (body: string, authorization: string, res: ServerResponse) => void) {
    return (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => answer(body, req.headers.authorization ?? '', res));
    };
  }

  const at = (path: string, extra: Partial<IntrospectorOptions> = {}) =>
    createIntrospector({ endpoint: srv.origin + path, clientId: CLIENT_ID, clientSecret: SECRET, now: () => NOW, ...extra });

  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    for (const status of [400, 401, 500]) {
      test(`${method}, HTTP ${status}: an error_description echoing the request body and Authorization header is redacted`, async () => {
        const path = `/echo-${method}-${status}`;
        srv.route(
          path,
          echo((body, authorization, res) =>
            json(
              {
                error: 'invalid_request',
                error_description: `got body=${body} authorization=${authorization} decoded=${Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString()}`,
              },
              {},
              status,
            )(undefined as never, res),
          ),
        );
        const err = await rejectsWith(at(path, { clientAuthMethod: method }).introspect(TOKEN), 'ERR_INTROSPECTION');
        assert.ok(err instanceof FetchError);
        assert.equal(err.status, status);
        assert.match(err.message, new RegExp(`HTTP ${status}.*error "invalid_request" \\("got body=token=\\[redacted\\]`));
        assertClean(err, `${method} ${status}`);
      });
    }
  }

  test('a description cut in the middle of the secret leaves no beginning of it', async () => {
    // describeValue() keeps 120 characters of the JSON string: the cut falls 10 characters into the secret.
    srv.route('/echo-cut', json({ error: 'invalid_client', error_description: `${'y'.repeat(109)}${SECRET}` }, {}, 400));
    const err = await rejectsWith(at('/echo-cut').introspect(TOKEN), 'ERR_INTROSPECTION');
    assert.ok(!err.message.includes(SECRET.slice(0, 4)), err.message);
    assertClean(err, 'cut');
  });

  test('the echo in the `error` member and in the HTTP reason phrase is redacted too', async () => {
    srv.route(
      '/echo-reason',
      echo((body, _authorization, res) => {
        res.writeHead(400, `Bad ${TOKEN}`, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: body }));
      }),
    );
    const err = await rejectsWith(at('/echo-reason', { clientAuthMethod: 'client_secret_post' }).introspect(TOKEN), 'ERR_INTROSPECTION');
    assert.match(err.message, /HTTP 400 Bad \[redacted\]/);
    assertClean(err, 'reason phrase');
  });

  test('an active response echoing the request in a member (cut at 40 characters) is redacted', async () => {
    srv.route(
      '/echo-2xx',
      echo((body, _authorization, res) => json({ active: body })(undefined as never, res)),
    );
    const err = await rejectsWith(at('/echo-2xx').introspect(TOKEN), 'ERR_INTROSPECTION');
    assert.match(err.message, /"active" must be a boolean, got "token=\[redacted\]/);
    assertClean(err, '2xx member');
  });

  test('a custom fetch whose error carries the request (message, fields) does not bring it into the cause chain', async () => {
    const leaky = async (input: string, init: RequestInit): Promise<Response> => {
      await globalThis.fetch(input, init); // the real request to 127.0.0.1 still happens
      const e = new Error(`proxy refused ${String(init.body as string)} with ${JSON.stringify(init.headers)}`) as Error & {
        request?: unknown;
        code?: string;
      };
      e.request = { init, again: { headers: init.headers } };
      e.code = 'EPROXY';
      throw e;
    };
    srv.route('/echo-proxy', json({ active: true }));
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const err = await rejectsWith(at('/echo-proxy', { fetch: leaky, clientAuthMethod: method }).introspect(TOKEN), 'ERR_INTROSPECTION');
      assert.ok(err instanceof FetchError);
      assert.match(err.message, /network error: proxy refused token=\[redacted\]/);
      const cause = err.cause as Error & { code?: unknown; request?: unknown };
      assert.ok(cause instanceof Error);
      assert.equal(cause.code, 'EPROXY', 'the cause keeps its code');
      assert.equal(cause.request, undefined, 'but not the fields holding the request');
      assertClean(err, `custom fetch ${method}`);
    }
  });

  test('sendIntrospectionRequest (public) redacts as well', async () => {
    srv.route(
      '/echo-send',
      echo((body, authorization, res) =>
        json({ error: 'invalid_request', error_description: `${body} ${authorization}` }, {}, 400)(undefined as never, res),
      ),
    );
    const err = await rejectsWith(
      sendIntrospectionRequest(`${srv.origin}/echo-send`, TOKEN, { clientId: CLIENT_ID, clientSecret: SECRET }),
      'ERR_INTROSPECTION',
    );
    assertClean(err, 'sendIntrospectionRequest');
  });

  test('errors without secrets are left as they are (class, fields, message)', async () => {
    srv.route('/plain-500', json({ error: 'server_error', error_description: 'try later' }, {}, 500));
    const err = await rejectsWith(at('/plain-500').introspect(TOKEN), 'ERR_INTROSPECTION');
    assert.ok(err instanceof FetchError);
    assert.equal(err.url, `${srv.origin}/plain-500`);
    assert.match(err.message, /HTTP 500 Internal Server Error: error "server_error" \("try later"\)$/);
  });
});

describe('configuration errors never echo secrets', () => {
  const base = { endpoint: 'https://as.example/introspect', clientId: 'c', clientSecret: 'hunter2-secret' };

  test('URLs with credentials are refused without showing them (introspector endpoint and issuer, jwksUri, issuer options)', async () => {
    const cases: Array<[string, () => unknown]> = [
      ['endpoint', () => createIntrospector({ ...base, endpoint: 'https://user:pw-hunter2@as.example/introspect' })],
      ['endpoint, no slashes', () => createIntrospector({ ...base, endpoint: 'https:user:pw-hunter2@as.example/introspect' })],
      ['issuer', () => createIntrospector({ ...base, issuer: 'https://user:pw-hunter2@as.example' })],
      ['not a URL', () => requireUrl('jwksUri', 'https://user:pw-hunter2@[bad/jwks', false)],
      ['issuer options', () => checkIssuerOptions({ issuer: 'https://user:pw-hunter2@as.example', audience: [] })],
    ];
    for (const [name, make] of cases) {
      const err = await rejectsWith(make, 'ERR_CONFIG');
      assert.ok(!inspect(err).includes('pw-hunter2'), `${name}: ${err.message}`);
      assert.match(err.message, /\[redacted\]@/, name);
    }
  });

  test('unknown option names are ERR_CONFIG naming the closest known one, never echoing a value', async () => {
    const err = await rejectsWith(
      () => createIntrospector({ ...base, clientSecert: 'hunter2-secret' } as unknown as IntrospectorOptions),
      'ERR_CONFIG',
    );
    assert.match(err.message, /createIntrospector: unknown option "clientSecert"; did you mean "clientSecret"\?/);
    assert.ok(!err.message.includes('hunter2'));
    await rejectsWith(
      () => createIntrospector({ ...base, cache: { ttl: 1000, maxEntrys: 5 } } as unknown as IntrospectorOptions),
      'ERR_CONFIG',
    );
    await rejectsWith(() => createIntrospector({ ...base, maxRedirects: -1 }), 'ERR_CONFIG');
    await rejectsWith(() => createIntrospector({ ...base, allowHttp: 'yes' } as unknown as IntrospectorOptions), 'ERR_CONFIG');
    // Every documented option is accepted.
    assert.ok(
      createIntrospector({
        ...base,
        issuer: 'https://as.example',
        clientAuthMethod: 'client_secret_post',
        audience: 'api',
        requiredScopes: ['read'],
        clockTolerance: 5,
        now: Date.now,
        maxTokenLength: 100,
        cache: { ttl: 1000, maxEntries: 10 },
        fetch: globalThis.fetch,
        timeout: 1000,
        maxResponseSize: 1000,
        allowHttp: false,
        maxRedirects: 1,
      }),
    );
  });
});

describe('bad per-call input is a VerifyError, never a TypeError', () => {
  test('introspect(token, null / unknown option / bad hint) is ERR_CONFIG without a request', async () => {
    srv.route('/never', json({ active: true }));
    const i = createIntrospector({ endpoint: `${srv.origin}/never`, clientId: 'c', clientSecret: 'secret' });
    const call = (o: unknown) => i.introspect('tok', o as never);
    await rejectsWith(call(null), 'ERR_CONFIG');
    await rejectsWith(call('access_token'), 'ERR_CONFIG');
    const err = await rejectsWith(call({ requiredScope: ['read'] }), 'ERR_CONFIG');
    assert.match(err.message, /did you mean "requiredScopes"/);
    await rejectsWith(call({ tokenTypeHint: 5 }), 'ERR_CONFIG');
    await rejectsWith(call({ tokenTypeHint: Symbol('x') }), 'ERR_CONFIG');
    await rejectsWith(call({ tokenTypeHint: '' }), 'ERR_CONFIG');
    assert.equal(srv.count('/never'), 0);
  });

  test('an error response whose body never ends fails at the deadline', async () => {
    srv.route('/stall-400', (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.write('{"error":"invalid_request","error_description":"');
    });
    const err = await rejectsWith(
      createIntrospector({ endpoint: `${srv.origin}/stall-400`, clientId: 'c', clientSecret: 'secret', timeout: 150 }).introspect('tok'),
      'ERR_INTROSPECTION',
    );
    assert.match(err.message, /timed out after 150 ms/);
  });
});

describe('the public building blocks refuse bad input with a VerifyError', () => {
  test('sendIntrospectionRequest: a non-string token, missing credentials, a bad hint or endpoint', async () => {
    const url = `${srv.origin}/never-send`;
    srv.route('/never-send', json({ active: true }));
    const send = (endpoint: unknown, token: unknown, options: unknown) =>
      sendIntrospectionRequest(endpoint as string, token as string, options as never);
    await rejectsWith(send(url, Symbol('t'), { clientId: 'c', clientSecret: 's' }), 'ERR_MALFORMED');
    await rejectsWith(send(url, 'tok', null), 'ERR_CONFIG');
    await rejectsWith(send(url, 'tok', { clientId: 'c', clientSecret: Symbol('s') }), 'ERR_CONFIG');
    await rejectsWith(send(url, 'tok', { clientId: 'c', clientSecret: 's', tokenTypeHint: Symbol('h') }), 'ERR_CONFIG');
    await rejectsWith(send(42, 'tok', { clientId: 'c', clientSecret: 's' }), 'ERR_INTROSPECTION');
    assert.equal(srv.count('/never-send'), 0);
  });

  test('processIntrospectionResponse: a body that is not an object is ERR_INTROSPECTION', async () => {
    for (const body of [null, [], 'active', 1]) {
      await rejectsWith(() => processIntrospectionResponse({ url: 'https://as.example/i', body: body as never }), 'ERR_INTROSPECTION');
    }
  });
});
