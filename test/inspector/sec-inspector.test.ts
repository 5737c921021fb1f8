/**
 * Second security audit of the web inspector: bidi and C1 controls in claims are shown escaped in
 * a real browser (chromium through playwright-core), deeply nested JSON is a 400 and a clear
 * decode error (no uncaught RangeError), an oversized chunked body gets its 413, and the Host and
 * Origin checks accept the default-port form on port 80.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  hostAllowed,
  inspectorOrigins,
  MAX_BODY,
  originAllowed,
  startInspector,
  type InspectorHandle,
} from '../../src/inspector/server.js';
import { MAX_JSON_DEPTH } from '../../src/report/json-depth.js';

const RAW = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

let inspector: InspectorHandle;
let host: string;
let origin: string;

before(async () => {
  inspector = await startInspector({ port: 0, host: '127.0.0.1' });
  host = new URL(inspector.url).host;
  origin = new URL(inspector.url).origin;
});
after(() => inspector.close());

interface Answer {
  readonly status: number;
  readonly body: string;
}

function send(method: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: inspector.port, method, path: method === 'GET' ? '/' : '/api/verify', headers },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Host and Origin checks', () => {
  it('port 80: the default-port form (no ":80") is accepted, as browsers send it', () => {
    const o = inspectorOrigins('127.0.0.1', 80);
    for (const h of ['127.0.0.1', '127.0.0.1:80', 'localhost', 'localhost:80', 'LOCALHOST']) assert.equal(hostAllowed(o, h), true, h);
    for (const h of ['evil.example', 'evil.example:80', '127.0.0.1:8080', '', undefined]) assert.equal(hostAllowed(o, h), false, String(h));
    for (const x of ['http://127.0.0.1', 'http://127.0.0.1:80', 'http://localhost']) assert.equal(originAllowed(o, x), true, x);
    for (const x of ['http://evil.example', 'https://127.0.0.1', 'http://127.0.0.1:8080', 'null', undefined])
      assert.equal(originAllowed(o, x), false, String(x));
    const v6 = inspectorOrigins('::1', 80);
    assert.equal(hostAllowed(v6, '[::1]'), true);
    assert.equal(originAllowed(v6, 'http://[::1]'), true);
  });

  it('any other port: the port is required', () => {
    const o = inspectorOrigins('127.0.0.1', 8080);
    assert.equal(hostAllowed(o, '127.0.0.1:8080'), true);
    assert.equal(hostAllowed(o, '127.0.0.1'), false);
    assert.equal(originAllowed(o, 'http://127.0.0.1'), false);
  });

  it('a real server on a free port: explicit Host and Origin headers', async () => {
    assert.equal((await send('GET', { host })).status, 200);
    assert.equal((await send('GET', { host: '127.0.0.1' })).status, 421, 'no port: only the default port 80 may omit it');
    const json = { host, 'content-type': 'application/json' };
    assert.equal((await send('POST', { ...json, origin: 'http://127.0.0.1' }, '{}')).status, 403);
    const ok = await send('POST', { ...json, origin }, '{}');
    assert.equal(ok.status, 400);
    assert.match(ok.body, /token is required/);
  });
});

describe('the API with hostile bodies', () => {
  const headers = (): Record<string, string> => ({ host, origin, 'content-type': 'application/json' });

  it('an oversized chunked body is answered 413 (not a reset), and the server keeps serving', async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: inspector.port, method: 'POST', path: '/api/verify', headers: headers() }, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        req.end();
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(32 * 1024, 0x20);
      let sent = 0;
      // No Content-Length: chunked. Keep sending until the answer comes (or well past the cap).
      const pump = (): void => {
        while (sent < 8 * MAX_BODY && !req.destroyed && !req.writableEnded) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (!req.writableEnded) req.end();
      };
      pump();
    });
    assert.equal(answer.status, 413);
    assert.match(answer.body, new RegExp(`larger than ${MAX_BODY} bytes`));
    assert.equal((await send('GET', { host })).status, 200);
  });

  it(`a body nested 120k deep is a 400 naming the ${MAX_JSON_DEPTH}-level limit, not a 500`, async () => {
    const deepJwks = `{"token":"a.b.c","issuer":"https://a.example","audience":"x","jwks":${'['.repeat(120_000)}${']'.repeat(120_000)}}`;
    const r = await send('POST', headers(), deepJwks);
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /nested deeper than 64 levels/);
    const deepAtTop = await send('POST', headers(), `${'['.repeat(120_000)}${']'.repeat(120_000)}`);
    assert.equal(deepAtTop.status, 400);
  });

  it('a token nested deep is checked to a failed format row, not a 500', async () => {
    const token = `${b64({ alg: 'RS256' })}.${b64(`{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`)}.c2ln`;
    const r = await send('POST', headers(), JSON.stringify({ token, issuer: 'https://a.example', audience: 'x', jwks: { keys: [] } }));
    assert.equal(r.status, 200, r.body);
    const c = JSON.parse(r.body) as { code: string; message: string };
    assert.equal(c.code, 'ERR_MALFORMED');
    assert.match(c.message, /nested deeper than 64 levels/);
  });
});

describe('the page in chromium', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  before(async () => {
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(inspector.url);
  });
  after(() => browser?.close());

  it('shows bidi overrides and C1 controls in claims as visible escapes', async () => {
    const token = `${b64({ alg: 'RS256', kid: 'k\u009b2J' })}.${b64({ sub: 'user-\u202e1337-nimda', email: 'admin@evil\u202emoc.example', ['\u2066name\u2069']: 'a\u200fb\u061c' })}.c2ln`;
    await page.fill('#token', token);
    const sub = (await page.locator('#claims-table tr[data-claim="sub"] td.value').textContent()) ?? '';
    assert.ok(sub.includes('"user-\\u202e1337-nimda"'), sub);
    const email = (await page.locator('#claims-table tr[data-claim="email"] td.value').textContent()) ?? '';
    assert.ok(email.includes('admin@evil\\u202emoc.example'), email);
    const claims = (await page.textContent('#claims-table')) ?? '';
    assert.ok(claims.includes('\\u2066name\\u2069') && claims.includes('a\\u200fb\\u061c'), claims);
    const header = (await page.textContent('#header-table')) ?? '';
    assert.ok(header.includes('k\\u009b2J'), header);
    assert.doesNotMatch(claims + header, RAW, 'no raw control character is rendered');
  });

  it('shows the server verdict escaped too', async () => {
    const token = `${b64({ alg: 'RS256' })}.${b64({ iss: 'https://evil\u202e.example', aud: 'x', sub: 'u', exp: 4102444800, iat: 1 })}.c2ln`;
    await page.fill('#token', token);
    await page.fill('#issuer', 'https://a.example');
    await page.fill('#audience', 'x');
    await page.fill('#jwks', '{"keys":[]}');
    await page.click('#verify');
    await page.locator('#verdict:not([data-state="busy"]):not([data-state="unverified"])').waitFor();
    const verdict = (await page.textContent('#verdict')) ?? '';
    const checklist = (await page.textContent('#checklist')) ?? '';
    assert.doesNotMatch(verdict + checklist, RAW, verdict);
    assert.ok(checklist.includes('https://evil\\u202e.example'), checklist);
  });

  it('a token nested 120k deep: a decode error naming the limit, no uncaught RangeError', async () => {
    const token = `${b64({ alg: 'RS256' })}.${b64(`{"a":${'['.repeat(120_000)}${']'.repeat(120_000)}}`)}.c2ln`;
    await page.fill('#token', token);
    assert.match(
      (await page.textContent('#decode-error')) ?? '',
      new RegExp(`Not a decodable JWT: payload is nested deeper than ${MAX_JSON_DEPTH} levels`),
    );
    assert.deepEqual(problems, []);
  });
});
