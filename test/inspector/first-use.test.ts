/**
 * Issue 18, the inspector's first use, in a real Chromium: the signature line follows the check,
 * badges fit their cells, Expected/Actual never break a word, a new sample clears old results,
 * header and payload can be copied and read as raw JSON, the audience field of an access token
 * is not called "client id". Screenshots of each state go to the OS temp dir.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Jwks } from '../../src/jose/types.js';
import { startInspector, type InspectorHandle } from '../../src/inspector/server.js';
import { AUDIENCE, ISSUER, NOW_S, idTokenClaims, makeIssuer } from '../support/sign.js';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.js';

const OUT = join(tmpdir(), 'oidc-verifier-inspector-screenshots');
const seed = JSON.parse(readFileSync(new URL('../fixtures/asgardeo-sample.json', import.meta.url), 'utf8')) as {
  issuer: string;
  audience: string;
  token: string;
  jwks: Jwks;
};
const API = 'https://api.example.com';
let browser: Browser;
let context: BrowserContext;
let inspector: InspectorHandle;
let accessPayload: Record<string, unknown>;
const problems: string[] = [];
const elsewhere: string[] = [];

before(async () => {
  mkdirSync(OUT, { recursive: true });
  const rs = await makeIssuer('RS256');
  const hs = await makeIssuer('HS256');
  accessPayload = { iss: ISSUER, sub: 'u', aud: API, exp: NOW_S + 600, iat: NOW_S - 1, jti: 'j', client_id: 'demo-client', scope: 'read' };
  const access = await rs.sign(accessPayload, { typ: 'at+jwt' });
  const hmac = await hs.sign(idTokenClaims());
  const jwks = rs.jwks as unknown as Jwks;
  inspector = await startInspector({
    port: 0,
    host: '127.0.0.1',
    prefill: {
      samples: [
        { label: 'access token', token: access, issuer: ISSUER, audience: API, jwks, at: NOW_S },
        { label: 'HS256 without a secret', token: hmac, issuer: ISSUER, audience: AUDIENCE, jwks, at: NOW_S },
        { label: 'Asgardeo ID token', token: seed.token, issuer: seed.issuer, audience: seed.audience, jwks: seed.jwks, at: 1629968400 },
      ],
    },
  });
  browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(inspector.url).origin });
  context.on('request', (r) => {
    if (!r.url().startsWith(new URL(inspector.url).origin + '/') && !r.url().startsWith('data:')) elsewhere.push(r.url());
  });
});

after(async () => {
  await browser?.close();
  await inspector?.close();
});

async function open(width = 1360): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 1000 });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(inspector.url);
  return page;
}

async function pick(page: Page, label: string): Promise<string> {
  await page.selectOption('#sample', { label });
  await page.click('#verify');
  const v = page.locator('#verdict:not([data-state="busy"]):not([data-state="unverified"])');
  await v.waitFor();
  return (await v.getAttribute('data-state')) ?? '';
}

interface Layout {
  readonly overflowing: string[];
  readonly broken: string[];
  readonly styles: string[];
  readonly badges: number;
}

/** Every checklist cell against its content: overflow, words split across lines, wrap rules. */
function layout(page: Page): Promise<Layout> {
  return page.evaluate<Layout>(`(() => {
    const out = { overflowing: [], broken: [], styles: [], badges: 0 };
    for (const cell of document.querySelectorAll('#checklist tbody td, #checklist tbody th')) {
      const id = cell.parentElement.dataset.check + '/' + (cell.dataset.label || cell.tagName);
      if (cell.scrollWidth > cell.clientWidth) out.overflowing.push(id + ' ' + cell.scrollWidth + '>' + cell.clientWidth);
      const box = cell.getBoundingClientRect();
      for (const child of cell.querySelectorAll('.badge, code')) {
        const r = child.getBoundingClientRect();
        if (r.right > box.right + 0.5 || r.left < box.left - 0.5) out.overflowing.push(id + ' ' + child.className + ' wider than its cell');
        if (child.classList.contains('badge')) out.badges++;
      }
    }
    // A word (between spaces) that fits the cell must sit on one line; only a longer one (a URL
    // with no break opportunity, a thumbprint) may be split, and then only as far as it must.
    const canvas = document.createElement('canvas').getContext('2d');
    for (const code of document.querySelectorAll('#checklist td code')) {
      const st = getComputedStyle(code);
      out.styles.push(st.wordBreak + '/' + st.overflowWrap);
      canvas.font = st.font;
      const width = code.parentElement.clientWidth - parseFloat(getComputedStyle(code.parentElement).paddingLeft) - parseFloat(getComputedStyle(code.parentElement).paddingRight);
      const text = code.textContent;
      const re = /\\S+/g;
      let m;
      while ((m = re.exec(text))) {
        if (canvas.measureText(m[0]).width > width) continue;
        const range = document.createRange();
        const walker = document.createTreeWalker(code, 4);
        let offset = 0, node, startSet = false;
        while ((node = walker.nextNode())) {
          const len = node.data.length;
          if (!startSet && m.index < offset + len) { range.setStart(node, m.index - offset); startSet = true; }
          if (startSet && m.index + m[0].length <= offset + len) { range.setEnd(node, m.index + m[0].length - offset); break; }
          offset += len;
        }
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) out.broken.push(m[0] + ' in ' + code.closest('tr').dataset.check);
      }
    }
    return out;
  })()`);
}

describe('inspector first use', () => {
  it('access token: the audience is labelled as the API, the signature line says valid, header and payload copy as JSON', async () => {
    const page = await open();
    await page.selectOption('#sample', { label: 'access token' });
    assert.equal(await page.inputValue('#type'), 'access');
    const label = (await page.textContent('label[for="audience"]')) ?? '';
    assert.doesNotMatch(label, /client id/i);
    assert.match(label, /API/);
    assert.equal(await page.getAttribute('#signature-info', 'data-state'), 'unverified');
    assert.equal(await pick(page, 'access token'), 'valid');
    assert.equal(await page.getAttribute('#signature-info', 'data-state'), 'pass');
    const sig = (await page.textContent('#signature-info')) ?? '';
    assert.match(sig, /Signature valid/);
    assert.doesNotMatch(sig, /not checked/i);

    await page.click('#payload-raw summary');
    assert.deepEqual(JSON.parse((await page.textContent('#payload-json')) ?? ''), accessPayload);
    await page.click('#copy-payload');
    await page.locator('#copy-payload-note:has-text("Copied")').waitFor();
    assert.deepEqual(JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()')), accessPayload);
    await page.click('#copy-header');
    await page.locator('#copy-header-note:has-text("Copied")').waitFor();
    assert.equal((JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()')) as { typ: string }).typ, 'at+jwt');
    await page.screenshot({ path: join(OUT, 'first-use-access-valid.png'), fullPage: true });

    await page.selectOption('#type', 'id');
    assert.match((await page.textContent('label[for="audience"]')) ?? '', /client id/);
    await page.close();
  });

  it('not-checked rows: badges fit their cells, and the signature line says not checked', async () => {
    for (const width of [1360, 1000]) {
      const page = await open(width);
      assert.equal(await pick(page, 'HS256 without a secret'), 'invalid');
      assert.equal(await page.locator('#checklist tr[data-status="not-checked"]').count(), 2);
      assert.equal(await page.getAttribute('#signature-info', 'data-state'), 'not-checked');
      assert.doesNotMatch((await page.textContent('#signature-info')) ?? '', /valid/);
      const l = await layout(page);
      assert.ok(l.badges > 5);
      assert.deepEqual(l.overflowing, [], `at ${width}px`);
      await page.screenshot({ path: join(OUT, `first-use-not-checked-${width}.png`), fullPage: true });
      await page.close();
    }
  });

  it('Expected/Actual wrap between words, never inside one', async () => {
    for (const width of [1360, 1000, 820]) {
      const page = await open(width);
      assert.equal(await pick(page, 'Asgardeo ID token'), 'valid');
      const l = await layout(page);
      assert.ok(l.styles.length > 10);
      assert.deepEqual([...new Set(l.styles)], ['normal/break-word'], 'word-break normal, overflow-wrap break-word');
      assert.deepEqual(l.broken, [], `at ${width}px`);
      assert.deepEqual(l.overflowing, [], `at ${width}px`);
      await page.screenshot({ path: join(OUT, `first-use-wrapping-${width}.png`), fullPage: true });
      await page.close();
    }
  });

  it('picking another sample clears the previous results', async () => {
    const page = await open();
    assert.equal(await pick(page, 'Asgardeo ID token'), 'valid');
    assert.equal(await page.isVisible('#checklist'), true);
    await page.selectOption('#sample', { label: 'HS256 without a secret' });
    assert.equal(await page.getAttribute('#verdict', 'data-state'), 'unverified');
    assert.equal(await page.isVisible('#checklist'), false);
    assert.equal(await page.locator('#checklist tbody tr').count(), 0);
    assert.equal(await page.getAttribute('#signature-info', 'data-state'), 'unverified');
    await page.screenshot({ path: join(OUT, 'first-use-sample-switched.png'), fullPage: true });
    await page.close();
  });

  it('no user-facing text cites internal material, no request left 127.0.0.1, no page error', async () => {
    const html = await (await fetch(inspector.url)).text();
    assert.doesNotMatch(html, /\bseeds?\b/i);
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(problems, []);
  });
});
