import { parseArgs } from 'node:util';

/**
 * Argument parsing on `util.parseArgs` (strict: unknown options are errors), plus the help text
 * generated from the same option table so `--help` can never drift from what is accepted.
 */

/** A mistake in how the CLI was called: one line on stderr, exit code 2. */
export class UsageError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder shown in help, e.g. `URL`. */
  readonly value?: string;
  readonly description: string;
  /** Default as shown in help (the command applies it). */
  readonly defaultText?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Positional part of the usage line, e.g. `[TOKEN|-]`. */
  readonly positionals: string;
  readonly maxPositionals: number;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra help paragraphs (environment, examples). */
  readonly notes?: readonly string[];
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'machine-readable JSON on stdout (errors included, with their code)' },
  'no-color': { type: 'boolean', description: 'no colour (also: NO_COLOR=1; colour is off when not a TTY)' },
  quiet: { type: 'boolean', short: 'q', description: 'no warnings on stderr' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed {
  const all = { ...spec.options, ...COMMON_OPTIONS };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(all)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err), spec.name);
  }
  if (parsed.values.help === true) return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
  if (parsed.positionals.length > spec.maxPositionals) {
    const extra = parsed.positionals
      .slice(spec.maxPositionals)
      .map((p) => JSON.stringify(shorten(p)))
      .join(' ');
    throw new UsageError(`unexpected argument ${extra}`, spec.name);
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
}

function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** parseArgs messages are multi-line and mention internals; keep one clear line. */
function parseArgsMessage(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const first = String(e.message ?? err).split('\n')[0] ?? '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const m = /Unknown option '([^']+)'/.exec(first);
      return m ? `unknown option ${m[1]}` : first;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const m = /Option '(?:-\w, )?(--[\w-]+)/.exec(first);
      if (m && /argument missing/.test(first)) return `option ${m[1]} needs a value`;
      if (m && /does not take an argument/.test(first)) return `option ${m[1]} takes no value`;
      if (m && /ambiguous/.test(first)) return `option ${m[1]} needs a value (for a value starting with "-", write ${m[1]}=-VALUE)`;
      return first;
    }
    default:
      return first;
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  const raw = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  // "--alg RS256,ES256" and "--alg RS256 --alg ES256" mean the same.
  return raw
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A non-negative integer option (seconds, port); usage error otherwise. */
export function intOption(p: Parsed, name: string, command: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const s = str(p, name);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) > max)
    throw new UsageError(`--${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(shorten(s))}`, command);
  return Number(s);
}

export function helpText(spec: CommandSpec, bin = 'oidc-verifier'): string {
  const lines = [`Usage: ${bin} ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [options]`, '', spec.summary, '', 'Options:'];
  const rows: [string, string][] = [];
  for (const [name, o] of Object.entries({ ...spec.options, ...COMMON_OPTIONS })) {
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    let right = o.description;
    if (o.multiple) right += ' (repeatable)';
    if (o.defaultText !== undefined) right += ` [default: ${o.defaultText}]`;
    rows.push([left, right]);
  }
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  for (const [l, r] of rows) lines.push(l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${r}` : `  ${l.padEnd(width)}${r}`);
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return `${lines.join('\n')}\n`;
}
