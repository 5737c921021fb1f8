/**
 * The `htu` comparison of RFC 9449 §4.3 check 9: the target URI without query and fragment, after
 * syntax-based and scheme-based normalisation (RFC 3986 §6.2.2 and §6.2.3).
 */

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Normalises an http(s) URI for `htu` comparison, or returns undefined when it is not one.
 * WHATWG URL parsing already lowercases scheme and host, drops the default port, resolves dot
 * segments and gives an empty path as "/"; on top of that, percent-encodings get upper-case hex
 * and encoded unreserved characters are decoded (RFC 3986 §6.2.2.1 and §6.2.2.2). Query and
 * fragment are dropped; a URI with user info is not a valid `htu` (RFC 9110 §4.2.4).
 */
export function normalizeHtu(input: string | URL): string | undefined {
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path}`;
}
