import { VerifyError } from '../errors.js';
import {
  createIntrospector,
  processIntrospectionResponse,
  type ClientAuthMethod,
  type IntrospectionResponse,
  type Introspector,
} from '../remote/introspection.js';
import { UsageError, list, str, type Parsed } from './args.js';
import type { Command } from './command.js';
import { EXIT, type Context } from './context.js';
import { classify, exitCodeFor } from './errors.js';
import { readOptionFile } from './file-input.js';
import { safeText } from './render-json.js';
import { HTTP_OPTIONS, httpOptions } from './remote-options.js';
import { formatTimeClaim } from '../report/time.js';
import { TOKEN_ENV, readToken } from './token-input.js';

export const INTROSPECT_ENV = {
  issuer: 'OIDC_ISSUER',
  clientId: 'OIDC_CLIENT_ID',
  clientSecret: 'OIDC_CLIENT_SECRET',
} as const;

const AUTH: Readonly<Record<string, ClientAuthMethod>> = { basic: 'client_secret_basic', post: 'client_secret_post' };
const HINTS = ['access_token', 'refresh_token'] as const;

/** Response members shown first, in this order; the rest follow as compact JSON. */
const SHOWN = ['sub', 'client_id', 'username', 'scope', 'token_type', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti'] as const;
const TIMES = new Set(['exp', 'iat', 'nbf']);

interface Settings {
  readonly issuer: string | undefined;
  readonly endpoint: string | undefined;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly auth: ClientAuthMethod;
  readonly hint: (typeof HINTS)[number] | undefined;
  readonly audience: string[];
  readonly scopes: string[];
}

/**
 * The secret never comes from argv (shell history, `ps`): `$OIDC_CLIENT_SECRET` or a file. A
 * `--client-secret VALUE` is refused without repeating the value.
 */
async function readSecret(ctx: Context, p: Parsed): Promise<string> {
  if (p.values['client-secret'] !== undefined) {
    throw new UsageError(
      `--client-secret takes no value on the command line (shell history, ps): set $${INTROSPECT_ENV.clientSecret} or use --client-secret-file FILE`,
      'introspect',
    );
  }
  const file = str(p, 'client-secret-file');
  if (file !== undefined) {
    // Only the trailing line break an editor or `echo` adds; anything else may be part of the secret.
    const secret = (await readOptionFile('client-secret-file', file, ctx.io.cwd, 'introspect')).replace(/\r?\n$/, '');
    if (secret === '') throw new UsageError(`the client secret file ${JSON.stringify(file)} is empty`, 'introspect');
    return secret;
  }
  const env = ctx.io.env[INTROSPECT_ENV.clientSecret];
  if (env === undefined || env === '') {
    throw new UsageError(
      `no client secret: set $${INTROSPECT_ENV.clientSecret} or pass --client-secret-file FILE (never the secret itself)`,
      'introspect',
    );
  }
  return env;
}

async function settings(ctx: Context, p: Parsed): Promise<Settings> {
  const env = ctx.io.env;
  const endpoint = str(p, 'endpoint');
  const issuer = str(p, 'issuer') ?? (endpoint === undefined ? env[INTROSPECT_ENV.issuer] || undefined : undefined);
  if (issuer === undefined && endpoint === undefined) {
    throw new UsageError(
      `--issuer (discovers the introspection endpoint; or $${INTROSPECT_ENV.issuer}) or --endpoint is required`,
      'introspect',
    );
  }
  const clientId = str(p, 'client-id') ?? (env[INTROSPECT_ENV.clientId] || undefined);
  if (clientId === undefined || clientId === '')
    throw new UsageError(`--client-id is required (or set $${INTROSPECT_ENV.clientId})`, 'introspect');
  const authName = str(p, 'auth') ?? 'basic';
  const auth = AUTH[authName];
  if (auth === undefined) throw new UsageError(`--auth must be basic or post, got ${JSON.stringify(authName.slice(0, 20))}`, 'introspect');
  const hint = str(p, 'token-type-hint');
  if (hint !== undefined && !(HINTS as readonly string[]).includes(hint)) {
    throw new UsageError(`--token-type-hint must be access_token or refresh_token, got ${JSON.stringify(hint.slice(0, 20))}`, 'introspect');
  }
  // A scope never contains a space, so "read write" means two scopes, like the response's own `scope`.
  const scopes = list(p, 'scope')
    .flatMap((s) => s.split(/\s+/))
    .filter((s) => s.length > 0);
  return {
    issuer,
    endpoint,
    clientId,
    clientSecret: await readSecret(ctx, p),
    auth,
    hint: hint as Settings['hint'],
    audience: list(p, 'audience'),
    scopes,
  };
}

/** One member as text for the table: strings as they are (escaped), times with ISO and relative. */
function memberText(name: string, value: unknown, now: number): string {
  if (TIMES.has(name)) {
    const t = formatTimeClaim(name, value, now);
    if (t !== undefined) return `${String(value)} (${t.replace(' (', ', ').replace(/\)$/, '')})`;
  }
  if (typeof value === 'string') return safeText(value);
  if (name === 'aud' && Array.isArray(value)) return safeText(value.join(', '));
  return safeText(JSON.stringify(value) ?? String(value));
}

function membersTable(response: IntrospectionResponse, now: number): string[] {
  const names = [
    ...SHOWN.filter((n) => response[n] !== undefined),
    ...Object.keys(response).filter((k) => k !== 'active' && !(SHOWN as readonly string[]).includes(k)),
  ];
  if (names.length === 0) return ['  (no members besides "active")'];
  const w = Math.max(...names.map((n) => safeText(n).length));
  return names.map((n) => `  ${safeText(n).padEnd(w)}  ${memberText(n, response[n], now)}`);
}

/** The checks the user asked for (and the ones always made), each as a passed line. */
function passedChecks(s: Settings, response: IntrospectionResponse): string[] {
  const out: string[] = [];
  if (s.issuer !== undefined && response.iss !== undefined) out.push(`iss equals ${safeText(s.issuer)}`);
  if (s.audience.length > 0)
    out.push(`aud contains ${safeText(s.audience.length === 1 ? s.audience[0]! : `one of ${s.audience.join(', ')}`)}`);
  if (s.scopes.length > 0) out.push(`scope grants ${safeText(s.scopes.join(' '))}`);
  if (response.exp !== undefined) out.push('exp not passed');
  if (response.nbf !== undefined) out.push('nbf reached');
  return out;
}

interface Outcome {
  readonly endpoint: string | undefined;
  /** The server's answer: true / false, or null when it could not be asked. */
  readonly active: boolean | null;
  readonly response?: IntrospectionResponse;
  readonly error?: VerifyError;
}

async function ask(introspector: Introspector, token: string, s: Settings): Promise<Outcome> {
  let endpoint: string | undefined;
  let response: IntrospectionResponse;
  try {
    endpoint = await introspector.endpoint();
    // Audience and scope are checked below, on the returned response, so a failing check can
    // still show what the server said. The introspector itself checks shape, iss, exp and nbf.
    response = await introspector.introspect(token, s.hint !== undefined ? { tokenTypeHint: s.hint } : {});
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    if (err.code === 'ERR_INACTIVE') return { endpoint, active: false, error: err };
    const asked = !['ERR_INTROSPECTION', 'ERR_DISCOVERY', 'ERR_CONFIG', 'ERR_MALFORMED'].includes(err.code);
    return { endpoint, active: asked ? true : null, error: err };
  }
  try {
    processIntrospectionResponse(
      { url: endpoint, body: response },
      {
        ...(s.issuer !== undefined ? { issuer: s.issuer } : {}),
        ...(s.audience.length > 0 ? { audience: s.audience } : {}),
        requiredScopes: s.scopes,
      },
    );
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    return { endpoint, active: true, response, error: err };
  }
  return { endpoint, active: true, response };
}

export const introspectCommand: Command = {
  spec: {
    name: 'introspect',
    summary: 'Ask the issuer whether a token is active (RFC 7662 introspection) and show its answer.',
    positionals: '[TOKEN|-]',
    maxPositionals: 1,
    options: {
      issuer: {
        type: 'string',
        short: 'i',
        value: 'URL',
        description: `issuer: discovers the introspection endpoint; a response "iss" must equal it (or $${INTROSPECT_ENV.issuer})`,
      },
      endpoint: {
        type: 'string',
        value: 'URL',
        description: 'the introspection endpoint (skips discovery)',
        defaultText: 'discovery from --issuer',
      },
      'client-id': { type: 'string', value: 'ID', description: `your client id at the issuer (or $${INTROSPECT_ENV.clientId})` },
      'client-secret-file': {
        type: 'string',
        value: 'FILE',
        description: `file holding the client secret`,
        defaultText: `$${INTROSPECT_ENV.clientSecret}`,
      },
      'client-secret': {
        type: 'string',
        value: 'VALUE',
        description: `refused (a secret in argv leaks): use $${INTROSPECT_ENV.clientSecret} or --client-secret-file`,
      },
      auth: {
        type: 'string',
        value: 'basic|post',
        description: 'client authentication: client_secret_basic or client_secret_post',
        defaultText: 'basic',
      },
      'token-type-hint': { type: 'string', value: 'HINT', description: 'access_token or refresh_token (a hint the server may ignore)' },
      audience: { type: 'string', short: 'a', value: 'ID', multiple: true, description: 'the response "aud" must contain one of these' },
      scope: { type: 'string', value: 'SCOPE', multiple: true, description: 'a scope the response must grant' },
      ...HTTP_OPTIONS,
    },
    notes: [
      `TOKEN: an argument (warned about: shell history), "-" for stdin, $${TOKEN_ENV}, or piped stdin.`,
      `The client secret comes from $${INTROSPECT_ENV.clientSecret} or --client-secret-file, never from the command line.`,
      'The token is sent to the introspection endpoint (and nowhere else); it is never printed.',
      'JWT access tokens are better checked offline with "verify --type access"; many servers refuse to introspect them.',
      'Exit codes: 0 active and every check passed, 1 inactive or a check failed (ERR_INACTIVE, ERR_SCOPE,',
      '  ERR_AUDIENCE, ERR_EXPIRED...), 2 usage error or the server could not be asked (ERR_INTROSPECTION, ERR_DISCOVERY).',
      '',
      'Examples:',
      `  OIDC_CLIENT_SECRET=... oidc-verifier introspect - --issuer https://login.example.com --client-id my-api < at.txt`,
      `  oidc-verifier introspect --endpoint https://login.example.com/oauth2/introspect --client-id my-api \\`,
      '      --client-secret-file ~/.config/my-api.secret --auth post --scope orders:read --json < at.txt',
    ],
  },
  async run(ctx: Context, p: Parsed): Promise<number> {
    const s = await settings(ctx, p);
    const http = httpOptions(p, 'introspect');
    const { token } = await readToken(ctx, p.positionals[0]);
    const introspector = createIntrospector({
      ...(s.issuer !== undefined ? { issuer: s.issuer } : {}),
      ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {}),
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      clientAuthMethod: s.auth,
      ...http,
    });
    const o = await ask(introspector, token, s);
    const failure = o.error !== undefined ? classify(o.error) : undefined;
    const exitCode = o.error !== undefined ? exitCodeFor(o.error.code) : EXIT.valid;

    if (ctx.json) {
      const json = {
        ok: o.error === undefined,
        active: o.active,
        ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
        ...(o.response !== undefined ? { response: o.response } : {}),
        ...(failure !== undefined
          ? { error: { code: failure.code, message: failure.message, ...(failure.claim ? { claim: failure.claim } : {}) } }
          : {}),
      };
      ctx.out(JSON.stringify(json, null, 2));
      return exitCode;
    }
    // The server could not be asked: one line on stderr, as every command does.
    if (o.active === null) throw o.error!;

    const { paint } = ctx;
    const now = Math.floor(Date.now() / 1000);
    const lines: string[] = [];
    if (o.active === false) {
      lines.push(
        `${paint(['bold', 'red'], '✘ INACTIVE')}  the server says this token is not active (revoked, expired, unknown, or not for this client)`,
      );
    } else if (o.error !== undefined) {
      lines.push(`${paint(['bold', 'red'], '✘ ACTIVE, BUT REFUSED')}  the server says active, but a check failed`);
    } else {
      lines.push(
        `${paint(['bold', 'green'], '✔ ACTIVE')}  the server says this token is active${passedChecks(s, o.response!).length > 0 ? ' and every check passed' : ''}`,
      );
    }
    if (o.endpoint !== undefined) lines.push(`${paint('dim', 'endpoint')}  ${safeText(o.endpoint)}`);
    if (o.response !== undefined) lines.push('', paint('bold', 'Response'), ...membersTable(o.response, now));
    if (o.error !== undefined && o.active === true) {
      lines.push('', paint('red', `✘ ${failure!.code}: ${safeText(failure!.message)}`));
    } else if (o.response !== undefined) {
      const checks = passedChecks(s, o.response);
      if (checks.length > 0) lines.push('', paint('bold', 'Checks'), ...checks.map((c) => `  ${paint('green', '✔')} ${c}`));
    }
    ctx.out(lines.join('\n'));
    return exitCode;
  },
};
