import { VerifyError, describeValue, type ErrorCode } from '../errors.js';

/**
 * The one rule for which URLs the library may fetch: https always; plain http only for loopback
 * hosts (a local IdP in development or tests) or when `allowHttp: true` is set on purpose. Applied
 * to configured URLs, to discovered `jwks_uri`s and to every redirect hop.
 */

/** Whether `hostname` (as `URL.hostname` gives it) is a loopback host: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h === 'localhost.' || h === '[::1]') return true;
  // URL has already canonicalised IPv4 forms such as 2130706433 or 0x7f.1 to dotted decimal.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * A URL as it may appear in a message: any userinfo (`https://user:pass@host/`) is replaced by
 * `[redacted]`, parsed or not, so credentials in a configured URL never reach an error or a log.
 */
export function redactUrl(url: string): string {
  // Special schemes accept any run of / and \ after the scheme; the userinfo ends at the last @.
  // The URL parser also drops leading C0 controls and spaces, and tabs and newlines anywhere.
  const shown = url.replace(/^([\x00-\x20]*[a-z][a-z0-9+.\-\t\n\r]*:[/\\\t\n\r]*)[^/?#\\]*@/i, '$1[redacted]@');
  try {
    const u = new URL(shown);
    if (u.password === '' && (u.username === '' || u.username === '%5Bredacted%5D')) return shown;
    return `${u.protocol}//[redacted]@${u.host}${u.pathname}${u.search}${u.hash}`;
  } catch {
    return shown;
  }
}

/**
 * Parses `url` and checks the scheme rule; returns the reason it is refused, or the URL.
 * Credentials in URLs are refused too: they would end up in logs and error messages.
 */
export function checkUrl(url: string, allowHttp: boolean): URL | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${typeof url === 'string' ? describeValue(redactUrl(url)) : describeValue(url)} is not an absolute URL`;
  }
  if (u.username !== '' || u.password !== '') return 'URLs with credentials are not allowed';
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:') {
    if (allowHttp || isLoopbackHost(u.hostname)) return u;
    return `plain http is only allowed for loopback hosts (set allowHttp: true to allow ${u.host})`;
  }
  return `scheme ${u.protocol} is not allowed (https only)`;
}

/** {@link checkUrl} for configuration values: a refused URL is `code` (usually ERR_CONFIG). */
export function requireUrl(name: string, url: unknown, allowHttp: boolean, code: ErrorCode = 'ERR_CONFIG'): URL {
  if (typeof url !== 'string' || url.length === 0) throw new VerifyError(code, `${name} must be a non-empty URL string`);
  const r = checkUrl(url, allowHttp);
  if (typeof r === 'string') throw new VerifyError(code, `${name} ${describeValue(redactUrl(url))} refused: ${r}`);
  return r;
}
