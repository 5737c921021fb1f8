/**
 * The web inspector in a real browser: `oidc-verifier inspect` (the BUILT binary) on a free
 * 127.0.0.1 port, driven by Chromium (test/support/chromium.ts finds it) through playwright-core. Every request the page
 * makes is recorded: none may leave the inspector's origin. Screenshots go to the OS temp dir.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Jwks } from '../../src/jose/types.js';
import { startInspector, type InspectorHandle } from '../../src/inspector/server.js';
import { assertBuilt, BIN, ROOT } from '../cli/run-cli.js';
import { startLocalIssuer, type LocalIssuer } from '../cli/test-issuer.js';

interface Seed {
  issuer: string;
  audience: string;
  token: string;
  jwks: { keys: Record<string, unknown>[] };
}

// The page.evaluate() callbacks below run in chromium; this file is compiled without the DOM lib.
declare const document: { activeElement: unknown; documentElement: { scrollWidth: number } };
declare const window: { innerWidth: number };
declare function getComputedStyle(element: unknown): { color: string; outlineStyle: string };

const seed = JSON.parse(readFileSync(new URL('../fixtures/asgardeo-sample.json', import.meta.url), 'utf8')) as Seed;
// Screenshots of each state, for people to look at; never written into the repository.
const OUT = join(tmpdir(), 'oidc-verifier-inspector-screenshots');

let child: ChildProcess;
let url: string;
let origin: string;
let browser: Browser;
let context: BrowserContext;
const requests: string[] = [];
const problems: string[] = [];

/** Starts the built CLI's inspector and resolves with the URL it prints (--json). */
function startCli(): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'inspect', '--port', '0', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ proc, url: (JSON.parse(out.slice(0, nl)) as { url: string }).url });
    });
    proc.on('exit', (code) => reject(new Error(`inspect exited with ${code}: ${err}`)));
  });
}

async function newPage(width = 1360, height = 1000): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return page;
}

async function verdictAfterClick(page: Page, trigger: () => Promise<void>): Promise<string> {
  await trigger();
  const verdict = page.locator('#verdict:not([data-state="busy"]):not([data-state="unverified"])');
  await verdict.waitFor();
  return (await verdict.getAttribute('data-state')) ?? '';
}

async function fillSeed(page: Page, fields: { audience?: string; at?: string } = {}): Promise<void> {
  await page.fill('#token', seed.token);
  await page.fill('#issuer', seed.issuer);
  await page.fill('#audience', fields.audience ?? seed.audience);
  await page.fill('#jwks', JSON.stringify(seed.jwks, null, 2));
  await page.fill('#at', fields.at ?? '1629968400');
}

async function rowStatus(page: Page, id: string): Promise<string | null> {
  return page.locator(`#checklist tr[data-check="${id}"]`).getAttribute('data-status');
}

before(async () => {
  assertBuilt();
  mkdirSync(OUT, { recursive: true });
  const started = await startCli();
  child = started.proc;
  url = started.url;
  origin = new URL(url).origin;
  browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  context = await browser.newContext();
  // Every request of every page, including ones the page would make on its own.
  context.on('request', (r) => requests.push(r.url()));
});

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, 'inspect stops cleanly on SIGTERM');
  }
});

describe('inspect: the page', () => {
  it('is served with a strict CSP and security headers, on 127.0.0.1', async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const html = await res.text();
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)="(https?:)?\/\//i, 'no external resource');
  });

  it('decodes a pasted token in the page: three coloured parts, claims with meanings and times', async () => {
    const page = await newPage();
    const t0 = Date.now();
    await page.goto(url);
    const loadMs = Date.now() - t0;
    await page.fill('#token', seed.token);
    await page.fill('#at', '1629968400');
    const parts = await page.locator('#encoded span').evaluateAll((spans) => spans.map((s) => [s.className, getComputedStyle(s).color]));
    assert.deepEqual(
      parts.map(([c]) => c),
      ['part-h', 'dot', 'part-p', 'dot', 'part-s'],
    );
    assert.equal(new Set([parts[0]![1], parts[2]![1], parts[4]![1]]).size, 3, 'three distinct colours');
    const claims = page.locator('#claims-table tbody tr');
    assert.equal(await claims.count(), 12);
    const iss = page.locator('#claims-table tr[data-claim="iss"]');
    assert.match((await iss.textContent()) ?? '', /Issuer.*api\.asgardeo\.io.*Identifier of the creator of the token.*OIDC Core §2/s);
    const exp = (await page.locator('#claims-table tr[data-claim="exp"]').textContent()) ?? '';
    assert.match(exp, /2021-08-26T09:59:04Z · expires in 59 min/);
    assert.match((await page.textContent('#header-table')) ?? '', /kid.*Key ID/s);
    assert.equal(await page.getAttribute('#verdict', 'data-state'), 'unverified');
    assert.match((await page.textContent('#verdict')) ?? '', /Not verified/);
    const navMs = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation' as never)[0] as unknown as { loadEventEnd: number; startTime: number };
      return nav.loadEventEnd - nav.startTime;
    });
    console.log(`# inspector page: load event after ${navMs.toFixed(1)} ms (goto ${loadMs} ms)`);
    await page.close();
  });

  it('validates with a pasted JWKS and the clock at 1629968400: every row of the checklist', async () => {
    const page = await newPage();
    await page.goto(url);
    await fillSeed(page);
    assert.match((await page.textContent('#keys-note')) ?? '', /pasted JWKS \(offline/);
    assert.equal(await verdictAfterClick(page, () => page.click('#verify')), 'valid');
    for (const id of ['format', 'alg', 'key', 'signature', 'iss', 'aud', 'iat', 'exp', 'sub'])
      assert.equal(await rowStatus(page, id), 'pass', id);
    assert.equal(await rowStatus(page, 'nonce'), 'skip');
    const order = await page
      .locator('#checklist tr[data-check]')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { check?: string } }).dataset.check));
    assert.deepEqual(order.slice(0, 8), ['format', 'alg', 'key', 'signature', 'iss', 'aud', 'azp', 'iat']);
    await page.screenshot({ path: join(OUT, 'inspector-valid.png'), fullPage: true });
    await page.close();
  });

  it('shows the failure for a wrong audience, and for the real clock (expired)', async () => {
    const page = await newPage();
    await page.goto(url);
    await fillSeed(page, { audience: 'not-my-client' });
    assert.equal(await verdictAfterClick(page, () => page.click('#verify')), 'invalid');
    assert.match((await page.textContent('#verdict')) ?? '', /Invalid: ERR_AUDIENCE.*"aud" mismatch: expected "not-my-client"/s);
    assert.equal(await rowStatus(page, 'aud'), 'fail');
    assert.equal(await rowStatus(page, 'signature'), 'pass');
    await page.screenshot({ path: join(OUT, 'inspector-wrong-audience.png'), fullPage: true });

    await page.fill('#audience', seed.audience);
    assert.equal(await page.getAttribute('#verdict', 'data-state'), 'unverified', 'editing an input resets the verdict');
    await page.fill('#at', '');
    assert.equal(await verdictAfterClick(page, () => page.click('#verify')), 'invalid');
    assert.match((await page.textContent('#verdict')) ?? '', /ERR_EXPIRED/);
    assert.equal(await rowStatus(page, 'exp'), 'fail');
    await page.close();
  });

  it('is keyboard friendly: Ctrl+Enter verifies, the iat button sets the clock, focus is visible', async () => {
    const page = await newPage();
    await page.goto(url);
    await fillSeed(page, { at: '' });
    await page.click('#at-iat');
    assert.equal(await page.inputValue('#at'), '1629968344');
    await page.focus('#token');
    assert.equal(await verdictAfterClick(page, () => page.keyboard.press('Control+Enter')), 'valid');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => (document.activeElement ? getComputedStyle(document.activeElement).outlineStyle : 'none'));
    assert.notEqual(outline, 'none', 'the focused control shows a focus ring');
    await page.close();
  });

  it('explains garbage instead of failing silently', async () => {
    const page = await newPage();
    await page.goto(url);
    await page.fill('#token', 'not!.a.token');
    assert.match((await page.textContent('#decode-error')) ?? '', /Not a decodable JWT: header is not base64url/);
    await page.fill('#token', 'bm90IGpzb24.e30.c2ln');
    assert.match((await page.textContent('#decode-error')) ?? '', /Not a decodable JWT: header is not JSON/);
    await page.fill('#token', 'a.b.c.d.e');
    assert.match((await page.textContent('#decode-error')) ?? '', /encrypted token \(JWE/);
    await page.fill('#issuer', 'https://issuer.example');
    await page.fill('#audience', 'x');
    assert.equal(await verdictAfterClick(page, () => page.click('#verify')), 'invalid');
    assert.equal(await rowStatus(page, 'format'), 'fail');
    await page.close();
  });

  it('is readable on a narrow window (no horizontal scrolling)', async () => {
    const page = await newPage(380, 900);
    await page.goto(url);
    await fillSeed(page);
    assert.equal(await verdictAfterClick(page, () => page.keyboard.press('Control+Enter')), 'valid');
    const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scrollWidth <= innerWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px window`);
    await page.screenshot({ path: join(OUT, 'inspector-narrow.png'), fullPage: true });
    await page.close();
  });

  it('made no request beyond 127.0.0.1 and logged no error (CSP violations included)', () => {
    assert.ok(requests.length > 0);
    const elsewhere = requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith('data:'));
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(problems, []);
  });
});

describe('inspect: the server', () => {
  function raw(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: u.port, method, path, headers }, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const good = { host: '', origin: '', 'content-type': 'application/json' };
  before(() => {
    good.host = new URL(url).host;
    good.origin = origin;
  });

  it('answers /api/verify with the checklist for its own origin', async () => {
    const r = await raw(
      'POST',
      '/api/verify',
      good,
      JSON.stringify({ token: seed.token, issuer: seed.issuer, audience: seed.audience, jwks: seed.jwks, at: 1629968400 }),
    );
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { verdict: string }).verdict, 'valid');
  });

  it('refuses other origins, other Host names, non-JSON, oversize bodies and bad input', async () => {
    const body = JSON.stringify({ token: seed.token, issuer: seed.issuer, audience: seed.audience });
    assert.equal((await raw('POST', '/api/verify', { ...good, origin: 'http://evil.example' }, body)).status, 403);
    const { origin: _o, ...noOrigin } = good;
    assert.equal((await raw('POST', '/api/verify', noOrigin, body)).status, 403);
    assert.equal((await raw('GET', '/', { host: 'evil.example' })).status, 421, 'DNS rebinding');
    assert.equal((await raw('POST', '/api/verify', { ...good, 'content-type': 'text/plain' }, body)).status, 415);
    assert.equal((await raw('POST', '/api/verify', good, 'x'.repeat(300 * 1024))).status, 413);
    assert.equal((await raw('POST', '/api/verify', good, '{not json')).status, 400);
    const missing = await raw('POST', '/api/verify', good, JSON.stringify({ token: seed.token }));
    assert.equal(missing.status, 400);
    assert.match(missing.body, /issuer is required/);
    assert.equal((await raw('GET', '/api/verify', { host: good.host })).status, 405);
    assert.equal((await raw('GET', '/nothing', { host: good.host })).status, 404);
  });

  it('refuses to listen beyond loopback', async () => {
    await assert.rejects(startInspector({ host: '0.0.0.0' }), /only listens on a loopback address/);
  });
});

describe('startInspector (the demo API): prefill, samples, keys fetched by the server', () => {
  let op: LocalIssuer;
  let inspector: InspectorHandle;
  let token: string;
  const now = Math.floor(Date.now() / 1000);

  before(async () => {
    op = await startLocalIssuer();
    token = await op.signer.sign({ iss: op.issuer, aud: 'demo-client', sub: 'demo-user', nonce: 'n-42', iat: now - 5, exp: now + 600 });
    inspector = await startInspector({
      port: 0,
      host: '127.0.0.1',
      prefill: {
        token,
        issuer: op.issuer,
        audience: 'demo-client',
        nonce: 'n-42',
        verify: true,
        samples: [
          {
            label: 'Seed 003 sample (Asgardeo guide)',
            token: seed.token,
            issuer: seed.issuer,
            audience: seed.audience,
            jwks: seed.jwks as unknown as Jwks,
            at: 1629968400,
          },
          { label: 'Local issuer token, wrong nonce', token, issuer: op.issuer, audience: 'demo-client', nonce: 'other' },
        ],
      },
    });
  });
  after(async () => {
    await inspector?.close();
    await op?.close();
  });

  it('verifies the prefilled token on load; the server, not the page, fetched the keys', async () => {
    const page = await newPage();
    const mine: string[] = [];
    page.on('request', (r) => mine.push(r.url()));
    await page.goto(inspector.url);
    await page.locator('#verdict[data-state="valid"]').waitFor();
    assert.match((await page.textContent('#verdict')) ?? '', /Keys: discovery of http:\/\/127\.0\.0\.1/);
    assert.equal(await rowStatus(page, 'nonce'), 'pass');
    assert.ok(op.requests.includes('/jwks'), 'the inspector server fetched the JWKS');
    const inspectorOrigin = new URL(inspector.url).origin;
    assert.deepEqual(
      mine.filter((r) => !r.startsWith(`${inspectorOrigin}/`)),
      [],
      'the page only talked to its server',
    );

    await page.selectOption('#sample', { label: 'Local issuer token, wrong nonce' });
    assert.equal(await verdictAfterClick(page, () => page.click('#verify')), 'invalid');
    assert.equal(await rowStatus(page, 'nonce'), 'fail');

    await page.selectOption('#sample', { label: 'Seed 003 sample (Asgardeo guide)' });
    assert.equal(await page.inputValue('#at'), '1629968400');
    assert.equal(await verdictAfterClick(page, () => page.click('#verify')), 'valid');
    await page.close();
  });
});
