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

/** The authorization scheme a credential came with: RFC 6750 Bearer or RFC 9449 §7.1 DPoP. */
export type CredentialScheme = 'Bearer' | 'DPoP';

/** An extracted bearer credential. */
export interface BearerCredential {
  readonly token: string;
  readonly source: CredentialSource;
  /** `DPoP` only from the Authorization header; query and body credentials are Bearer. */
  readonly scheme: CredentialScheme;
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
/** RFC 9449 §7.1: `Authorization: DPoP <token68>`, the scheme case-insensitive as well. */
const DPOP_SCHEME = /^dpop(?![!#$%&'*+.^_`|~0-9A-Za-z-])/i;
const DPOP_CREDENTIALS = /^dpop +([^ ]+)$/i;

function invalid(message: string): VerifyError {
  return new VerifyError('ERR_INVALID_REQUEST', message);
}

function fromHeader(view: RequestView, schemes: ReadonlySet<CredentialScheme>): { token: string; scheme: CredentialScheme } | undefined {
  const values = view.header('authorization');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw invalid(`expected one Authorization header, found ${values.length}`);
  const value = values[0]!;
  let scheme: CredentialScheme;
  let m: RegExpExecArray | null;
  if (schemes.has('Bearer') && BEARER_SCHEME.test(value)) {
    scheme = 'Bearer';
    m = BEARER_CREDENTIALS.exec(value);
  } else if (schemes.has('DPoP') && DPOP_SCHEME.test(value)) {
    scheme = 'DPoP';
    m = DPOP_CREDENTIALS.exec(value);
  } else return undefined; // no credentials, or a scheme not accepted here
  if (m === null) throw invalid(`malformed Authorization header: expected "${scheme}" followed by one space-separated credential`);
  const token = m[1]!;
  if (!B64TOKEN.test(token))
    throw invalid(`malformed Authorization header: the ${scheme} credential is not in token68 syntax (RFC 6750 §2.1, RFC 9449 §7.1)`);
  return { token, scheme };
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

const BEARER_ONLY: ReadonlySet<CredentialScheme> = new Set(['Bearer']);

/**
 * Finds the one credential of a request (RFC 6750 §2; with `schemes` holding `DPoP`, also
 * RFC 9449 §7.1 `Authorization: DPoP`). A scheme outside `schemes` counts as no credentials;
 * query and body credentials are Bearer, read only when `Bearer` is in `schemes`.
 * Rejects with ERR_INVALID_REQUEST or ERR_CREDENTIALS_MISSING.
 */
export async function extractBearer(
  view: RequestView,
  options: ExtractOptions = {},
  schemes: ReadonlySet<CredentialScheme> = BEARER_ONLY,
): Promise<BearerCredential> {
  const found: BearerCredential[] = [];
  const header = fromHeader(view, schemes);
  if (header !== undefined) found.push({ ...header, source: 'header' });
  if (options.allowQueryToken === true && schemes.has('Bearer')) {
    const t = fromQuery(view);
    if (t !== undefined) found.push({ token: t, source: 'query', scheme: 'Bearer' });
  }
  if (options.allowBodyToken === true && schemes.has('Bearer')) {
    const t = await fromBody(view, options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE);
    if (t !== undefined) found.push({ token: t, source: 'body', scheme: 'Bearer' });
  }
  if (found.length > 1)
    throw invalid(
      `credentials in more than one place (${found.map((f) => f.source).join(', ')}); RFC 6750 §2 allows one method per request`,
    );
  if (found.length === 0)
    throw new VerifyError('ERR_CREDENTIALS_MISSING', `the request carries no ${[...schemes].join(' or ')} credentials`);
  return found[0]!;
}
