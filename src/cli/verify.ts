import { UsageError, intOption, list, str, type Parsed } from './args.js';
import { buildChecklist, type ChecklistRequest, type TokenType } from '../report/checklist-builder.js';
import type { Command } from './command.js';
import { EXIT, type Context } from './context.js';
import { clockFrom } from './decode.js';
import { detectTokenType } from '../report/detect-type.js';
import { readJwksOption } from './jwks-input.js';
import { exitCodeFor, oneLine } from './errors.js';
import { renderChecklist } from './render-checklist.js';
import { safeText, terminalSafe } from './render-json.js';
import { HTTP_OPTIONS, httpOptions } from './remote-options.js';
import { TOKEN_ENV, readToken } from './token-input.js';

export const VERIFY_ENV = {
  issuer: 'OIDC_ISSUER',
  audience: 'OIDC_AUDIENCE',
  clientSecret: 'OIDC_CLIENT_SECRET',
  accessToken: 'OIDC_ACCESS_TOKEN',
} as const;

const TYPES: readonly TokenType[] = ['id', 'access', 'logout'];
const TYPE_WORDS: Readonly<Record<TokenType, string>> = { id: 'an ID token', access: 'a JWT access token', logout: 'a logout token' };
/** Token types the library can verify today; the others are announced but refused. */
export const AVAILABLE_TYPES: readonly TokenType[] = ['id', 'access', 'logout'];

export const verifyCommand: Command = {
  spec: {
    name: 'verify',
    summary: 'Verify a token with the library and print the checklist: signature, then each claim.',
    positionals: '[TOKEN|-]',
    maxPositionals: 1,
    options: {
      issuer: { type: 'string', short: 'i', value: 'URL', description: `expected issuer, exactly as in "iss" (or $${VERIFY_ENV.issuer})` },
      audience: { type: 'string', short: 'a', value: 'ID', multiple: true, description: `your client id (or $${VERIFY_ENV.audience})` },
      jwks: {
        type: 'string',
        value: 'FILE|URL',
        description: "the issuer's keys: a JWKS file (offline) or URL",
        defaultText: 'discovery from --issuer',
      },
      nonce: { type: 'string', value: 'VALUE', description: 'nonce sent in the authentication request' },
      'max-age': { type: 'string', value: 'SECONDS', description: 'max_age sent in the request: auth_time must be this recent' },
      'access-token': {
        type: 'string',
        value: 'TOKEN',
        description: `access token issued with the ID token: checks at_hash (or $${VERIFY_ENV.accessToken})`,
      },
      code: { type: 'string', value: 'CODE', description: 'authorization code issued with the ID token: checks c_hash' },
      state: { type: 'string', value: 'STATE', description: 'state of the response: checks s_hash' },
      acr: { type: 'string', value: 'VALUE', multiple: true, description: 'acceptable acr values (acr_values of the request)' },
      alg: {
        type: 'string',
        value: 'ALG',
        multiple: true,
        description: 'allowed algorithms, e.g. RS256,ES256',
        defaultText: 'every asymmetric alg',
      },
      'clock-tolerance': { type: 'string', value: 'SECONDS', description: 'allowed clock skew', defaultText: '0' },
      at: { type: 'string', value: 'UNIX|ISO', description: "the verifier's clock: check as if it were this instant", defaultText: 'now' },
      type: {
        type: 'string',
        value: 'id|access|logout',
        description: 'token profile: ID token, JWT access token (RFC 9068), logout token',
        defaultText: 'from the token: typ at+jwt is access, a logout event is logout, else id',
      },
      scope: { type: 'string', value: 'SCOPE', multiple: true, description: 'access tokens: a scope that must be granted' },
      ...HTTP_OPTIONS,
    },
    notes: [
      `TOKEN: an argument (warned about: shell history), "-" for stdin, $${TOKEN_ENV}, or piped stdin.`,
      `HMAC (HS256) ID tokens need the client secret in $${VERIFY_ENV.clientSecret} (never on the command line).`,
      'Exit codes: 0 valid, 1 invalid token, 2 usage error or keys unreachable (network, discovery).',
      '',
      'Examples:',
      '  oidc-verifier verify - --issuer https://login.example.com --audience my-client < id_token.txt',
      '  OIDC_TOKEN=$(cat t.jwt) oidc-verifier verify -i https://api.asgardeo.io/t/bifrost/oauth2/token \\',
      '      -a Wsoq8t4nHW80gSnPfyDvRbiC__Ea --jwks jwks.json --at 1629968400 --json',
    ],
  },
  async run(ctx: Context, p: Parsed): Promise<number> {
    const env = ctx.io.env;
    const issuer = str(p, 'issuer') ?? env[VERIFY_ENV.issuer];
    if (!issuer) throw new UsageError(`--issuer is required (or set $${VERIFY_ENV.issuer})`, 'verify');
    let audience = list(p, 'audience');
    if (audience.length === 0 && env[VERIFY_ENV.audience])
      audience = env[VERIFY_ENV.audience]!.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    if (audience.length === 0) throw new UsageError(`--audience is required (or set $${VERIFY_ENV.audience})`, 'verify');
    const typeOption = str(p, 'type') as TokenType | undefined;
    if (typeOption !== undefined && !TYPES.includes(typeOption))
      throw new UsageError(`--type must be id, access or logout, got ${JSON.stringify(typeOption.slice(0, 20))}`, 'verify');
    if (typeOption !== undefined && !AVAILABLE_TYPES.includes(typeOption))
      throw new UsageError(`--type ${typeOption} is not available in this version`, 'verify');
    const at = clockFrom(p, 'verify');
    const maxAge = intOption(p, 'max-age', 'verify');
    const tolerance = intOption(p, 'clock-tolerance', 'verify');
    const http = httpOptions(p, 'verify');
    const algorithms = list(p, 'alg');
    const jwksOpt = str(p, 'jwks');
    const keys = jwksOpt !== undefined ? await readJwksOption(jwksOpt, ctx.io.cwd, 'verify') : undefined;
    const { token } = await readToken(ctx, p.positionals[0]);
    // Without --type the token says what it is (typ at+jwt, a logout event); the output says which.
    const detected = typeOption === undefined ? detectTokenType(token) : undefined;
    const type: TokenType = typeOption ?? detected!.type;
    const typeNote =
      detected !== undefined ? `profile from the token: ${detected.because}; --type overrides` : `profile from --type ${type}`;
    const chosen =
      detected !== undefined ? `the token is ${TYPE_WORDS[type]} (${detected.because}); pass --type to override` : `--type ${type}`;
    const idOnly = ['nonce', 'max-age', 'access-token', 'code', 'state', 'acr'].filter((o) => p.values[o] !== undefined);
    if (type !== 'id' && idOnly.length > 0)
      throw new UsageError(`--${idOnly[0]} is for ID tokens (--type id), not ${TYPE_WORDS[type]}: ${chosen}`, 'verify');
    if (type !== 'access' && list(p, 'scope').length > 0)
      throw new UsageError(`--scope is for access tokens (--type access), not ${TYPE_WORDS[type]}: ${chosen}`, 'verify');
    const accessToken = str(p, 'access-token') ?? env[VERIFY_ENV.accessToken];
    if (str(p, 'access-token') !== undefined)
      ctx.warn('warning: --access-token on the command line is kept in shell history and visible in ps; prefer $OIDC_ACCESS_TOKEN');
    // The code is a credential until redeemed; state and nonce bind the response to the browser session.
    for (const o of ['code', 'state', 'nonce'] as const) {
      if (str(p, o) !== undefined)
        ctx.warn(`warning: --${o} on the command line is kept in shell history and visible in ps while this runs`);
    }
    const req: ChecklistRequest = {
      token,
      issuer,
      audience,
      type,
      ...(str(p, 'at') !== undefined ? { at } : {}),
      ...(keys && 'jwks' in keys ? { jwks: keys.jwks } : {}),
      ...(keys && 'jwksUri' in keys ? { jwksUri: keys.jwksUri } : {}),
      ...(str(p, 'nonce') !== undefined ? { nonce: str(p, 'nonce') } : {}),
      ...(maxAge !== undefined ? { maxAge } : {}),
      ...(list(p, 'acr').length > 0 ? { acrValues: list(p, 'acr') } : {}),
      ...(accessToken ? { accessToken } : {}),
      ...(str(p, 'code') !== undefined ? { code: str(p, 'code') } : {}),
      ...(str(p, 'state') !== undefined ? { state: str(p, 'state') } : {}),
      ...(algorithms.length > 0 ? { algorithms } : {}),
      ...(env[VERIFY_ENV.clientSecret] ? { clientSecret: env[VERIFY_ENV.clientSecret] } : {}),
      ...(tolerance !== undefined ? { clockTolerance: tolerance } : {}),
      ...(http.timeout !== undefined ? { timeout: http.timeout } : {}),
      ...(http.allowHttp ? { allowHttp: true } : {}),
      ...(list(p, 'scope').length > 0 ? { requiredScopes: list(p, 'scope') } : {}),
    };
    const c = await buildChecklist(req);
    const shownKeys = keys ? { ...c, keySource: keys.label } : c;
    if (c.verdict === 'error' && c.rows.length === 0) {
      // Nothing was checked (bad options): a usage-level failure, one line.
      if (ctx.json) ctx.out(JSON.stringify({ ok: false, verdict: c.verdict, error: { code: c.code, message: c.message } }, null, 2));
      else
        ctx.io.stderr.write(
          `${ctx.paintErr('red', `oidc-verifier verify: ${c.code}: ${terminalSafe(safeText(oneLine(c.message ?? '')))}`)}\n`,
        );
      return EXIT.usage;
    }
    if (ctx.json) {
      ctx.out(
        JSON.stringify(
          {
            ok: c.verdict === 'valid',
            verdict: c.verdict,
            ...(c.code ? { error: { code: c.code, message: c.message, ...(c.claim ? { claim: c.claim } : {}) } } : {}),
            type: c.type,
            typeFrom: typeOption !== undefined ? 'option' : 'token',
            at: c.at,
            issuer: c.issuer,
            audience: c.audience,
            keySource: shownKeys.keySource,
            checks: c.rows,
            header: c.header,
            payload: c.payload,
          },
          null,
          2,
        ),
      );
    } else {
      ctx.out(renderChecklist(shownKeys, ctx.paint, str(p, 'at') !== undefined ? '--at' : 'now', typeNote));
    }
    // Exit codes are the CLI's contract: 0 valid, 1 invalid token, 2 could not check.
    return c.code === undefined ? EXIT.valid : exitCodeFor(c.code);
  },
};
