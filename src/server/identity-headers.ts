import type { VerifiedRequest } from '../http/verify-request.js';
import type { ResolvedGatewayConfig } from './config.js';
import type { GatewayLogLine } from './gateway-log.js';

/**
 * The identity headers of an allowed check: subject, client id, scope, issuer and (opt-in) every
 * claim, under the names `identityHeaders` configures, each value safe to put in a header.
 */

/** Largest claims header value, bytes: beyond it the header is left out (proxies cap header size). */
export const MAX_CLAIMS_HEADER = 8192;

/**
 * An identity header value: printable ASCII except `%` as is, every other character (and `%`)
 * percent-encoded as UTF-8, so `decodeURIComponent` gives the claim back and no value can break
 * the header.
 */
function escapePercent(v: string): string {
  let out = '';
  for (const ch of v) {
    const code = ch.codePointAt(0)!;
    out +=
      code >= 0x20 && code <= 0x7e && ch !== '%'
        ? ch
        : encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return out;
}

/** The identity headers for a verified request; a too-large claims header is left out and logged. */
export function identityHeaders(
  v: VerifiedRequest,
  cfg: ResolvedGatewayConfig,
  safeLog: (line: GatewayLogLine) => void,
): Record<string, string> {
  const h = cfg.identityHeaders;
  const p = v.payload as Readonly<Record<string, unknown>>;
  const out: Record<string, string> = {};
  const sub = p.sub;
  if (h.subject !== undefined && typeof sub === 'string') out[h.subject] = escapePercent(sub);
  const cid = typeof p.client_id === 'string' ? p.client_id : typeof p.azp === 'string' ? p.azp : undefined;
  if (h.clientId !== undefined && cid !== undefined) out[h.clientId] = escapePercent(cid);
  if (h.scope !== undefined) out[h.scope] = escapePercent(v.scopes.join(' '));
  const iss = v.via === 'jwt' ? v.issuer : typeof p.iss === 'string' ? p.iss : cfg.introspection?.issuer;
  if (h.issuer !== undefined && iss !== undefined) out[h.issuer] = escapePercent(iss);
  if (h.claims !== undefined) {
    const json = Buffer.from(JSON.stringify(p), 'utf8').toString('base64url');
    if (json.length <= MAX_CLAIMS_HEADER) out[h.claims] = json;
    else safeLog({ level: 'warn', msg: 'claims header too large, left out', bytes: json.length });
  }
  return out;
}
