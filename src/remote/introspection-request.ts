import { base64 } from '../jose/bytes.js';
import { FetchError, VerifyError, describeValue } from '../errors.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../jose/compact.js';
import { configError } from '../option-checks.js';
import { fetchFailure, fetchJson, type FetchLike, type HttpOptions, type JsonResponse } from './http.js';
import { Secrets, formEncode, redactingFetch, scrub } from './introspection-secrets.js';

/**
 * Sending one RFC 7662 §2.1 introspection request: the form, client authentication (RFC 6749
 * §2.3.1), the one HTTP client `fetchJson`, and secrets kept out of every error.
 */

/** How the client authenticates at the introspection endpoint (RFC 6749 §2.3.1). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** RFC 7009 §2.1 / RFC 7662 §2.1 token type hints; the server may ignore them. */
export type TokenTypeHint = 'access_token' | 'refresh_token' | (string & {});

/** Client credentials and transport of one introspection request. */
export interface IntrospectionRequestOptions extends HttpOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `client_secret_basic`. */
  readonly clientAuthMethod?: ClientAuthMethod;
  readonly tokenTypeHint?: TokenTypeHint;
}

/** Defaults of the introspection client. */
export const INTROSPECTION_DEFAULTS = {
  clientAuthMethod: 'client_secret_basic',
  cacheMaxEntries: 1000,
  maxTokenLength: DEFAULT_MAX_TOKEN_LENGTH,
  /** Deepest nesting of objects and arrays accepted in a response (the response object is level 1). */
  maxResponseDepth: 32,
  /** First wait after a failed endpoint discovery, ms; doubles with each further failure. */
  discoveryBackoff: 1000,
  /** Longest wait between two discovery attempts while discovery keeps failing, ms. */
  maxDiscoveryBackoff: 30_000,
} as const;

/** Whether a parsed JSON value nests objects and arrays deeper than `max` levels (iterative, level by level). */
function nestedDeeperThan(root: object, max: number): boolean {
  let level: object[] = [root];
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > max) return true;
    const next: object[] = [];
    for (const v of level) {
      if (Array.isArray(v)) {
        for (const c of v as unknown[]) if (typeof c === 'object' && c !== null) next.push(c);
      } else {
        for (const k in v) {
          const c = (v as Record<string, unknown>)[k];
          if (typeof c === 'object' && c !== null) next.push(c);
        }
      }
    }
    level = next;
  }
  return false;
}

/**
 * Sends the introspection request (RFC 7662 §2.1): a form-encoded POST of `token` (and
 * `token_type_hint`) with client authentication, through `fetchJson` (deadline, size cap, https
 * rule, no redirects for POST). Returns the 2xx JSON object; every failure is a FetchError with
 * ERR_INTROSPECTION, the endpoint URL and the status when there was one. A response nesting
 * objects or arrays more than 32 levels deep is refused. Neither the token nor the secret (nor
 * the Basic credentials, in any encoding) appears in any message, stack, field or cause, even
 * when the server echoes the request in its `error_description`.
 */
export async function sendIntrospectionRequest(
  endpoint: string,
  token: string,
  options: IntrospectionRequestOptions,
): Promise<JsonResponse> {
  if (typeof token !== 'string' || token.length === 0) throw new VerifyError('ERR_MALFORMED', 'token must be a non-empty string');
  if (typeof options !== 'object' || options === null || typeof options.clientId !== 'string' || typeof options.clientSecret !== 'string') {
    throw configError('sendIntrospectionRequest needs options with a clientId and a clientSecret string');
  }
  if (options.tokenTypeHint !== undefined && typeof options.tokenTypeHint !== 'string') throw configError('tokenTypeHint must be a string');
  const form = new URLSearchParams({ token });
  if (options.tokenTypeHint !== undefined) form.set('token_type_hint', options.tokenTypeHint);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if ((options.clientAuthMethod ?? INTROSPECTION_DEFAULTS.clientAuthMethod) === 'client_secret_post') {
    form.set('client_id', options.clientId);
    form.set('client_secret', options.clientSecret);
  } else {
    // RFC 6749 §2.3.1: id and secret are form-encoded before Basic, so ':' and non-ASCII survive.
    const basic = base64(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`);
    headers.authorization = `Basic ${basic}`;
  }
  const secrets = new Secrets(options.clientId, options.clientSecret, token);
  const inner: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let res: JsonResponse;
  try {
    res = await fetchJson(endpoint, {
      ...options,
      fetch: redactingFetch(inner, secrets),
      code: 'ERR_INTROSPECTION',
      method: 'POST',
      headers,
      body: form.toString(),
    });
  } catch (err) {
    if (err instanceof FetchError && (err.status === 401 || err.status === 403)) {
      // RFC 7662 §2.1: the endpoint answers 401 when the client (not the token) is refused.
      throw scrub(
        new FetchError(
          err.code,
          err.url,
          `${err.message} (the server refused the client credentials of ${describeValue(options.clientId)})`,
          {
            cause: err,
            status: err.status,
          },
        ),
        secrets,
      );
    }
    throw scrub(err, secrets);
  }
  // Bounded nesting: the response is copied (cache) and shown (CLI, inspector); a 100,000-deep
  // array must be refused here rather than overflow a stack there.
  const max = INTROSPECTION_DEFAULTS.maxResponseDepth;
  if (nestedDeeperThan(res.body, max)) {
    throw fetchFailure('ERR_INTROSPECTION', res.url, `response nests objects or arrays more than ${max} levels deep`, {
      status: res.status,
    });
  }
  return res;
}
