import { VerifyError } from '../errors.js';
import type { RequestView } from './http-request.js';

/**
 * Bearer token extraction as RFC 6750 §2 defines it, kept apart from verification:
 * - §2.1 `Authorization: Bearer <b64token>`: the scheme is case-insensitive (RFC 9110 §11.1),
 *   then one or more spaces and exactly one credential in b64token (token68) syntax;
 * - §2.2 form body `access_token` (off by default): not with GET, only
 *   `application/x-www-form-urlencoded`;
 * - §2.3 query `access_token` (off by default).
 * A request using more than one method, repeating one, or a malformed Bearer header is
 * `ERR_INVALID_REQUEST`; a request without any is `ERR_CREDENTIALS_MISSING`. Another scheme
 * (e.g. `Basic`) counts as no Bearer credentials (RFC 6750 §3.1).
 */

/** Where the credential was found. */
export type CredentialSource = 'header' | 'body' | 'query';

/** An extracted bearer credential. */
export interface BearerCredential {
  readonly token: string;
  readonly source: CredentialSource;
}

/** Which RFC 6750 §2 methods are accepted besides the header. */
export interface ExtractOptions {
  /** §2.3 URI query parameter. Default false. */
  readonly allowQueryToken?: boolean;
  /** §2.2 form-encoded body parameter. Default false. */
  readonly allowBodyToken?: boolean;
  /** Largest form body read for §2.2 from a Fetch `Request`, bytes. Default 65536. */
  readonly maxBodySize?: number;
}

export const DEFAULT_MAX_BODY_SIZE = 65_536;

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The auth-scheme is "Bearer" (any case) when the header starts with it followed by a non-token character. */
const BEARER_SCHEME = /^bearer(?![!#$%&'*+.^_`|~0-9A-Za-z-])/i;
const BEARER_CREDENTIALS = /^bearer +([^ ]+)$/i;

function invalid(message: string): VerifyError {
  return new VerifyError('ERR_INVALID_REQUEST', message);
}

function fromHeader(view: RequestView): string | undefined {
  const values = view.header('authorization');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw invalid(`expected one Authorization header, found ${values.length}`);
  const value = values[0]!;
  if (!BEARER_SCHEME.test(value)) return undefined; // no credentials, or another scheme
  const m = BEARER_CREDENTIALS.exec(value);
  if (m === null) throw invalid('malformed Authorization header: expected "Bearer" followed by one space-separated credential');
  const token = m[1]!;
  if (!B64TOKEN.test(token)) throw invalid('malformed Authorization header: the Bearer credential is not in b64token syntax (RFC 6750 §2.1)');
  return token;
}

function single(values: readonly string[], where: string): string | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) throw invalid(`expected one access_token ${where} parameter, found ${values.length}`);
  const token = values[0]!;
  if (!B64TOKEN.test(token)) throw invalid(`the access_token ${where} parameter is empty or not in b64token syntax`);
  return token;
}

function fromQuery(view: RequestView): string | undefined {
  const q = view.url.indexOf('?');
  if (q < 0) return undefined;
  const end = view.url.indexOf('#', q);
  const params = new URLSearchParams(view.url.slice(q + 1, end < 0 ? undefined : end));
  return single(params.getAll('access_token'), 'query');
}

async function fromBody(view: RequestView, limit: number): Promise<string | undefined> {
  // §2.2: "The HTTP request method is one for which the request-body has defined semantics"; never GET.
  if (view.method.toUpperCase() === 'GET' || view.method.toUpperCase() === 'HEAD') return undefined;
  const values = await view.formTokens(limit);
  return values === undefined ? undefined : single(values, 'body');
}

/** Finds the one bearer credential of a request (RFC 6750 §2). Rejects with ERR_INVALID_REQUEST or ERR_CREDENTIALS_MISSING. */
export async function extractBearer(view: RequestView, options: ExtractOptions = {}): Promise<BearerCredential> {
  const found: BearerCredential[] = [];
  const header = fromHeader(view);
  if (header !== undefined) found.push({ token: header, source: 'header' });
  if (options.allowQueryToken === true) {
    const t = fromQuery(view);
    if (t !== undefined) found.push({ token: t, source: 'query' });
  }
  if (options.allowBodyToken === true) {
    const t = await fromBody(view, options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE);
    if (t !== undefined) found.push({ token: t, source: 'body' });
  }
  if (found.length > 1) throw invalid(`credentials in more than one place (${found.map((f) => f.source).join(', ')}); RFC 6750 §2 allows one method per request`);
  if (found.length === 0) throw new VerifyError('ERR_CREDENTIALS_MISSING', 'the request carries no Bearer credentials');
  return found[0]!;
}
