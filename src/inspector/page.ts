import { createHash } from 'node:crypto';
import { CLAIM_MEANINGS, HEADER_MEANINGS } from '../report/claim-meanings.js';
import { describeTime, duration, isoSeconds, parseInstant, relative } from '../report/time.js';
import type { InspectorPrefill } from './types.js';
import { RESULTS_SCRIPT } from './page-results.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

/**
 * The inspector's single page: HTML with its CSS and script inline, no external resource of any
 * kind. The Content-Security-Policy allows exactly these inline blocks (by hash) and requests to
 * this server, so even a hostile token rendered by a bug could not load or send anything.
 */

// The time helpers of the CLI run in the page too (one implementation of "expired 2 h ago").
const SHARED_FUNCTIONS = [duration, relative, describeTime, isoSeconds, parseInstant].map((f) => f.toString()).join('\n');

// esbuild (tsx, in tests) may wrap functions in __name(); defining it keeps toString() output runnable.
const SCRIPT = `(function () {\n'use strict';\nvar __name = function (f) { return f; };\n${SHARED_FUNCTIONS}\n${RESULTS_SCRIPT}\n${PAGE_SCRIPT}\n})();`;

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(PAGE_STYLE)}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** JSON for a `<script type="application/json">` block: nothing in it can close the element. */
function jsonBlock(value: unknown): string {
  return JSON.stringify(value ?? null)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

function prefillData(prefill: InspectorPrefill | undefined): unknown {
  if (prefill === undefined) return {};
  const norm = (f: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...f };
    if (Array.isArray(out.audience)) out.audience = out.audience.join(' ');
    if (typeof out.jwks === 'object' && out.jwks !== null) out.jwks = JSON.stringify(out.jwks, null, 2);
    if (typeof out.at === 'number') out.at = String(out.at);
    return out;
  };
  return {
    ...norm(prefill as unknown as Record<string, unknown>),
    ...(prefill.samples ? { samples: prefill.samples.map((s) => norm(s as unknown as Record<string, unknown>)) } : {}),
  };
}

export function renderPage(prefill?: InspectorPrefill): string {
  const meanings = { claims: CLAIM_MEANINGS, header: HEADER_MEANINGS };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>oidc-verifier inspector</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<a class="skip" href="#validate">Skip to validation</a>
<header class="top">
  <h1>oidc-verifier <span>inspector</span></h1>
  <p class="local" id="local-note"><strong>Local only.</strong> Decoding happens in this page; verification runs in the oidc-verifier server on this machine. The token is sent nowhere else.</p>
</header>
<main class="grid">
  <section class="panel" id="token-panel" aria-labelledby="token-title">
    <h2 id="token-title">Token</h2>
    <div class="samples" id="samples-row" hidden>
      <label for="sample">Sample</label>
      <select id="sample"><option value="">Choose a sample token…</option></select>
    </div>
    <label for="token">Paste a JWT (ID token, access token or logout token)</label>
    <textarea id="token" rows="6" spellcheck="false" autocomplete="off" autocapitalize="off" placeholder="eyJhbGciOi…"></textarea>
    <p class="hint">Ctrl+Enter (⌘+Enter) verifies from anywhere on the page.</p>
    <div id="decode-error" class="decode-error" role="alert" hidden></div>
    <div id="decoded" hidden>
      <h3>Encoded <span class="legend"><span class="part-h">header</span> . <span class="part-p">payload</span> . <span class="part-s">signature</span></span></h3>
      <pre id="encoded" class="encoded" aria-label="The token, colour-coded by part"></pre>
      <h3>Header <span class="part-tag part-h">JOSE header</span> <button type="button" class="small" id="copy-header">Copy JSON</button> <span class="copy-note" id="copy-header-note" role="status"></span></h3>
      <table class="kv" id="header-table"><caption class="sr">Header parameters</caption>
        <thead><tr><th scope="col">Parameter</th><th scope="col">Value</th><th scope="col">Meaning</th></tr></thead><tbody></tbody></table>
      <details id="header-raw"><summary>Raw JSON (header)</summary><pre class="raw" id="header-json"></pre></details>
      <h3>Payload <span class="part-tag part-p">claims</span> <button type="button" class="small" id="copy-payload">Copy JSON</button> <span class="copy-note" id="copy-payload-note" role="status"></span> <span class="clock-note" id="clock-note"></span></h3>
      <table class="kv" id="claims-table"><caption class="sr">Claims</caption>
        <thead><tr><th scope="col">Claim</th><th scope="col">Value</th><th scope="col">Meaning</th></tr></thead><tbody></tbody></table>
      <details id="payload-raw"><summary>Raw JSON (payload)</summary><pre class="raw" id="payload-json"></pre></details>
      <h3>Signature <span class="part-tag part-s">signature</span></h3>
      <p id="signature-info" class="sig-info"></p>
    </div>
  </section>
  <section class="panel" id="validate" aria-labelledby="validate-title" tabindex="-1">
    <h2 id="validate-title">Validate</h2>
    <div id="verdict" class="verdict" data-state="unverified" role="status" aria-live="polite">
      <span class="verdict-icon" aria-hidden="true">?</span>
      <div><strong id="verdict-title">Not verified</strong><div id="verdict-detail">Decoding shows what a token claims, not whether it is true. Fill in the issuer and audience and verify.</div></div>
    </div>
    <form id="form" novalidate>
      <div class="row2">
        <div class="field"><label for="issuer">Issuer <span class="req">required</span></label>
          <input id="issuer" name="issuer" type="text" inputmode="url" autocomplete="off" spellcheck="false" placeholder="https://login.example.com"></div>
        <div class="field"><label for="audience"><span id="audience-label">Audience (client id)</span> <span class="req">required</span></label>
          <input id="audience" name="audience" type="text" autocomplete="off" spellcheck="false" placeholder="my-client-id"></div>
      </div>
      <div class="row2">
        <div class="field"><label for="type">Token type</label>
          <select id="type" name="type"><option value="id">ID token</option><option value="access">Access token (RFC 9068)</option><option value="logout">Logout token</option></select></div>
        <div class="field"><label for="at">Check at time <span class="opt">Unix or ISO; empty = now</span></label>
          <div class="inline"><input id="at" name="at" type="text" autocomplete="off" spellcheck="false" placeholder="now">
          <button type="button" id="at-iat" class="small" title="Set the clock to the token's iat">iat</button></div></div>
      </div>
      <div class="row2 id-only">
        <div class="field"><label for="nonce">Nonce <span class="opt">optional</span></label>
          <input id="nonce" name="nonce" type="text" autocomplete="off" spellcheck="false"></div>
        <div class="field"><label for="access-token">Access token <span class="opt">optional, checks at_hash</span></label>
          <input id="access-token" name="accessToken" type="text" autocomplete="off" spellcheck="false"></div>
      </div>
      <div class="field"><label for="jwks">JWKS <span class="opt">optional: paste the issuer's keys to check offline; empty = the server fetches them from the issuer</span></label>
        <textarea id="jwks" name="jwks" rows="4" spellcheck="false" autocomplete="off" placeholder='{"keys":[…]}'></textarea></div>
      <details id="more"><summary>More options</summary>
        <div class="row3">
          <div class="field id-only"><label for="max-age">Max age (s)</label><input id="max-age" name="maxAge" type="text" inputmode="numeric" autocomplete="off"></div>
          <div class="field"><label for="tolerance">Clock tolerance (s)</label><input id="tolerance" name="clockTolerance" type="text" inputmode="numeric" autocomplete="off" placeholder="0"></div>
          <div class="field access-only"><label for="scope">Required scopes</label><input id="scope" name="scope" type="text" autocomplete="off" placeholder="read write"></div>
        </div>
      </details>
      <div class="actions"><button type="submit" id="verify">Verify</button><span class="hint" id="keys-note">Keys: fetched by the local server from the issuer.</span></div>
    </form>
    <table class="checklist" id="checklist" hidden><caption class="sr">Checklist</caption>
      <thead><tr><th scope="col">Result</th><th scope="col">Check and reason</th><th scope="col">Expected</th><th scope="col">Actual</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<footer class="foot">oidc-verifier: tokens stay on this machine. The page makes requests to this local server only.</footer>
<script type="application/json" id="meanings">${jsonBlock(meanings)}</script>
<script type="application/json" id="prefill">${jsonBlock(prefillData(prefill))}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
