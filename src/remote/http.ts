import { FetchError, VerifyError, type FetchFailureReason } from '../errors.js';
import { checkUrl } from './url-policy.js';
import { Deadline } from './deadline.js';
import { HTTP_DEFAULTS, MAX_TIMEOUT, type FetchLike, type JsonResponse, type RequestOptions } from './http-options.js';
import { discardBody, fetchFailure, networkReason, positive, processJsonResponse } from './json-response.js';

/**
 * The one HTTP client of the library: GET (or POST for introspection) of a JSON object over the
 * platform `fetch`, with a deadline, a response-size cap, manual redirects re-checked at every hop
 * and the https rule of {@link checkUrl}. Split oauth4webapi-style into sending
 * ({@link fetchJson}) and processing ({@link processJsonResponse}), so every response rule is
 * testable on a hand-built `Response` without a network.
 */

export * from './http-options.js';
export { Deadline } from './deadline.js';
export { fetchFailure, isJsonContentType, processJsonResponse, readBodyPrefix, type ProcessOptions } from './json-response.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

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
