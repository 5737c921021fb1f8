import { readFileSync } from 'node:fs';
import { UsageError, flag, helpText, parseCommand } from './args.js';
import type { Command } from './command.js';
import { EXIT, type CliIO, type Context } from './context.js';
import { decodeCommand } from './decode.js';
import { verifyCommand } from './verify.js';
import { jwksCommand } from './jwks.js';
import { discoverCommand } from './discover.js';
import { introspectCommand } from './introspect.js';
import { inspectCommand } from './inspect.js';
import { serveCommand } from './serve.js';
import { classify } from './errors.js';
import { colourWanted, painter } from './style.js';
import { safeText, terminalSafe } from './render-json.js';

const COMMANDS: readonly Command[] = [
  decodeCommand,
  verifyCommand,
  jwksCommand,
  discoverCommand,
  introspectCommand,
  inspectCommand,
  serveCommand,
];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'Usage: oidc-verifier <command> [options]',
    '',
    'Decode and verify OpenID Connect ID tokens, JWT access tokens and logout tokens. Tokens never',
    "leave this machine: only the issuer's public discovery document and JWKS are fetched, except",
    "by `introspect`, which sends the token to its own issuer's introspection endpoint.",
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    'Run "oidc-verifier <command> --help" for the options of a command.',
    'Exit codes: 0 valid, 1 invalid token, 2 usage or network error.',
    '',
  ].join('\n');
}

/** Every line the CLI writes goes through here: C1 and bidi controls never reach the terminal raw. */
function write(stream: NodeJS.WritableStream, text: string): void {
  const safe = terminalSafe(text);
  stream.write(safe.endsWith('\n') ? safe : `${safe}\n`);
}

/** Runs the CLI and resolves with the exit code. Never rejects. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const sub = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    write(io.stdout, sub ? helpText(sub.spec) : globalHelp());
    return name === undefined ? EXIT.usage : EXIT.valid;
  }
  if (name === '--version' || name === '-V') {
    write(io.stdout, version());
    return EXIT.valid;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  const json = rest.includes('--json');
  const noColour = rest.includes('--no-color');
  const ctx: Context = {
    io,
    command: name,
    paint: painter(colourWanted(io.stdout.isTTY, io.env, noColour || json)),
    paintErr: painter(colourWanted(io.stderr.isTTY, io.env, noColour)),
    json,
    quiet: rest.includes('--quiet') || rest.includes('-q'),
    out: (text) => write(io.stdout, text),
    warn: (text) => {
      if (!ctx.quiet) write(io.stderr, ctx.paintErr('yellow', text));
    },
  };
  try {
    if (command === undefined) {
      throw new UsageError(
        `unknown command ${JSON.stringify(name.slice(0, 40))}; commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}`,
      );
    }
    const parsed = parseCommand(command.spec, rest);
    if (flag(parsed, 'help')) {
      write(io.stdout, helpText(command.spec));
      return EXIT.valid;
    }
    return await command.run(ctx, parsed);
  } catch (err) {
    const f = classify(err);
    if (io.env.OIDC_VERIFIER_DEBUG && err instanceof Error && err.stack) write(io.stderr, err.stack);
    if (json) {
      write(
        io.stdout,
        JSON.stringify({ ok: false, error: { code: f.code, message: f.message, ...(f.claim ? { claim: f.claim } : {}) } }, null, 2),
      );
    }
    const prefix = `oidc-verifier${command ? ` ${command.spec.name}` : ''}: `;
    const codePart =
      f.code.startsWith('ERR_') && f.code !== 'ERR_USAGE' && f.code !== 'ERR_INTERNAL' && f.code !== 'ERR_IO' ? `${f.code}: ` : '';
    // The message can quote a token or a server document: no control character reaches the terminal.
    write(io.stderr, ctx.paintErr('red', `${prefix}${codePart}${safeText(f.message)}`));
    return f.exitCode;
  }
}
