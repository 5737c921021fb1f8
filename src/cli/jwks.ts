import { FetchError, VerifyError } from '../errors.js';
import { discover } from '../remote/discovery.js';
import { fetchJson } from '../remote/http.js';
import { UsageError, type Parsed } from './args.js';
import type { Command } from './command.js';
import { EXIT, type Context } from './context.js';
import { describeJwks, type KeyInfo } from '../report/jwk-info.js';
import { isUrl, readJwksOption } from './jwks-input.js';
import { safeText } from './render-json.js';
import { HTTP_OPTIONS, httpOptions } from './remote-options.js';
import { describeTime } from '../report/time.js';

interface Loaded {
  readonly doc: unknown;
  /** Where the keys came from, e.g. the JWKS URL. */
  readonly source: string;
  readonly via?: string;
}

/**
 * An issuer goes through discovery to its `jwks_uri`; if the URL is not an issuer (no discovery
 * document there), it is fetched as a JWKS itself. A path to a local file is read.
 */
async function load(target: string, ctx: Context, p: Parsed): Promise<Loaded> {
  if (!isUrl(target)) {
    const r = await readJwksOption(target, ctx.io.cwd, 'jwks');
    return { doc: 'jwks' in r ? r.jwks : undefined, source: target };
  }
  const http = httpOptions(p, 'jwks');
  const isMetadataUrl = /\/\.well-known\/(openid-configuration|oauth-authorization-server)$/.test(new URL(target).pathname);
  if (isMetadataUrl) {
    const meta = await fetchJson(target, { ...http, code: 'ERR_DISCOVERY' });
    const uri = meta.body.jwks_uri;
    if (typeof uri !== 'string') throw new VerifyError('ERR_DISCOVERY', `${target} has no jwks_uri`);
    const res = await fetchJson(uri, { ...http, code: 'ERR_JWKS_FETCH' });
    return { doc: res.body, source: uri, via: target };
  }
  let discoveryError: VerifyError;
  try {
    const meta = await discover(target, http);
    const res = await fetchJson(meta.jwks_uri, { ...http, code: 'ERR_JWKS_FETCH' });
    return { doc: res.body, source: meta.jwks_uri, via: `discovery of ${target}` };
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    // A JWKS fetch failure after a good discovery is the answer; a discovery failure means "maybe not an issuer".
    if (err.code !== 'ERR_DISCOVERY') throw err;
    discoveryError = err;
  }
  let direct: Awaited<ReturnType<typeof fetchJson>>;
  try {
    direct = await fetchJson(target, { ...http, code: 'ERR_JWKS_FETCH' });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FetchError(
      'ERR_JWKS_FETCH',
      target,
      `${target} is neither a reachable issuer (${discoveryError.message}) nor a JWKS (${reason})`,
    );
  }
  if (!Array.isArray(direct.body.keys)) {
    throw new FetchError(
      'ERR_JWKS_FETCH',
      target,
      `${target} is neither an issuer (${discoveryError.message}) nor a JWKS (no "keys" array)`,
    );
  }
  return { doc: direct.body, source: direct.url };
}

function renderKey(k: KeyInfo, ctx: Context, now: number): string[] {
  const { paint } = ctx;
  const lines = [
    `${paint('bold', `#${k.index}`)}  kid ${k.kid !== undefined ? paint('cyan', safeText(JSON.stringify(k.kid))) : paint('dim', '(none)')}`,
  ];
  const facts = [
    `kty ${k.kty ?? '?'}`,
    k.alg !== undefined ? `alg ${k.alg}` : 'alg (any fit for the key)',
    k.use !== undefined ? `use ${k.use}` : undefined,
    k.size,
  ].filter(Boolean);
  lines.push(`    ${safeText(facts.join(' · '))}`);
  if (k.thumbprint) lines.push(`    thumbprint ${k.thumbprint} ${paint('dim', '(RFC 7638, SHA-256)')}`);
  if (k.x5c) {
    const to = Math.floor(Date.parse(k.x5c.validTo) / 1000);
    const exp = `${k.x5c.expired ? 'expired' : 'expires'} ${k.x5c.validTo} (${describeTime('exp', to, now).replace(/^expire[sd] /, '')})`;
    lines.push(`    x5c subject ${safeText(k.x5c.subject)}`);
    lines.push(
      `        ${k.x5c.expired ? paint('red', exp) : exp} · ${k.x5c.matchesKey ? 'certificate key matches the JWK' : paint('red', 'certificate key does NOT match the JWK')}`,
    );
  }
  if (k.x5cError) lines.push(`    ${paint('red', safeText(k.x5cError))}`);
  lines.push(
    k.usable
      ? `    ${paint('green', '✔ usable for signature verification')}`
      : `    ${paint('yellow', `✘ not used: ${safeText(k.reason ?? '')}`)}`,
  );
  return lines;
}

export const jwksCommand: Command = {
  spec: {
    name: 'jwks',
    summary: "List an issuer's keys: kid, kty, alg, use, size or curve, RFC 7638 thumbprint, x5c certificate.",
    positionals: 'ISSUER|URL|FILE',
    maxPositionals: 1,
    options: { ...HTTP_OPTIONS },
    notes: [
      'ISSUER goes through discovery (/.well-known/openid-configuration) to its jwks_uri; a URL that is',
      'not an issuer is fetched as a JWKS; a local file is read.',
      'Exit codes: 0 listed, 2 usage error or unreachable.',
      '',
      'Example:',
      '  oidc-verifier jwks https://accounts.google.com',
    ],
  },
  async run(ctx: Context, p: Parsed): Promise<number> {
    const target = p.positionals[0];
    if (target === undefined) throw new UsageError('ISSUER, JWKS URL or file is required', 'jwks');
    const loaded = await load(target, ctx, p);
    if (!Array.isArray((loaded.doc as { keys?: unknown })?.keys))
      throw new VerifyError('ERR_JWKS_FETCH', `${loaded.source} is not a JWKS: no "keys" array`);
    const now = Math.floor(Date.now() / 1000);
    const keys = describeJwks(loaded.doc, now);
    if (ctx.json) {
      ctx.out(JSON.stringify({ ok: true, jwksUri: loaded.source, ...(loaded.via ? { via: loaded.via } : {}), keys }, null, 2));
      return EXIT.valid;
    }
    const usable = keys.filter((k) => k.usable).length;
    const lines = [
      `${ctx.paint('bold', 'JWKS')} ${safeText(loaded.source)}${loaded.via ? ctx.paint('dim', ` (via ${safeText(loaded.via)})`) : ''}`,
      `${keys.length} key${keys.length === 1 ? '' : 's'}, ${usable} usable`,
    ];
    for (const k of keys) lines.push('', ...renderKey(k, ctx, now));
    ctx.out(lines.join('\n'));
    if (usable === 0) ctx.warn('warning: no key in this set can verify a signature');
    return EXIT.valid;
  },
};
