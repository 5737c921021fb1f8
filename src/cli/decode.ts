import { UsageError, str, type Parsed } from './args.js';
import { claimMeaning, headerMeaning } from '../report/claim-meanings.js';
import type { Command } from './command.js';
import { EXIT, type Context } from './context.js';
import { decodeToken } from '../report/decode-token.js';
import { renderJson } from './render-json.js';
import { describeTime, isTimeClaim, isoSeconds, parseInstant } from '../report/time.js';
import { TOKEN_ENV, readToken } from './token-input.js';

export const NOT_VERIFIED_BANNER = 'NOT VERIFIED: decoded only. Signature, issuer, audience and expiry were not checked.';

/** `--at` for relative times, in seconds; now when absent. */
export function clockFrom(p: Parsed, command: string): number {
  const at = str(p, 'at');
  if (at === undefined) return Math.floor(Date.now() / 1000);
  const s = parseInstant(at);
  if (s === undefined)
    throw new UsageError(`--at must be Unix seconds or an ISO 8601 date, got ${JSON.stringify(at.slice(0, 40))}`, command);
  return s;
}

export interface TimeInfo {
  readonly value: number;
  readonly iso: string;
  readonly relative: string;
}

export function timesOf(payload: Record<string, unknown>, now: number): Record<string, TimeInfo> {
  const out: Record<string, TimeInfo> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (!isTimeClaim(k) || typeof v !== 'number') continue;
    const iso = isoSeconds(v);
    if (iso !== undefined) out[k] = { value: v, iso, relative: describeTime(k, v, now) };
  }
  return out;
}

export const decodeCommand: Command = {
  spec: {
    name: 'decode',
    summary: 'Decode a JWT and show its header and payload, with times as dates. Verifies NOTHING.',
    positionals: '[TOKEN|-]',
    maxPositionals: 1,
    options: {
      at: { type: 'string', value: 'UNIX|ISO', description: 'show relative times against this instant', defaultText: 'now' },
    },
    notes: [
      `TOKEN: an argument (warned about: shell history), "-" for stdin, $${TOKEN_ENV}, or piped stdin.`,
      'Exit codes: 0 decoded, 1 not a decodable JWT, 2 usage error.',
      '',
      'Example:',
      `  pbpaste | oidc-verifier decode`,
    ],
  },
  async run(ctx: Context, p: Parsed): Promise<number> {
    const now = clockFrom(p, 'decode');
    const { token } = await readToken(ctx, p.positionals[0]);
    const d = decodeToken(token);
    const times = timesOf(d.payload, now);
    if (ctx.json) {
      ctx.out(
        JSON.stringify(
          {
            ok: true,
            verified: false,
            header: d.header,
            payload: d.payload,
            signature: { bytes: d.signatureBytes },
            times,
            ...(d.strictProblem !== undefined ? { strictProblem: d.strictProblem } : {}),
          },
          null,
          2,
        ),
      );
      return EXIT.valid;
    }
    const { paint } = ctx;
    const lines: string[] = [];
    lines.push(paint(['bold', 'yellow'], `⚠ ${NOT_VERIFIED_BANNER}`));
    lines.push(paint('yellow', '  Use `oidc-verifier verify --issuer URL --audience ID` to validate it.'));
    if (d.strictProblem !== undefined) lines.push(paint('red', `✘ the verifier would refuse this token: ${d.strictProblem}`));
    lines.push('', paint('bold', 'Header'));
    lines.push(renderJson(d.header, paint, (k) => headerMeaning(k)?.name));
    lines.push('', paint('bold', 'Payload'));
    lines.push(
      renderJson(d.payload, paint, (k, v) => {
        const name = claimMeaning(k)?.name;
        const t = times[k];
        if (t !== undefined) return `${name ?? k}: ${t.iso}, ${t.relative}`;
        if (isTimeClaim(k) && v !== undefined) return `${name ?? k}: not a number of seconds`;
        return name;
      }),
    );
    lines.push('', `${paint('bold', 'Signature')}  ${d.signatureBytes} bytes, ${paint('yellow', 'not checked')}`);
    const ref = str(p, 'at') !== undefined ? `--at ${isoSeconds(now) ?? now}` : 'now';
    if (Object.keys(times).length > 0) lines.push(paint('dim', `Relative times are against ${ref}.`));
    ctx.out(lines.join('\n'));
    return EXIT.valid;
  },
};
