import type { Checklist, ChecklistRow, RowStatus } from '../report/checklist-builder.js';
import type { Painter, Style } from './style.js';
import { claimMeaning, headerMeaning } from '../report/claim-meanings.js';
import { datesInText, describeTime, isTimeClaim, isoSeconds } from '../report/time.js';
import { renderJson, safeText } from './render-json.js';

const MARK: Record<RowStatus, { icon: string; word: string; style: Style }> = {
  pass: { icon: '✔', word: 'pass', style: 'green' },
  fail: { icon: '✘', word: 'FAIL', style: 'red' },
  skip: { icon: '·', word: 'skip', style: 'gray' },
  'not-checked': { icon: '?', word: 'n/a ', style: 'yellow' },
};

const TYPE_NAMES: Record<Checklist['type'], string> = {
  id: 'an ID token',
  access: 'a JWT access token (RFC 9068)',
  logout: 'a logout token (Back-Channel Logout)',
};

const GROUPS: Record<ChecklistRow['group'], string> = { token: 'Token', signature: 'Signature', claims: 'Claims' };

function row(r: ChecklistRow, paint: Painter, width: number): string[] {
  const m = MARK[r.status];
  const head = `  ${paint(m.style, `${m.icon} ${m.word}`)}  ${r.label.padEnd(width)}`;
  const lines: string[] = [];
  if (r.status === 'skip' || r.status === 'not-checked') {
    const actual = r.actual !== undefined && r.actual !== '(absent)' ? `${safeText(r.actual)} · ` : '';
    lines.push(`${head}  ${paint('dim', `${actual}${safeText(r.reason)}`)}`);
    return lines;
  }
  lines.push(`${head}  ${r.actual !== undefined ? safeText(r.actual) : ''}`.trimEnd());
  const pad = ' '.repeat(12 + width);
  const reason = r.status === 'fail' ? datesInText(r.reason) : r.reason;
  const detail = [r.expected !== undefined ? `expected ${safeText(r.expected)}` : undefined, safeText(reason)].filter(Boolean).join(' · ');
  lines.push(r.status === 'fail' ? `${pad}${paint('red', detail)}` : `${pad}${paint('dim', detail)}`);
  return lines;
}

/** The decoded header and payload, as `decode` shows them, labelled verified or not. */
function tokenParts(c: Checklist, paint: Painter): string[] {
  if (c.header === undefined || c.payload === undefined) return [];
  const state = c.verdict === 'valid' ? paint('green', '(verified)') : paint('yellow', '(NOT verified: do not trust these values)');
  return [
    '',
    `${paint('bold', 'Header')} ${state}`,
    renderJson(c.header, paint, (k) => headerMeaning(k)?.name),
    '',
    `${paint('bold', 'Payload')} ${state}`,
    renderJson(c.payload, paint, (k, v) => {
      const name = claimMeaning(k)?.name;
      const iso = isTimeClaim(k) && typeof v === 'number' ? isoSeconds(v) : undefined;
      return iso !== undefined ? `${name ?? k}: ${iso}, ${describeTime(k, v as number, c.at)}` : name;
    }),
  ];
}

/**
 * The human checklist of `verify`: the profile and why it was chosen, grouped rows, the header and
 * payload, then the verdict line (times in it shown as dates).
 */
export function renderChecklist(c: Checklist, paint: Painter, clockNote: string, typeNote?: string): string {
  const out: string[] = [];
  const aud = c.audience.length === 1 ? c.audience[0]! : c.audience.join(', ');
  out.push(paint('bold', `Verifying ${TYPE_NAMES[c.type]}`) + (typeNote !== undefined ? paint('dim', ` (${safeText(typeNote)})`) : ''));
  out.push(
    paint(
      'dim',
      `  issuer ${safeText(c.issuer)} · audience ${safeText(aud)} · keys from ${safeText(c.keySource)} · clock ${isoSeconds(Math.floor(c.at)) ?? c.at} (${clockNote})`,
    ),
  );
  const width = Math.max(0, ...c.rows.map((r) => r.label.length));
  let group: string | undefined;
  for (const r of c.rows) {
    if (r.group !== group) {
      group = r.group;
      out.push('', paint('bold', GROUPS[r.group]));
    }
    out.push(...row(r, paint, width));
  }
  const sig = c.rows.filter((r) => r.group === 'signature');
  if (c.rows.some((r) => r.group === 'claims') && sig.some((r) => r.status !== 'pass')) {
    const failed = sig.some((r) => r.status === 'fail');
    out.push(
      '',
      paint('yellow', `  The signature ${failed ? 'did not verify' : 'was not checked'}: the claims above come from an unverified token.`),
    );
  }
  out.push(...tokenParts(c, paint));
  out.push('');
  if (c.verdict === 'valid') out.push(paint(['bold', 'green'], '✔ VALID') + paint('green', '  every check passed'));
  else if (c.verdict === 'invalid')
    out.push(paint(['bold', 'red'], '✘ INVALID') + paint('red', `  ${c.code}: ${safeText(datesInText(c.message ?? ''))}`));
  else out.push(paint(['bold', 'yellow'], '? NOT VERIFIED') + paint('yellow', `  ${c.code}: ${safeText(datesInText(c.message ?? ''))}`));
  return out.join('\n');
}
