import { FetchError, VerifyError, describe, type FetchFailureReason } from '../errors.js';
import { parseJsonObject } from '../jose/json.js';
import { checkUrl } from './url-policy.js';
import { checkNumber, configError } from '../option-checks.js';

/**
 * The one HTTP client of the library: GET (or POST for introspection) of a JSON object over the
 * platform `fetch`, with a deadline, a response-size cap, manual redirects re-checked at every hop
 * and the https rule of {@link checkUrl}. Split oauth4webapi-style into sending
 * ({@link fetchJson}) and processing ({@link processJsonResponse}), so every response rule is
 * testable on a hand-built `Response` without a network.
 */

/** Error codes a remote operation fails with. */
export type RemoteErrorCode = 'ERR_JWKS_FETCH' | 'ERR_DISCOVERY' | 'ERR_INTROSPECTION';

/** The subset of `fetch` the library calls; the platform `fetch` fits, so do proxies' wrappers. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Transport options shared by discovery, JWKS and introspection. */
export interface HttpOptions {
  /** `fetch` implementation (proxies, tests). Default: `globalThis.fetch` at call time. */
  readonly fetch?: FetchLike;
  /** Deadline for the whole exchange (every redirect hop and the body), ms. Default 5000; at most 2^31-1. */
  readonly timeout?: number;
  /** Maximum response body size, bytes. Default 524288 (512 KiB). */
  readonly maxResponseSize?: number;
  /** Allow plain http to non-loopback hosts. Default false. */
  readonly allowHttp?: boolean;
  /** Maximum redirects followed. Default 3. */
  readonly maxRedirects?: number;
}

/** Every member of {@link HttpOptions}. */
export const HTTP_OPTION_NAMES: readonly (keyof HttpOptions)[] = Object.keys({
  fetch: true,
  timeout: true,
  maxResponseSize: true,
  allowHttp: true,
  maxRedirects: true,
} satisfies Record<keyof HttpOptions, true>) as (keyof HttpOptions)[];

export interface RequestOptions extends HttpOptions {
  /** The code every failure of this request carries. */
  readonly code: RemoteErrorCode;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body (POST only), e.g. a form-encoded introspection request. */
  readonly body?: string;
  /** Refuse a 2xx answer whose Content-Type is not JSON. Default: true, except for ERR_INTROSPECTION. */
  readonly requireJsonContentType?: boolean;
}

/** A successful JSON response. */
export interface JsonResponse {
  /** The URL that finally answered (after redirects). */
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON object (`__proto__` members dropped). */
  readonly body: Record<string, unknown>;
}

export const HTTP_DEFAULTS = {
  timeout: 5000,
  maxResponseSize: 512 * 1024,
  maxRedirects: 3,
} as const;

const LABELS: Record<RemoteErrorCode, string> = {
  ERR_JWKS_FETCH: 'JWKS',
  ERR_DISCOVERY: 'discovery',
  ERR_INTROSPECTION: 'introspection',
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Largest delay `setTimeout` honours (a longer one fires at once). */
export const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * Checks transport options (ERR_CONFIG): `timeout` 1..2^31-1 ms, `maxResponseSize` an integer
 * >= 1, `maxRedirects` an integer >= 0, `allowHttp` a boolean, `fetch` a function.
 */
export function checkHttpOptions(o: HttpOptions): void {
  checkNumber('timeout', o.timeout, 1);
  if (o.timeout !== undefined && o.timeout > MAX_TIMEOUT) {
    throw configError(`timeout must be at most ${MAX_TIMEOUT} ms (setTimeout's limit), got ${o.timeout}`);
  }
  checkNumber('maxResponseSize', o.maxResponseSize, 1, true);
  checkNumber('maxRedirects', o.maxRedirects, 0, true);
  if (o.allowHttp !== undefined && typeof o.allowHttp !== 'boolean') throw configError('allowHttp must be a boolean');
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw configError('fetch must be a function');
}

/** The members of {@link HttpOptions} that `o` sets (undefined ones mean "default" and are left out). */
export function pickHttpOptions(o: HttpOptions): HttpOptions {
  return {
    ...(o.fetch !== undefined ? { fetch: o.fetch } : {}),
    ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
    ...(o.maxResponseSize !== undefined ? { maxResponseSize: o.maxResponseSize } : {}),
    ...(o.allowHttp !== undefined ? { allowHttp: o.allowHttp } : {}),
    ...(o.maxRedirects !== undefined ? { maxRedirects: o.maxRedirects } : {}),
  };
}

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

/**
 * One deadline for a whole exchange. Besides aborting the signal it rejects a race, so a custom
 * `fetch` (or body stream) that ignores the signal still cannot hang the caller.
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #aborted: Promise<never>;
  #expired = false;

  constructor(readonly ms: number) {
    this.#aborted = new Promise<never>((_, reject) => {
      this.#controller.signal.addEventListener('abort', () => reject(this.#controller.signal.reason as Error), { once: true });
    });
    this.#aborted.catch(() => undefined);
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#controller.abort(new Error(`timed out after ${ms} ms`));
    }, ms);
    // A pending request must never be what keeps the process alive.
    this.#timer.unref?.();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the deadline passed (as opposed to a cancel). */
  get expired(): boolean {
    return this.#expired;
  }

  race<T>(p: Promise<T>): Promise<T> {
    p.catch(() => undefined);
    return Promise.race([p, this.#aborted]);
  }

  /** Tears the connection down early (oversized body, refused redirect). */
  cancel(): void {
    clearTimeout(this.#timer);
    if (!this.#controller.signal.aborted) this.#controller.abort(new Error('cancelled'));
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

function positive(v: number | undefined, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : dflt;
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return `network error: ${detail !== undefined ? `${msg} (${detail})` : msg}`;
}

/**
 * Drops an unwanted body without waiting: a custom `fetch` may hand back a stream whose `cancel()`
 * never settles, and waiting for it would outlive the deadline (and wedge the single flight).
 */
function discardBody(response: Response): void {
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

/**
 * Fetches `url` and returns its JSON object body. Every failure is a {@link FetchError} with
 * `options.code`, the URL and the reason (status, timeout, too large, not JSON, refused URL, ...).
 */
export async function fetchJson(url: string, options: RequestOptions): Promise<JsonResponse> {
  const code = options.code;
  const timeout = positive(options.timeout, HTTP_DEFAULTS.timeout);
  if (timeout > MAX_TIMEOUT) {
    throw new VerifyError('ERR_CONFIG', `timeout must be at most ${MAX_TIMEOUT} ms (setTimeout's limit), got ${timeout}`);
  }
  const maxResponseSize = positive(options.maxResponseSize, HTTP_DEFAULTS.maxResponseSize);
  const maxRedirects = options.maxRedirects ?? HTTP_DEFAULTS.maxRedirects;
  const allowHttp = options.allowHttp === true;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const method = options.method ?? 'GET';
  let headers: Record<string, string> = { accept: 'application/json', ...options.headers };

  const deadline = new Deadline(timeout);
  let current = url;
  let hops = 0;
  const fail = (reason: string, extra: { cause?: unknown; status?: number; reason: FetchFailureReason }): FetchError =>
    fetchFailure(code, url, hops > 0 ? `${reason} (at redirect hop ${hops}: ${current})` : reason, extra);
  try {
    for (;;) {
      const checked = checkUrl(current, allowHttp);
      if (typeof checked === 'string') throw fail(checked, { reason: 'url_refused' });
      let response: Response;
      try {
        response = await deadline.race(
          fetchFn(checked.href, {
            method,
            headers,
            ...(options.body !== undefined ? { body: options.body } : {}),
            redirect: 'manual',
            signal: deadline.signal,
          }),
        );
      } catch (err) {
        if (deadline.expired) throw fail(`timed out after ${timeout} ms`, { cause: err, reason: 'timeout' });
        throw fail(networkReason(err), { cause: err, reason: 'network' });
      }
      if (!REDIRECT_STATUSES.has(response.status)) {
        return await processJsonResponse(response, {
          code,
          url,
          maxResponseSize,
          deadline,
          ...(hops > 0 ? { finalUrl: current } : {}),
          ...(options.requireJsonContentType !== undefined ? { requireJsonContentType: options.requireJsonContentType } : {}),
        });
      }
      discardBody(response);
      const location = response.headers.get('location');
      const redirect = { status: response.status, reason: 'redirect' } as const;
      if (location === null) throw fail(`HTTP ${response.status} redirect without a Location header`, redirect);
      if (method !== 'GET') throw fail(`HTTP ${response.status} redirect not followed for a ${method} request`, redirect);
      if (hops >= maxRedirects) throw fail(`more than ${maxRedirects} redirects`, redirect);
      let next: URL;
      try {
        next = new URL(location, checked);
      } catch {
        throw fail(`HTTP ${response.status} redirect to an invalid Location`, redirect);
      }
      // Credentials configured for one origin never travel to another.
      if (next.origin !== checked.origin) headers = { accept: headers.accept ?? 'application/json' };
      hops++;
      current = next.href;
    }
  } catch (err) {
    if (err instanceof FetchError) throw err;
    if (deadline.expired) throw fail(`timed out after ${timeout} ms`, { cause: err, reason: 'timeout' });
    throw fail(networkReason(err), { cause: err, reason: 'network' });
  } finally {
    deadline.clear();
  }
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
  return Buffer.concat(chunks, total).toString('utf8');
}

/**
 * An OAuth error response (RFC 6749 §5.2) names what went wrong (`invalid_client`, ...): read a
 * bounded prefix of a non-2xx body for it. Anything else about the body is ignored.
 */
async function oauthErrorHint(response: Response, deadline: ProcessOptions['deadline']): Promise<string> {
  const err = parseJsonObject(await readBodyPrefix(response, ERROR_BODY_LIMIT, deadline));
  if (typeof err?.error !== 'string') return '';
  const description = typeof err.error_description === 'string' ? ` (${describe(err.error_description, 120)})` : '';
  return `: error ${describe(err.error, 60)}${description}`;
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
      `expected a JSON response (application/json or a +json type), got ${type === null ? 'no Content-Type' : `Content-Type ${describe(type, 60)}`}`,
      'content_type',
    );
  }
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > max) {
    discardBody(response);
    deadline?.cancel();
    throw fail(`response too large: Content-Length ${declared} exceeds the ${max}-byte limit`, 'too_large');
  }

  let bytes: Buffer;
  const body = response.body;
  if (body === null) {
    bytes = Buffer.alloc(0);
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
    bytes = Buffer.concat(chunks, total);
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
