/**
 * The inspector page's results: the checklist table, the signature line that follows it, and the
 * copy buttons. Inline script like {@link PAGE_SCRIPT} (plain ES2017 in a raw string, textContent
 * only), placed before it in the page's one script block; it uses that script's helpers.
 */
export const RESULTS_SCRIPT = String.raw`
// The signature line follows the last check: "not checked" until the server verified it.
function setSignatureInfo(row) {
  var info = $('signature-info');
  if (!current) return;
  var head = current.sigBytes + ' bytes, ' + (typeof current.header.alg === 'string' ? current.header.alg : 'no alg') + '. ';
  var state = row ? row.status : 'unverified';
  info.dataset.state = state;
  info.textContent = visible(head + (state === 'pass' ? '✔ Signature valid (checked by the local server).' : state === 'fail' ? '✘ Signature invalid: ' + row.reason : state === 'not-checked' ? '? Not checked: ' + String(row.reason).replace(/^not checked: /, '') : 'Not checked until you verify.'));
}

// Results of an earlier check never stay next to another token (a new sample, a new paste).
function clearResults() {
  var table = $('checklist');
  table.tBodies[0].textContent = '';
  table.hidden = true;
  table.classList.remove('stale');
  setVerdict('unverified', 'Not verified', 'Decoding shows what a token claims, not whether it is true. Fill in the issuer and audience and verify.');
  setSignatureInfo(null);
}

function copyJson(part) {
  var note = $('copy-' + part + '-note');
  if (!current) return;
  var text = JSON.stringify(current[part], null, 2);
  var done = function () { note.textContent = 'Copied'; };
  var fallback = function () {
    $(part + '-raw').open = true;
    var range = document.createRange();
    range.selectNodeContents($(part + '-json'));
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    note.textContent = document.execCommand('copy') ? 'Copied' : 'Selected: press Ctrl+C';
  };
  if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, fallback);
  else fallback();
}

// A value in a <code> cell. Each word is an inline block: it moves to the next line whole (the
// line breaker would otherwise split "2048-bit" or a date at a hyphen), and only a word wider than
// the cell is split, after a "/" first (URLs), anywhere else if it must.
function breakable(text) {
  var code = el('code');
  visible(text).split(/(\s+)/).forEach(function (token, i) {
    if (token === '') return;
    if (i % 2) { code.appendChild(document.createTextNode(token)); return; }
    var word = el('span', 'word');
    token.split('/').forEach(function (part, k, all) {
      word.appendChild(document.createTextNode(part + (k < all.length - 1 ? '/' : '')));
      if (k < all.length - 1) word.appendChild(el('wbr'));
    });
    code.appendChild(word);
  });
  return code;
}

var STATUS_TEXT = { pass: '✔ pass', fail: '✘ fail', skip: '· skip', 'not-checked': '? not checked' };
var GROUP_TEXT = { token: 'Token', signature: 'Signature', claims: 'Claims' };

function renderChecklist(c) {
  var table = $('checklist');
  var tbody = table.tBodies[0];
  tbody.textContent = '';
  var group = null;
  c.rows.forEach(function (r) {
    if (r.group !== group) {
      group = r.group;
      var g = el('tr', 'group');
      var gh = el('th', '', GROUP_TEXT[r.group] || r.group);
      gh.colSpan = 4;
      gh.scope = 'rowgroup';
      g.appendChild(gh);
      tbody.appendChild(g);
    }
    var tr = el('tr');
    tr.dataset.status = r.status;
    tr.dataset.check = r.id;
    var st = el('td');
    st.dataset.label = 'Result';
    st.appendChild(el('span', 'badge', STATUS_TEXT[r.status] || r.status));
    tr.appendChild(st);
    var th = el('th');
    th.scope = 'row';
    th.appendChild(el('span', 'check-label', r.label));
    var reason = el('span', 'reason', r.reason);
    if (r.code) reason.appendChild(el('span', 'reason-code', r.code));
    th.appendChild(reason);
    tr.appendChild(th);
    [['Expected', r.expected], ['Actual', r.actual]].forEach(function (p) {
      var td = el('td');
      td.dataset.label = p[0];
      if (p[1] !== undefined) td.appendChild(breakable(p[1]));
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  });
  table.hidden = c.rows.length === 0;
  table.classList.remove('stale');
  setSignatureInfo(c.rows.filter(function (r) { return r.id === 'signature'; })[0] || null);
  if (c.verdict === 'valid') setVerdict('valid', 'Valid', 'Every check passed. Keys: ' + c.keySource + '.');
  else if (c.verdict === 'invalid') setVerdict('invalid', 'Invalid: ' + c.code, c.message || '');
  else setVerdict('error', 'Could not verify: ' + c.code, c.message || '');
}
`;
