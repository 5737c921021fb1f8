import { discover, discoveryUrl } from '../remote/discovery.js';
import { checkUrl } from '../remote/url-policy.js';
import { UsageError, type Parsed } from './args.js';
import type { Command } from './command.js';
import { EXIT, type Context } from './context.js';
import { safeText } from './render-json.js';
import { HTTP_OPTIONS, httpOptions } from './remote-options.js';

const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'introspection_endpoint',
  'revocation_endpoint',
  'end_session_endpoint',
  'registration_endpoint',
  'pushed_authorization_request_endpoint',
  'device_authorization_endpoint',
] as const;

const LISTS: readonly (readonly [string, string])[] = [
  ['id_token_signing_alg_values_supported', 'ID token algs'],
  ['response_types_supported', 'response types'],
  ['grant_types_supported', 'grant types'],
  ['scopes_supported', 'scopes'],
  ['code_challenge_methods_supported', 'PKCE methods'],
  ['token_endpoint_auth_methods_supported', 'client auth'],
  ['subject_types_supported', 'subject types'],
  ['claims_supported', 'claims'],
];

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

/** Things worth a second look in a provider's metadata. */
export function metadataWarnings(meta: Record<string, unknown>, allowHttp: boolean): string[] {
  const out: string[] = [];
  const algs = strings(meta.id_token_signing_alg_values_supported);
  if (algs?.some((a) => a.toLowerCase() === 'none'))
    out.push('id_token_signing_alg_values_supported lists "none": unsigned ID tokens are offered (this library never accepts them)');
  if (algs?.some((a) => a.startsWith('HS'))) out.push('HS* ID token algs are offered: those tokens are signed with the client secret');
  const pkce = strings(meta.code_challenge_methods_supported);
  if (pkce === undefined) out.push('code_challenge_methods_supported is absent: PKCE support is not advertised');
  else if (!pkce.includes('S256')) out.push('PKCE S256 is not supported');
  for (const name of ENDPOINTS) {
    const v = meta[name];
    if (typeof v !== 'string') continue;
    const r = checkUrl(v, allowHttp);
    if (typeof r === 'string') out.push(`${name} ${v}: ${r}`);
  }
  return out;
}

export const discoverCommand: Command = {
  spec: {
    name: 'discover',
    summary: "Fetch and check an issuer's OpenID Provider metadata and summarise it.",
    positionals: 'ISSUER',
    maxPositionals: 1,
    options: { ...HTTP_OPTIONS },
    notes: [
      'Fetches ISSUER/.well-known/openid-configuration and checks that its "issuer" equals ISSUER exactly.',
      'Exit codes: 0 fetched and consistent, 2 usage error, unreachable or inconsistent metadata.',
      '',
      'Example:',
      '  oidc-verifier discover https://accounts.google.com --json',
    ],
  },
  async run(ctx: Context, p: Parsed): Promise<number> {
    const issuer = p.positionals[0];
    if (issuer === undefined) throw new UsageError('ISSUER is required', 'discover');
    const http = httpOptions(p, 'discover');
    const url = discoveryUrl(issuer, http.allowHttp === true);
    const meta = await discover(issuer, http);
    const warnings = metadataWarnings(meta, http.allowHttp === true);
    if (ctx.json) {
      ctx.out(JSON.stringify({ ok: true, issuer, discoveryUrl: url, warnings, metadata: meta }, null, 2));
      return EXIT.valid;
    }
    const { paint } = ctx;
    const lines = [
      `${paint('bold', 'Issuer')}     ${safeText(meta.issuer)}  ${paint('green', '✔ equals the document\'s "issuer"')}`,
      `${paint('bold', 'Discovery')}  ${safeText(url)}`,
      '',
      paint('bold', 'Endpoints'),
    ];
    const w = Math.max(...ENDPOINTS.map((e) => e.length));
    for (const name of ENDPOINTS) {
      const v = meta[name];
      if (typeof v === 'string') lines.push(`  ${name.padEnd(w)}  ${safeText(v)}`);
    }
    lines.push('', paint('bold', 'Supported'));
    const lw = Math.max(...LISTS.map(([, l]) => l.length));
    for (const [key, label] of LISTS) {
      const v = strings(meta[key]);
      if (v === undefined) continue;
      const text = key === 'claims_supported' && v.length > 12 ? `${v.slice(0, 12).join(', ')}, … (${v.length})` : v.join(', ');
      lines.push(`  ${label.padEnd(lw)}  ${safeText(text)}`);
    }
    const flags = [
      'backchannel_logout_supported',
      'frontchannel_logout_supported',
      'request_parameter_supported',
      'claims_parameter_supported',
    ]
      .filter((k) => meta[k] === true)
      .map((k) => k.replace(/_supported$/, '').replace(/_/g, ' '));
    if (flags.length) lines.push(`  ${'features'.padEnd(lw)}  ${flags.join(', ')}`);
    if (warnings.length) {
      lines.push('', paint(['bold', 'yellow'], 'Warnings'));
      for (const w2 of warnings) lines.push(paint('yellow', `  ⚠ ${safeText(w2)}`));
    }
    ctx.out(lines.join('\n'));
    return EXIT.valid;
  },
};
