import { spawn } from 'node:child_process';
import { startInspector, type InspectorPrefill } from '../inspector/server.js';
import { UsageError, flag, intOption, list, str, type Parsed } from './args.js';
import type { Command } from './command.js';
import { EXIT, type Context } from './context.js';
import { isUrl, readJwksFile } from './jwks-input.js';
import { TOKEN_ENV, normalizeToken, readStdin } from './token-input.js';
import { VERIFY_ENV } from './verify.js';

/** Opens `url` in the desktop's browser; failures only warn (headless machines have none). */
function openBrowser(url: string, ctx: Context): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => ctx.warn(`warning: could not open a browser (${cmd}); open ${url} yourself`));
    child.unref();
  } catch {
    ctx.warn(`warning: could not open a browser; open ${url} yourself`);
  }
}

export const inspectCommand: Command = {
  spec: {
    name: 'inspect',
    summary: 'Start the local web inspector (127.0.0.1 only): paste, decode and verify tokens in a browser.',
    positionals: '[TOKEN|-]',
    maxPositionals: 1,
    options: {
      port: { type: 'string', value: 'N', description: 'port to listen on (0: any free port)', defaultText: '0' },
      open: { type: 'boolean', description: 'open the page in the default browser' },
      issuer: { type: 'string', short: 'i', value: 'URL', description: `prefill the issuer (or $${VERIFY_ENV.issuer})` },
      audience: {
        type: 'string',
        short: 'a',
        value: 'ID',
        multiple: true,
        description: `prefill the audience (or $${VERIFY_ENV.audience})`,
      },
      jwks: { type: 'string', value: 'FILE', description: 'prefill a JWKS file for offline checks' },
      at: { type: 'string', value: 'UNIX|ISO', description: 'prefill the "check at" time' },
      'allow-http': { type: 'boolean', description: 'let the server fetch keys over plain http beyond loopback' },
    },
    notes: [
      `An optional TOKEN ("-" for stdin, or $${TOKEN_ENV}) is put in the page; the page never loads anything from`,
      "elsewhere. Verification runs in this process; without a pasted JWKS it fetches the issuer's keys.",
      'Stop with Ctrl+C. Exit codes: 0 after Ctrl+C, 2 usage error (e.g. port in use).',
      '',
      'Example:',
      '  oidc-verifier inspect --open',
    ],
  },
  async run(ctx: Context, p: Parsed): Promise<number> {
    const port = intOption(p, 'port', 'inspect', 65535) ?? 0;
    const env = ctx.io.env;
    let token: string | undefined;
    const arg = p.positionals[0];
    if (arg === '-') token = normalizeToken(await readStdin(ctx.io.stdin));
    else if (arg !== undefined) {
      token = normalizeToken(arg);
      ctx.warn(
        `warning: a token passed as an argument is kept in shell history and stays visible in the process list (ps) for as long as the inspector runs; use "-" with stdin or $${TOKEN_ENV}`,
      );
    } else if (env[TOKEN_ENV]) token = normalizeToken(env[TOKEN_ENV]);
    let jwks: string | undefined;
    const jwksOpt = str(p, 'jwks');
    if (jwksOpt !== undefined) {
      if (isUrl(jwksOpt))
        throw new UsageError('--jwks takes a file here (the page fetches nothing; leave it empty to use discovery)', 'inspect');
      // Same reader as verify --jwks; only a parsed JWKS is put in the page, never the file as read.
      jwks = JSON.stringify(await readJwksFile(jwksOpt, ctx.io.cwd, 'inspect'), null, 2);
    }
    const audience = list(p, 'audience');
    const prefill: InspectorPrefill = {
      ...(token ? { token } : {}),
      ...((str(p, 'issuer') ?? env[VERIFY_ENV.issuer]) ? { issuer: str(p, 'issuer') ?? env[VERIFY_ENV.issuer] } : {}),
      ...(audience.length > 0 ? { audience } : env[VERIFY_ENV.audience] ? { audience: env[VERIFY_ENV.audience] } : {}),
      ...(jwks !== undefined ? { jwks } : {}),
      ...(str(p, 'at') !== undefined ? { at: str(p, 'at') } : {}),
    };
    const handle = await startInspector({ port, host: '127.0.0.1', prefill, ...(flag(p, 'allow-http') ? { allowHttp: true } : {}) });
    if (ctx.json) ctx.out(JSON.stringify({ ok: true, url: handle.url, port: handle.port }));
    else {
      ctx.out(`oidc-verifier inspector: ${ctx.paint(['bold', 'cyan'], handle.url)}`);
      ctx.out(ctx.paint('dim', 'Listening on 127.0.0.1 only. Tokens stay on this machine. Ctrl+C to stop.'));
    }
    if (flag(p, 'open')) openBrowser(handle.url, ctx);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await handle.close();
    return EXIT.valid;
  },
};
