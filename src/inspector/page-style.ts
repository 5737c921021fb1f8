/**
 * The inspector's stylesheet (inline, allowed by hash in the CSP). Colours keep at least 4.5:1
 * contrast on their backgrounds; states are told apart by icon and words too, not colour alone.
 */
export const PAGE_STYLE = String.raw`
:root {
  --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --h: #b4235a; --p: #6b3fc4; --s: #1864ab;
  --ok-bg: #e6f6ea; --ok-line: #2b8a3e; --ok-fg: #1b5e20;
  --bad-bg: #fff0f0; --bad-line: #c92a2a; --bad-fg: #8f1d1d;
  --warn-bg: #fff6d9; --warn-line: #c77700; --warn-fg: #6e3b00;
  --focus: #0969da;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
code, pre, textarea, input, select { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace; font-size: 13px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--focus); color: #fff; padding: 6px 10px; z-index: 10; }
.skip:focus { left: 8px; top: 8px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.top { padding: 14px 20px 10px; border-bottom: 1px solid var(--line); background: var(--panel); }
.top h1 { margin: 0 0 4px; font-size: 20px; }
.top h1 span { font-weight: 400; color: var(--muted); }
.local { margin: 0; color: var(--muted); font-size: 13px; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; padding: 16px 20px; max-width: 1500px; margin: 0 auto; }
@media (max-width: 1000px) { .grid { grid-template-columns: minmax(0, 1fr); padding: 12px; gap: 12px; } }
.panel { border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; background: var(--bg); }
.panel:focus { outline: none; }
h2 { margin: 0 0 10px; font-size: 17px; }
h3 { margin: 18px 0 6px; font-size: 14px; display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
label { display: block; font-weight: 600; font-size: 13px; margin: 8px 0 4px; }
.opt, .req { font-weight: 400; color: var(--muted); font-size: 12px; }
.req { color: var(--bad-fg); }
textarea, input, select { width: 100%; border: 1px solid #8c959f; border-radius: 6px; padding: 7px 8px; background: #fff; color: var(--fg); }
textarea { resize: vertical; word-break: break-all; }
#token { min-height: 110px; }
.hint { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
.field { min-width: 0; }
.row2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 12px; }
.row3 { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 0 12px; }
@media (max-width: 560px) { .row2, .row3 { grid-template-columns: 1fr; } }
.inline { display: flex; gap: 6px; }
.samples { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; }
.samples label { margin: 0; white-space: nowrap; }
button { font: inherit; font-weight: 600; border-radius: 6px; border: 1px solid #1a7f37; background: #1f883d; color: #fff; padding: 7px 16px; cursor: pointer; }
button.small { background: #f6f8fa; color: var(--fg); border-color: #8c959f; padding: 4px 10px; font-weight: 500; }
button:disabled { opacity: .6; cursor: progress; }
.actions { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-top: 12px; }
details { margin-top: 10px; }
summary { cursor: pointer; font-size: 13px; font-weight: 600; }
.part-h { color: var(--h); } .part-p { color: var(--p); } .part-s { color: var(--s); }
.legend { font-weight: 400; font-size: 12px; }
.part-tag { font-weight: 400; font-size: 12px; border: 1px solid currentColor; border-radius: 10px; padding: 0 8px; }
.encoded { margin: 0; padding: 10px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; white-space: pre-wrap; word-break: break-all; max-height: 180px; overflow: auto; }
.encoded .dot { color: var(--fg); font-weight: 700; }
.decode-error { margin-top: 10px; padding: 8px 10px; border-left: 4px solid var(--bad-line); background: var(--bad-bg); color: var(--bad-fg); }
.clock-note { font-weight: 400; font-size: 12px; color: var(--muted); }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
thead th { background: var(--panel); font-size: 12px; color: var(--muted); }
.kv td.value code { word-break: break-all; white-space: pre-wrap; }
/* Expected/Actual: wrap between words; only a word longer than the whole cell (a URL, a thumbprint) is split. */
.checklist code { word-break: normal; overflow-wrap: break-word; white-space: pre-wrap; }
/* A word moves to the next line whole; only a cell narrower than the word splits it. */
.checklist code .word { display: inline-block; max-width: 100%; overflow-wrap: anywhere; }
.kv th code { color: var(--p); font-weight: 700; }
#header-table th code { color: var(--h); }
.kv .name { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
.kv .time { display: block; color: var(--fg); margin-top: 2px; font-family: system-ui, sans-serif; }
.kv .time.past-exp { color: var(--bad-fg); font-weight: 600; }
.kv .meaning { color: var(--fg); }
.kv .source { display: block; color: var(--muted); font-size: 11px; }
.sig-info { margin: 0; color: var(--muted); }
.sig-info[data-state="pass"] { color: var(--ok-fg); } .sig-info[data-state="fail"] { color: var(--bad-fg); }
.raw { margin: 6px 0 0; padding: 8px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; white-space: pre-wrap; overflow-wrap: break-word; max-height: 260px; overflow: auto; font-size: 12px; }
h3 .small { font-size: 12px; }
.copy-note { font-weight: 400; font-size: 12px; color: var(--ok-fg); }
.verdict { display: flex; gap: 12px; align-items: flex-start; border: 2px solid; border-radius: 8px; padding: 10px 12px; margin-bottom: 12px; }
.verdict-icon { font-size: 22px; line-height: 1; font-weight: 700; width: 28px; text-align: center; }
.verdict[data-state="unverified"], .verdict[data-state="busy"] { border-style: dashed; border-color: #6e7781; background: var(--panel); color: #32383f; }
.verdict[data-state="valid"] { border-color: var(--ok-line); background: var(--ok-bg); color: var(--ok-fg); }
.verdict[data-state="invalid"] { border-color: var(--bad-line); background: var(--bad-bg); color: var(--bad-fg); }
.verdict[data-state="error"] { border-color: var(--warn-line); background: var(--warn-bg); color: var(--warn-fg); }
#verdict-detail { word-break: break-word; }
.checklist { margin-top: 8px; table-layout: fixed; }
.checklist thead th:nth-child(1) { width: 8.5rem; } .checklist thead th:nth-child(2) { width: 24%; }
.checklist thead th:nth-child(3) { width: 27%; }
.checklist .check-label { display: block; }
.checklist .reason { display: block; font-weight: 400; color: var(--muted); font-size: 12px; margin-top: 2px; word-break: break-word; }
.checklist tr[data-status="fail"] .reason { color: var(--bad-fg); }
.checklist.stale { opacity: .45; }
.checklist tr.group th { background: var(--bg); color: var(--fg); font-size: 13px; padding-top: 12px; }
.badge { display: inline-block; white-space: nowrap; border-radius: 10px; padding: 1px 8px; font-weight: 700; font-size: 12px; border: 1px solid; }
tr[data-status="pass"] .badge { color: var(--ok-fg); background: var(--ok-bg); border-color: var(--ok-line); }
tr[data-status="fail"] .badge { color: var(--bad-fg); background: var(--bad-bg); border-color: var(--bad-line); }
tr[data-status="fail"] { background: #fffafa; }
tr[data-status="skip"] .badge { color: #424a53; background: var(--panel); border-color: #8c959f; }
tr[data-status="not-checked"] .badge { color: var(--warn-fg); background: var(--warn-bg); border-color: var(--warn-line); }
.reason-code { display: block; color: var(--muted); font-size: 11px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.hidden-by-type { display: none; }
.foot { color: var(--muted); font-size: 12px; text-align: center; padding: 8px 20px 20px; }
@media (max-width: 700px) {
  .checklist thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .checklist, .checklist tbody, .checklist tr, .checklist td, .checklist th { display: block; width: 100%; }
  .checklist tr { border-bottom: 1px solid var(--line); padding: 4px 0; }
  .checklist td, .checklist th { border: 0; padding: 2px 4px; }
  .checklist td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 11px; }
  .kv thead { display: none; }
  .kv, .kv tbody, .kv tr, .kv td, .kv th { display: block; width: 100%; }
  .kv tr { border-bottom: 1px solid var(--line); padding: 4px 0; }
  .kv td, .kv th { border: 0; padding: 2px 4px; }
}
`;
