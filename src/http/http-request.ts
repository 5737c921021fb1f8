import type { IncomingMessage } from 'node:http';
import { concatBytes, utf8Text } from '../jose/bytes.js';
import { VerifyError } from '../errors.js';

/**
 * The three request shapes {@link Verifier.verifyRequest} accepts, read through one small
 * internal interface. Nothing here imports a framework: a Fetch API `Request` (Hono, Deno, Bun,
 * workers), a Node `IncomingMessage` (node:http, Express, Fastify's `request.raw`), or a plain
 * object.
 */

/** Header containers: a Fetch `Headers`, or a record (Node's `IncomingHttpHeaders` is one). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** A framework-neutral request: only what bearer extraction reads. */
export interface PlainRequest {
  readonly method?: string;
  /** Path and query (`/items?x=1`) or an absolute URL. */
  readonly url?: string;
  readonly headers: HeaderSource;
  /**
   * An already parsed body (Express `req.body`, Fastify `request.body`): an object, a string,
   * `URLSearchParams` or bytes. Read only when the form-body method is enabled.
   */
  readonly body?: unknown;
}

/** Anything `verifyRequest` accepts. */
export type HttpRequest = Request | IncomingMessage | PlainRequest;

/** Internal view of a request. */
export interface RequestView {
  readonly method: string;
  readonly url: string;
  /**
   * The request target as the server received it, for the DPoP `htu` (RFC 9449 §4.3): an absolute
   * URL (Fetch `Request`) or an origin-form path (`originalUrl` of Express, else `url`).
   */
  readonly target: string;
  /** Whether the connection is TLS (a Node socket with `encrypted`): the scheme of a built URL. */
  readonly tls: boolean;
  /** Every value of a header (name in lower case); several only when the header was repeated. */
  header(name: string): string[];
  /** The form body's `access_token` values, or undefined when there is no readable form body. */
  formTokens(limit: number): Promise<string[] | undefined> | string[] | undefined;
}

function invalid(message: string): VerifyError {
  return new VerifyError('ERR_INVALID_REQUEST', message);
}

function isFetchRequest(r: object): r is Request {
  const h = (r as { headers?: unknown }).headers;
  return typeof Headers !== 'undefined' && h instanceof Headers && typeof (r as { clone?: unknown }).clone === 'function';
}

function recordValues(headers: Readonly<Record<string, unknown>>, name: string): string[] {
  const out: string[] = [];
  for (const key of Object.keys(headers)) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    const v = headers[key];
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number') out.push(String(v));
    else if (Array.isArray(v)) for (const e of v) if (typeof e === 'string') out.push(e);
  }
  return out;
}

function headerValues(headers: HeaderSource, name: string): string[] {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    const v = headers.get(name);
    return v === null ? [] : [v];
  }
  return recordValues(headers as Readonly<Record<string, unknown>>, name);
}

function isFormContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  return value.split(';', 1)[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** `access_token` values of an already parsed body, or undefined when it has none / is not a form. */
function parsedBodyTokens(body: unknown): string[] | undefined {
  if (body === undefined || body === null) return undefined;
  let params: URLSearchParams | undefined;
  if (typeof body === 'string') params = new URLSearchParams(body);
  else if (body instanceof URLSearchParams) params = body;
  else if (body instanceof Uint8Array) params = new URLSearchParams(utf8Text(body));
  if (params !== undefined) return params.getAll('access_token');
  if (typeof body !== 'object') return undefined;
  if (!Object.prototype.hasOwnProperty.call(body, 'access_token')) return [];
  const v = (body as Record<string, unknown>).access_token;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    if (v.every((e) => typeof e === 'string')) return v;
  }
  throw invalid('the access_token body parameter must be a string');
}

/** Reads a Fetch request's form body from a clone, refusing more than `limit` bytes. */
async function readFetchForm(request: Request, limit: number): Promise<string[] | undefined> {
  if (request.body === null) return undefined;
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw invalid(`form body is ${declared} bytes, more than ${limit}`);
  const reader = (request.clone().body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: cancelling one branch of a tee settles only when the other is cancelled too.
      reader.cancel().catch(() => undefined);
      throw invalid(`form body is more than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return new URLSearchParams(
    utf8Text(
      concatBytes(
        chunks,
        chunks.reduce((n, c) => n + c.length, 0),
      ),
    ),
  ).getAll('access_token');
}

/** Builds the internal view of any accepted request shape; a shape it cannot read is ERR_CONFIG. */
export function viewRequest(request: HttpRequest): RequestView {
  if (typeof request !== 'object' || request === null) throw new VerifyError('ERR_CONFIG', 'verifyRequest needs a request object');
  if (isFetchRequest(request)) {
    const r = request;
    return {
      method: r.method,
      url: r.url,
      target: r.url,
      tls: false,
      header: (name) => headerValues(r.headers, name),
      formTokens(limit) {
        if (!isFormContentType(r.headers.get('content-type') ?? undefined)) return undefined;
        return readFetchForm(r, limit);
      },
    };
  }
  const r = request as PlainRequest & { rawHeaders?: unknown; originalUrl?: unknown; socket?: unknown };
  if (typeof r.headers !== 'object' || r.headers === null)
    throw new VerifyError('ERR_CONFIG', 'verifyRequest needs a request with headers');
  const raw = Array.isArray(r.rawHeaders) ? (r.rawHeaders as unknown[]) : undefined;
  const url = typeof r.url === 'string' ? r.url : '/';
  const socket = r.socket;
  return {
    method: typeof r.method === 'string' ? r.method : 'GET',
    url,
    // Express strips a mount path from `url` and keeps the request line in `originalUrl`.
    target: typeof r.originalUrl === 'string' ? r.originalUrl : url,
    tls: typeof socket === 'object' && socket !== null && (socket as { encrypted?: unknown }).encrypted === true,
    header(name) {
      // Node keeps only the first of repeated Authorization headers in `headers`; rawHeaders has them all.
      if (raw === undefined) return headerValues(r.headers, name);
      const out: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const k = raw[i];
        if (typeof k === 'string' && k.length === name.length && k.toLowerCase() === name) out.push(String(raw[i + 1]));
      }
      return out;
    },
    formTokens() {
      const type = headerValues(r.headers, 'content-type')[0];
      if (!isFormContentType(type)) return undefined;
      return parsedBodyTokens(r.body);
    },
  };
}
