import { checkNumber, configError } from '../option-checks.js';

/** The transport options of the one HTTP client (remote/http.ts): types, defaults, checks. */

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
