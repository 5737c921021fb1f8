import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { VerifyError } from '../errors.js';
import { startGateway } from '../server/index.js';
import { UsageError, intOption, str, type Parsed } from './args.js';
import type { Command } from './command.js';
import { EXIT, type Context } from './context.js';

export const serveCommand: Command = {
  spec: {
    name: 'serve',
    summary: 'Run the gateway auth service for nginx auth_request, Traefik forwardAuth and Envoy ext_authz.',
    positionals: '',
    maxPositionals: 0,
    options: {
      config: { type: 'string', short: 'c', value: 'FILE', description: 'the JSON configuration file (required)' },
      port: { type: 'string', value: 'N', description: 'port to listen on (0: any free port)', defaultText: 'listen.port, else 8080' },
      host: { type: 'string', value: 'HOST', description: 'address to bind', defaultText: 'listen.host, else 127.0.0.1' },
    },
    notes: [
      'Endpoints: /check (nginx, Traefik), /ext_authz/... (Envoy), /healthz, /readyz, /metrics.',
      'Logs are JSON lines on stdout. SIGTERM or SIGINT drains in-flight checks, then exits 0',
      '(1 when checks were still running after drainTimeout). Exit code 2: bad configuration.',
      '',
      'Example:',
      '  oidc-verifier serve --config gateway.json --port 9000',
    ],
  },
  async run(ctx: Context, p: Parsed): Promise<number> {
    const file = str(p, 'config');
    if (file === undefined) throw new UsageError('--config FILE is required', 'serve');
    const port = intOption(p, 'port', 'serve', 65535);
    const host = str(p, 'host');
    const path = resolve(ctx.io.cwd, file);
    const text = await readFile(path, 'utf8');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new VerifyError('ERR_CONFIG', `${file}: not valid JSON (${(err as Error).message})`);
    }
    const handle = await startGateway(raw, {
      baseDir: dirname(path),
      env: ctx.io.env,
      ...(port !== undefined ? { port } : {}),
      ...(host !== undefined ? { host } : {}),
      log: (line) => ctx.io.stdout.write(`${JSON.stringify(line)}\n`),
    });
    const signal = await new Promise<string>((done) => {
      const stop = (s: string): void => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        done(s);
      };
      const onInt = (): void => stop('SIGINT');
      const onTerm = (): void => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    ctx.io.stdout.write(`${JSON.stringify({ level: 'info', msg: 'draining', signal })}\n`);
    const drained = await handle.drain();
    return drained ? EXIT.valid : EXIT.invalid;
  },
};
