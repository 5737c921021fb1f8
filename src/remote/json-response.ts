import { concatBytes, utf8Text } from '../jose/bytes.js';
import { FetchError, describeValue, type FetchFailureReason } from '../errors.js';
import { parseJsonObject } from '../jose/json.js';
import type { Deadline } from './deadline.js';
import { HTTP_DEFAULTS, type JsonResponse, type RemoteErrorCode } from './http-options.js';

/**
 * Processing an HTTP response into a JSON object (status, Content-Type, size cap, UTF-8, JSON
 * object), and the errors of failed requests. Testable on a hand-built `Response`.
 */

const LABELS: Record<RemoteErrorCode, string> = {
  ERR_JWKS_FETCH: 'JWKS',
  ERR_DISCOVERY: 'discovery',
  ERR_INTROSPECTION: 'introspection',
};

/**
 * Builds the error of a failed request: the code, the URL asked for, the reason in words and, in
 * `options.reason`, as a {@link FetchFailureReason} (default `invalid_response`).
 */
export function fetchFailure(
  code: RemoteErrorCode,
  url: string,
  reason: string,
  options?: { cause?: unknown; status?: number; reason?: FetchFailureReason },
): FetchError {
  return new FetchError(code, url, `${LABELS[code]} request to ${url} failed: ${reason}`, options);
}

export function positive(v: number | undefined, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : dflt;
}

export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return `network error: ${detail !== undefined ? `${msg} (${detail})` : msg}`;
}

/**
 * Drops an unwanted body without waiting: a custom `fetch` may hand back a stream whose `cancel()`
 * never settles, and waiting for it would outlive the deadline (and wedge the single flight).
 */
export function discardBody(response: Response): void {
  try {
    response.body?.cancel().catch(() => undefined);
  } catch {
    // Nothing to do: the body is unwanted anyway.
  }
}

/** Whether a Content-Type names JSON: `application/json` or any `+json` type (RFC 6839 §3.1), parameters allowed. */
export function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  const type = (value.split(';', 1)[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(type);
}

export interface ProcessOptions {
  readonly code: RemoteErrorCode;
  /** The URL that was asked for (named in errors). */
  readonly url: string;
  /** The URL that answered, when redirects were followed. */
  readonly finalUrl?: string;
  /** Default 524288. */
  readonly maxResponseSize?: number;
  /** Bounds the body read; without one the read is bounded by size only. */
  readonly deadline?: Deadline;
  /** Refuse a 2xx answer whose Content-Type is not JSON. Default: true, except for ERR_INTROSPECTION. */
  readonly requireJsonContentType?: boolean;
}

/** Bytes of an error body read for its OAuth error code; the rest is discarded. */
const ERROR_BODY_LIMIT = 4096;

/** Reads at most about `limit` bytes of a body as text, within the deadline; never throws. */
export async function readBodyPrefix(response: Response, limit: number, deadline?: ProcessOptions['deadline']): Promise<string> {
  const body = response.body;
  if (body === null || typeof body?.getReader !== 'function') return '';
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const step = await (deadline ? deadline.race(reader.read()) : reader.read());
      if (step.done) break;
      chunks.push(step.value);
      total += step.value.byteLength;
    }
  } catch {
    return '';
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return utf8Text(concatBytes(chunks, total));
}

/**
 * An OAuth error response (RFC 6749 §5.2) names what went wrong (`invalid_client`, ...): read a
 * bounded prefix of a non-2xx body for it. Anything else about the body is ignored.
 */
async function oauthErrorHint(response: Response, deadline: ProcessOptions['deadline']): Promise<string> {
  const err = parseJsonObject(await readBodyPrefix(response, ERROR_BODY_LIMIT, deadline));
  if (typeof err?.error !== 'string') return '';
  const description = typeof err.error_description === 'string' ? ` (${describeValue(err.error_description, 120)})` : '';
  return `: error ${describeValue(err.error, 60)}${description}`;
}

/**
 * Checks a response and parses its body: a 2xx status, a body within the size cap (the declared
 * Content-Length and the bytes actually streamed), valid UTF-8, a JSON object.
 */
export async function processJsonResponse(response: Response, options: ProcessOptions): Promise<JsonResponse> {
  const { code, url, deadline } = options;
  const max = positive(options.maxResponseSize, HTTP_DEFAULTS.maxResponseSize);
  const status = response.status;
  const fail = (reason: string, kind: FetchFailureReason, cause?: unknown): FetchError =>
    fetchFailure(code, url, reason, { status, reason: kind, ...(cause !== undefined ? { cause } : {}) });

  if (status < 200 || status > 299) {
    const hint = await oauthErrorHint(response, deadline);
    throw fail(`HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}${hint}`, 'status');
  }
  const type = response.headers.get('content-type');
  if ((options.requireJsonContentType ?? code !== 'ERR_INTROSPECTION') && !isJsonContentType(type)) {
    discardBody(response);
    deadline?.cancel();
    throw fail(
      `expected a JSON response (application/json or a +json type), got ${type === null ? 'no Content-Type' : `Content-Type ${describeValue(type, 60)}`}`,
      'content_type',
    );
  }
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > max) {
    discardBody(response);
    deadline?.cancel();
    throw fail(`response too large: Content-Length ${declared} exceeds the ${max}-byte limit`, 'too_large');
  }

  let bytes: Uint8Array;
  const body = response.body;
  if (body === null) {
    bytes = new Uint8Array(0);
  } else {
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const step = await (deadline ? deadline.race(reader.read()) : reader.read());
        if (step.done) break;
        total += step.value.byteLength;
        if (total > max) {
          reader.cancel().catch(() => undefined);
          deadline?.cancel();
          throw fail(`response too large: more than ${max} bytes`, 'too_large');
        }
        chunks.push(step.value);
      }
    } catch (err) {
      if (err instanceof FetchError) throw err;
      reader.cancel().catch(() => undefined);
      if (deadline?.expired) throw fail(`timed out after ${deadline.ms} ms while reading the body`, 'timeout', err);
      throw fail(networkReason(err), 'network', err);
    }
    bytes = concatBytes(chunks, total);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw fail('body is not valid UTF-8', 'invalid_json', err);
  }
  const parsed = parseJsonObject(text);
  if (parsed === undefined) {
    const what = type ? ` (content-type ${type.slice(0, 60)})` : '';
    throw fail(`${isJson(text) ? 'body is JSON but not an object' : 'body is not JSON'}${what}`, 'invalid_json');
  }
  return { url: options.finalUrl ?? url, status, headers: response.headers, body: parsed };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
