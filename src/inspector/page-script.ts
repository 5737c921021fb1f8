import { MAX_JSON_DEPTH } from '../report/json-depth.js';

/**
 * The inspector page's own script, inline and allowed by hash. It decodes the token in the page,
 * renders it with textContent only (a token is hostile input: never innerHTML), and posts the form
 * to the local server's /api/verify for the checklist. It runs after the shared time helpers
 * (duration, relative, describeTime, isoSeconds, parseInstant) that page.ts puts before it.
 *
 * Written as plain ES2017 in a raw string: no template literals inside.
 */
export const PAGE_SCRIPT = String.raw`
var MAX_DEPTH = ${MAX_JSON_DEPTH};
// DEL, C1 controls and bidi controls (as the CLI escapes them): "user-\u202e1337-nimda" must not
// display as "user-admin-7331". Shown as a visible \uXXXX escape instead.
var INVISIBLE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
function visible(s) {
  return String(s).replace(INVISIBLE, function (c) { return '\\u' + ('000' + c.charCodeAt(0).toString(16)).slice(-4); });
}
var $ = function (id) { return document.getElementById(id); };
var MEANINGS = JSON.parse($('meanings').textContent);
var PREFILL = JSON.parse($('prefill').textContent) || {};
var TIME_CLAIMS = ['exp', 'nbf', 'iat', 'auth_time', 'updated_at'];
var FIELDS = { issuer: 'issuer', audience: 'audience', nonce: 'nonce', accessToken: 'access-token', jwks: 'jwks', at: 'at', type: 'type', scope: 'scope', maxAge: 'max-age', clockTolerance: 'tolerance' };
var current = null;
var requestSeq = 0;

function el(tag, className, text) {
  var e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = visible(text);
  return e;
}

function cleanToken(raw) {
  var unquote = function (t) {
    return t.length >= 2 && ((t[0] === '"' && t[t.length - 1] === '"') || (t[0] === "'" && t[t.length - 1] === "'")) ? t.slice(1, -1).trim() : t;
  };
  var t = unquote(String(raw || '').trim());
  t = unquote(t.replace(/^authorization:\s*/i, '').replace(/^bearer\s+/i, ''));
  return t.replace(/\s+/g, '');
}

function b64uBytes(seg, part) {
  if (!/^[A-Za-z0-9_-]*$/.test(seg)) throw new Error(part + ' is not base64url');
  var s = seg.replace(/-/g, '+').replace(/_/g, '/');
  while (s.length % 4) s += '=';
  var bin;
  try { bin = atob(s); } catch (e) { throw new Error(part + ' is not base64url'); }
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function jsonPart(seg, part) {
  var text;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(b64uBytes(seg, part)); }
  catch (e) { throw new Error(e.message && e.message.indexOf('base64url') >= 0 ? e.message : part + ' is not UTF-8'); }
  var v;
  try { v = JSON.parse(text); } catch (e) { throw new Error(part + ' is not JSON'); }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(part + ' is not a JSON object');
  // Iterative: a part nested 100k deep parses, but JSON.stringify would then overflow the stack.
  var stack = [[v, 1]];
  while (stack.length) {
    var top = stack.pop();
    for (var k in top[0]) {
      var c = top[0][k];
      if (!c || typeof c !== 'object') continue;
      if (top[1] >= MAX_DEPTH) throw new Error(part + ' is nested deeper than ' + MAX_DEPTH + ' levels');
      stack.push([c, top[1] + 1]);
    }
  }
  return v;
}

function decodeToken(token) {
  var parts = token.split('.');
  if (parts.length === 5) throw new Error('this is an encrypted token (JWE, 5 parts): it cannot be decoded without the private key');
  if (parts.length !== 3) throw new Error('a JWT has 3 dot-separated parts, this has ' + parts.length);
  return { parts: parts, header: jsonPart(parts[0], 'header'), payload: jsonPart(parts[1], 'payload'), sigBytes: b64uBytes(parts[2], 'signature').length };
}

function clock() {
  var t = $('at').value.trim();
  if (t) { var s = parseInstant(t); if (s !== undefined) return { now: s, label: 'relative to the check-at time ' + isoSeconds(s) }; }
  return { now: Math.floor(Date.now() / 1000), label: 'relative to now' };
}

function show(v) {
  var s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, null, 1);
  return s === undefined ? String(v) : s;
}

function meaningCell(m, fallback) {
  var td = el('td', 'meaning');
  if (m) { td.appendChild(document.createTextNode(m.meaning)); td.appendChild(el('span', 'source', m.source)); }
  else td.appendChild(el('span', 'source', fallback));
  return td;
}

function fillTable(id, obj, meanings, fallback, now) {
  var tbody = $(id).tBodies[0];
  tbody.textContent = '';
  Object.keys(obj).forEach(function (k) {
    var tr = el('tr');
    tr.dataset.claim = k;
    var th = el('th');
    th.scope = 'row';
    th.appendChild(el('code', '', k));
    var m = Object.prototype.hasOwnProperty.call(meanings, k) ? meanings[k] : null;
    if (m) th.appendChild(el('span', 'name', m.name));
    tr.appendChild(th);
    var td = el('td', 'value');
    td.appendChild(el('code', '', show(obj[k])));
    if (now !== null && TIME_CLAIMS.indexOf(k) >= 0 && typeof obj[k] === 'number' && isoSeconds(obj[k]) !== undefined) {
      var past = k === 'exp' && obj[k] <= now;
      td.appendChild(el('span', 'time' + (past ? ' past-exp' : ''), isoSeconds(obj[k]) + ' · ' + describeTime(k, obj[k], now)));
    }
    tr.appendChild(td);
    tr.appendChild(meaningCell(m, fallback));
    tbody.appendChild(tr);
  });
}

function renderDecoded() {
  var token = cleanToken($('token').value);
  var err = $('decode-error');
  current = null;
  if (!token) { err.hidden = true; $('decoded').hidden = true; return; }
  var d;
  try { d = decodeToken(token); } catch (e) {
    err.textContent = visible('Not a decodable JWT: ' + e.message);
    err.hidden = false;
    $('decoded').hidden = true;
    return;
  }
  current = d;
  err.hidden = true;
  var pre = $('encoded');
  pre.textContent = '';
  ['part-h', 'part-p', 'part-s'].forEach(function (cls, i) {
    if (i > 0) pre.appendChild(el('span', 'dot', '.'));
    pre.appendChild(el('span', cls, d.parts[i]));
  });
  var c = clock();
  $('clock-note').textContent = 'times ' + c.label;
  fillTable('header-table', d.header, MEANINGS.header, 'Not a registered header parameter.', null);
  fillTable('claims-table', d.payload, MEANINGS.claims, 'Not a registered claim: its meaning is defined by the issuer.', c.now);
  $('header-json').textContent = visible(JSON.stringify(d.header, null, 2));
  $('payload-json').textContent = visible(JSON.stringify(d.payload, null, 2));
  setSignatureInfo(null);
  $('decoded').hidden = false;
  if ($('type').dataset.auto !== 'off') {
    var typ = typeof d.header.typ === 'string' ? d.header.typ.toLowerCase() : '';
    var guess = typ.indexOf('at+jwt') >= 0 ? 'access' : (d.payload.events ? 'logout' : 'id');
    if ($('type').value !== guess) { $('type').value = guess; applyType(); }
  }
}

function setVerdict(state, title, detail) {
  var v = $('verdict');
  v.dataset.state = state;
  v.querySelector('.verdict-icon').textContent = { unverified: '?', busy: '…', valid: '✔', invalid: '✘', error: '!' }[state];
  $('verdict-title').textContent = visible(title);
  $('verdict-detail').textContent = visible(detail);
}

function markStale() {
  var state = $('verdict').dataset.state;
  if (state === 'valid' || state === 'invalid' || state === 'error') {
    setVerdict('unverified', 'Not verified', 'The token or the inputs changed since the last check: verify again.');
    $('checklist').classList.add('stale');
    setSignatureInfo(null);
  }
}

function formData() {
  var data = { token: cleanToken($('token').value) };
  Object.keys(FIELDS).forEach(function (k) { var v = $(FIELDS[k]).value; if (v.trim() !== '') data[k] = v; });
  return data;
}

function verify() {
  var data = formData();
  if (!data.token) { setVerdict('error', 'No token', 'Paste a token first.'); $('token').focus(); return; }
  if (!data.issuer || !data.audience) {
    setVerdict('error', 'Missing input', 'The issuer and the audience are required to verify.');
    (data.issuer ? $('audience') : $('issuer')).focus();
    return;
  }
  var seq = ++requestSeq;
  setVerdict('busy', 'Verifying…', 'The local server is running the checks.');
  $('verify').disabled = true;
  fetch('/api/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data), credentials: 'same-origin', cache: 'no-store' })
    .then(function (res) { return res.json().then(function (body) { return { status: res.status, body: body }; }); })
    .then(function (r) {
      if (seq !== requestSeq) return;
      if (r.status === 200) renderChecklist(r.body);
      else setVerdict('error', 'Could not verify', (r.body && r.body.error && r.body.error.message) || ('HTTP ' + r.status));
    })
    .catch(function () { if (seq === requestSeq) setVerdict('error', 'Could not verify', 'The local oidc-verifier server did not answer. Is it still running?'); })
    .then(function () { if (seq === requestSeq) $('verify').disabled = false; });
}

function applyType() {
  var t = $('type').value;
  Array.prototype.forEach.call(document.querySelectorAll('.id-only'), function (e) { e.classList.toggle('hidden-by-type', t !== 'id'); });
  Array.prototype.forEach.call(document.querySelectorAll('.access-only'), function (e) { e.classList.toggle('hidden-by-type', t !== 'access'); });
  // RFC 9068 §3: an access token's aud is the resource server (your API), not a client id.
  $('audience-label').textContent = t === 'access' ? 'Audience (your API / resource server)' : 'Audience (client id)';
  $('audience').placeholder = t === 'access' ? 'https://api.example.com' : 'my-client-id';
}

function updateKeysNote() {
  $('keys-note').textContent = $('jwks').value.trim() ? 'Keys: the pasted JWKS (offline, no request).' : 'Keys: fetched by the local server from the issuer.';
}

function fill(values) {
  if (values.token !== undefined) $('token').value = values.token;
  Object.keys(FIELDS).forEach(function (k) { if (values[k] !== undefined && values[k] !== null) $(FIELDS[k]).value = String(values[k]); });
  if (values.type) $('type').dataset.auto = 'off';
  applyType();
  updateKeysNote();
  renderDecoded();
}

$('token').addEventListener('input', function () { renderDecoded(); markStale(); });
$('form').addEventListener('input', function (e) {
  if (e.target === $('at') && current) renderDecoded();
  if (e.target === $('jwks')) updateKeysNote();
  markStale();
});
$('type').addEventListener('change', function () { $('type').dataset.auto = 'off'; applyType(); markStale(); });
$('copy-header').addEventListener('click', function () { copyJson('header'); });
$('copy-payload').addEventListener('click', function () { copyJson('payload'); });
$('form').addEventListener('submit', function (e) { e.preventDefault(); verify(); });
$('at-iat').addEventListener('click', function () {
  if (current && typeof current.payload.iat === 'number') { $('at').value = String(current.payload.iat); renderDecoded(); markStale(); }
  else $('at').focus();
});
document.addEventListener('keydown', function (e) {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); verify(); }
});

if (Array.isArray(PREFILL.samples) && PREFILL.samples.length > 0) {
  var select = $('sample');
  PREFILL.samples.forEach(function (s, i) { var o = el('option', '', s.label); o.value = String(i); select.appendChild(o); });
  $('samples-row').hidden = false;
  select.addEventListener('change', function () {
    var s = PREFILL.samples[Number(select.value)];
    if (!s) return;
    Object.keys(FIELDS).forEach(function (k) { $(FIELDS[k]).value = ''; });
    $('type').dataset.auto = 'on';
    $('type').value = 'id';
    clearResults();
    fill(s);
    markStale();
  });
}
fill(PREFILL);
if (PREFILL.verify) verify();
`;
