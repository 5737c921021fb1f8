import { ClaimError, FetchError, VerifyError, describe, type ErrorCode } from '../errors.js';
import { base64 } from '../jose/bytes.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../jose/compact.js';
import { sha256Base64url } from '../jose/digest.js';
import { parseJsonObject } from '../jose/json.js';
import { discover, discoveryUrl } from './discovery.js';
import { fetchFailure, fetchJson, readBodyPrefix, type FetchLike, type HttpOptions, type JsonResponse } from './http.js';
import { checkUrl, redactUrl, requireUrl } from './url-policy.js';
import { checkNumber, configError, rejectUnknownOptions } from '../option-checks.js';
import { isIntrospectionCacheStore, type IntrospectionCacheStore } from './introspection-cache-store.js';

/**
 * OAuth 2.0 Token Introspection client (RFC 7662): asks the authorization server whether a token
 * is still active, for when revocation matters (opaque tokens, or JWTs that must not outlive a
 * logout). Split oauth4webapi-style into sending ({@link sendIntrospectionRequest}, over the one
 * HTTP client `fetchJson`) and processing ({@link processIntrospectionResponse}, pure), with
 * {@link createIntrospector} composing them with endpoint discovery and an optional short cache.
 */

/** How the client authenticates at the introspection endpoint (RFC 6749 §2.3.1). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** RFC 7009 §2.1 / RFC 7662 §2.1 token type hints; the server may ignore them. */
export type TokenTypeHint = 'access_token' | 'refresh_token' | (string & {});

/** The RFC 7662 §2.2 response for an active token. Standard members are type-checked. */
export interface IntrospectionResponse {
  readonly active: true;
  /** Space-separated scopes. */
  readonly scope?: string;
  readonly client_id?: string;
  readonly username?: string;
  readonly token_type?: string;
  /** Seconds since the epoch. */
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly iss?: string;
  readonly jti?: string;
  /** Every other member, as sent (e.g. `cnf`, `sid`, `authorization_details`). */
  readonly [member: string]: unknown;
}

/** Client credentials and transport of one introspection request. */
export interface IntrospectionRequestOptions extends HttpOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `client_secret_basic`. */
  readonly clientAuthMethod?: ClientAuthMethod;
  readonly tokenTypeHint?: TokenTypeHint;
}

/** What {@link processIntrospectionResponse} checks beyond the RFC 7662 shape. */
export interface IntrospectionChecks {
  /** When set and the response carries `iss`, it must equal this exactly (ERR_ISSUER). */
  readonly issuer?: string;
  /** When set, the response `aud` must contain one of these (ERR_AUDIENCE; absent: ERR_CLAIM_MISSING). */
  readonly audience?: string | readonly string[];
  /** Each must appear in the space-separated response `scope` (ERR_SCOPE). */
  readonly requiredScopes?: readonly string[];
  /** Clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Allowed clock skew for `exp` / `nbf`, seconds. Default 0. */
  readonly clockTolerance?: number;
}

/** Options of {@link createIntrospector}. */
export interface IntrospectorOptions extends HttpOptions {
  /** The introspection endpoint. Without it, `issuer`'s discovery document names it. */
  readonly endpoint?: string;
  /**
   * The authorization server's issuer identifier: discovery base when `endpoint` is absent, and
   * the value a response `iss` must equal when present.
   */
  readonly issuer?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `client_secret_basic`. */
  readonly clientAuthMethod?: ClientAuthMethod;
  /** When set, the response `aud` must contain one of these. */
  readonly audience?: string | readonly string[];
  /** Scopes every token must carry; `introspect(..., { requiredScopes })` adds to them. */
  readonly requiredScopes?: readonly string[];
  /** Allowed clock skew for the response `exp` / `nbf`, seconds. Default 0. */
  readonly clockTolerance?: number;
  /** Clock, ms since the epoch (checks and cache). Default `Date.now`. */
  readonly now?: () => number;
  /** Longest token sent, characters; longer fails ERR_MALFORMED without a request. Default 65536. */
  readonly maxTokenLength?: number;
  /**
   * Cache of active results. Default off: every call asks the server, so a revocation counts at
   * once. When on, a result is reused for at most `ttl` ms and never past the token's `exp`;
   * entries are keyed by the token's SHA-256, so tokens themselves are never kept. `store` adds a
   * second level shared by several processes (e.g. Redis), asked on a miss and written after every
   * active response with the same rules; its failures only cost a miss.
   */
  readonly cache?: { readonly ttl: number; readonly maxEntries?: number; readonly store?: IntrospectionCacheStore };
}

/** Per-call options of {@link Introspector.introspect}. */
export interface IntrospectOptions {
  readonly tokenTypeHint?: TokenTypeHint;
  /** Scopes this call needs, in addition to the introspector's `requiredScopes`. */
  readonly requiredScopes?: readonly string[];
}

/** Counters of an {@link Introspector}: requests, cache hits and failures. */
export interface IntrospectorStats {
  /** Introspection requests sent. */
  readonly requests: number;
  /** Calls answered from the cache. */
  readonly cacheHits: number;
  /** Entries in the cache now. */
  readonly cached: number;
}

/** An RFC 7662 introspection client with a bounded cache; see {@link createIntrospector}. */
export interface Introspector {
  /**
   * The RFC 7662 response of an active token that passes every configured check. Rejects with
   * ERR_INACTIVE (`active: false`), ERR_INTROSPECTION (request or response broken), ERR_DISCOVERY,
   * ERR_ISSUER, ERR_AUDIENCE, ERR_CLAIM_MISSING, ERR_EXPIRED, ERR_NOT_BEFORE, ERR_SCOPE, ERR_MALFORMED.
   */
  introspect(token: string, options?: IntrospectOptions): Promise<IntrospectionResponse>;
  /**
   * The endpoint URL, discovering it first when needed (ERR_DISCOVERY). Concurrent calls share
   * one discovery; after a failed one, calls fail at once with that error until a backoff has
   * passed (1 s after the first failure, doubling, at most 30 s), then the next call asks again.
   */
  endpoint(): Promise<string>;
  /** Counters since the introspector was created. */
  stats(): IntrospectorStats;
}

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

/** Every option {@link createIntrospector} accepts. */
const INTROSPECTOR_OPTIONS = [
  'endpoint',
  'issuer',
  'clientId',
  'clientSecret',
  'clientAuthMethod',
  'audience',
  'requiredScopes',
  'clockTolerance',
  'now',
  'maxTokenLength',
  'cache',
  'fetch',
  'timeout',
  'maxResponseSize',
  'allowHttp',
  'maxRedirects',
] as const;
const CACHE_OPTIONS = ['ttl', 'maxEntries', 'store'] as const;
const INTROSPECT_OPTIONS = ['tokenTypeHint', 'requiredScopes'] as const;

// ---- secrets out of errors ----------------------------------------------------------------

const REDACTED = '[redacted]';
/** Shorter secret forms are not redacted: they are no secret, and redacting them would shred every message. */
const MIN_REDACTED = 4;
/**
 * Messages truncate long values (`…`, fixed-length slices), which can leave the beginning of a
 * secret form: one this long is redacted anywhere, a shorter one (down to MIN_REDACTED) only
 * where a value was cut (before `…` or at the end of the text).
 */
const MIN_PARTIAL = 16;
/** Bytes of an error response read for its OAuth error; the rest is discarded (as the HTTP client does). */
const ERROR_BODY_LIMIT = 4096;
/** Cause chains kept at most this deep when an error is rebuilt without secrets. */
const MAX_CAUSE_DEPTH = 8;

/**
 * Every form in which the token and the client secret travel or may be echoed back: as is,
 * form-encoded, percent-encoded, inside the Basic credentials (base64 of `id:secret`, with either
 * encoding), and JSON- or inspect-escaped as messages show strings. Longest first.
 */
function secretForms(clientId: string, clientSecret: string, token?: string): string[] {
  const forms = new Set<string>();
  const uri = (v: string): string => {
    try {
      return encodeURIComponent(v);
    } catch {
      return formEncode(v); // lone surrogates
    }
  };
  const add = (v: string): void => {
    if (v.length < MIN_REDACTED) return;
    forms.add(v);
    forms.add(JSON.stringify(v).slice(1, -1));
    forms.add(v.replace(/[\\']/g, '\\$&'));
    forms.add(v.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  };
  for (const v of token !== undefined ? [clientSecret, token] : [clientSecret]) {
    add(v);
    add(formEncode(v));
    add(uri(v));
  }
  for (const pair of [
    `${formEncode(clientId)}:${formEncode(clientSecret)}`,
    `${clientId}:${clientSecret}`,
    `${uri(clientId)}:${uri(clientSecret)}`,
  ]) {
    const b64 = base64(pair);
    add(pair);
    add(b64);
    add(b64.replace(/=+$/, ''));
    add(base64(pair, true));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** `text` with every secret form, and every cut-off beginning of one, replaced by `[redacted]`. */
function redact(text: string, forms: readonly string[]): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
  for (const f of forms) {
    const head = f.slice(0, MIN_REDACTED);
    for (let i = out.indexOf(head); i !== -1; i = out.indexOf(head, i + 1)) {
      let n = MIN_REDACTED;
      while (n < f.length && i + n < out.length && out[i + n] === f[n]) n++;
      const cut = i + n === out.length || out[i + n] === '…';
      if (n >= MIN_PARTIAL || cut) {
        out = out.slice(0, i) + REDACTED + out.slice(i + n);
        i += REDACTED.length - 1;
      }
    }
  }
  return out;
}

/**
 * The secrets of one request and their {@link secretForms}, computed only when needed: first the
 * 4-character beginnings of every form, from the first 16 characters of each value (cheap even
 * for a 64 KiB token), and the full forms only for a text that contains one of them.
 */
class Secrets {
  #heads: readonly string[] | undefined;
  #forms: readonly string[] | undefined;

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
    readonly token?: string,
  ) {}

  /** `text` without any secret form (see {@link redact}). */
  redact(text: string): string {
    this.#heads ??= [
      ...new Set(
        secretForms(this.clientId, head(this.clientSecret), this.token === undefined ? undefined : head(this.token)).map((f) =>
          f.slice(0, MIN_REDACTED),
        ),
      ),
    ];
    if (!this.#heads.some((h) => text.includes(h))) return text;
    this.#forms ??= secretForms(this.clientId, this.clientSecret, this.token);
    return redact(text, this.#forms);
  }
}

/** The first 16 characters (17 to keep a surrogate pair whole): enough for the first 4 of every encoding. */
function head(v: string): string {
  if (v.length <= 16) return v;
  const c = v.charCodeAt(15);
  return v.slice(0, c >= 0xd800 && c <= 0xdbff ? 17 : 16);
}

/** A JSON-like value with its strings redacted; anything deeper than a few levels is withheld. */
function redactValue(v: unknown, forms: Secrets, depth = 0): unknown {
  if (typeof v === 'string') return forms.redact(v);
  if (typeof v !== 'object' || v === null) return v;
  if (depth >= 4) return REDACTED;
  if (Array.isArray(v)) return v.map((x) => redactValue(x, forms, depth + 1));
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[forms.redact(k)] = redactValue(x, forms, depth + 1);
  return o;
}

/** Errors already rebuilt by {@link scrub}. */
const SCRUBBED = new WeakSet<object>();

/** Whether `err` (a library error or a rebuilt one) or its causes carry a secret or a foreign error. */
function needsScrub(err: unknown, forms: Secrets, depth = 0): boolean {
  if (err === undefined) return false;
  if (depth > MAX_CAUSE_DEPTH || typeof err !== 'object' || err === null) return true;
  if (!SCRUBBED.has(err) && !(err instanceof VerifyError)) return true;
  const e = err as Error;
  if (forms.redact(e.message) !== e.message || (typeof e.stack === 'string' && forms.redact(e.stack) !== e.stack)) return true;
  for (const [k, v] of Object.entries(e)) {
    if (JSON.stringify(redactValue(v, forms)) !== JSON.stringify(v) || forms.redact(k) !== k) return true;
  }
  return needsScrub(e.cause, forms, depth + 1);
}

/**
 * `err` without any secret form in its message, stack, fields or causes. Library errors keep
 * their class, code and fields (redacted); any other cause (a platform or custom `fetch` error,
 * whose fields may hold the request) is reduced to name, redacted message and `code`.
 */
function scrub(err: unknown, forms: Secrets): unknown {
  try {
    return needsScrub(err, forms) ? rebuild(err, forms, 0) : err;
  } catch {
    const code = err instanceof VerifyError ? err.code : 'ERR_INTROSPECTION';
    return new VerifyError(code, `introspection failed with ${code} (details withheld: they could not be cleared of secrets)`);
  }
}

function rebuild(err: unknown, forms: Secrets, depth: number): Error {
  if (typeof err !== 'object' || err === null || !(err instanceof Error)) {
    const shown = typeof err === 'string' ? err : Object.prototype.toString.call(err);
    return mark(new Error(forms.redact(shown)));
  }
  const cause = depth < MAX_CAUSE_DEPTH && err.cause !== undefined ? rebuild(err.cause, forms, depth + 1) : undefined;
  const message = forms.redact(err.message);
  let copy: Error;
  if (err instanceof VerifyError) {
    copy = new VerifyError(err.code, message, cause !== undefined ? { cause } : undefined);
    Object.setPrototypeOf(copy, Object.getPrototypeOf(err) as object | null);
    for (const [k, v] of Object.entries(err))
      Object.defineProperty(copy, forms.redact(k), { value: redactValue(v, forms), enumerable: true, writable: true, configurable: true });
  } else {
    copy = new Error(message, cause !== undefined ? { cause } : undefined);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number')
      Object.assign(copy, { code: typeof code === 'string' ? forms.redact(code) : code });
  }
  copy.name = forms.redact(String(err.name));
  return mark(copy);
}

function mark(e: Error): Error {
  SCRUBBED.add(e);
  return e;
}

/**
 * A `fetch` that hands the HTTP client an error response (4xx/5xx) cleared of secrets: only the
 * RFC 6749 §5.2 `error` and `error_description`, redacted in full before any message truncates
 * them, and a redacted reason phrase. An authorization server that echoes the request (token,
 * client secret, Authorization header) in them cannot bring it into an error message.
 */
function redactingFetch(inner: FetchLike, forms: Secrets): FetchLike {
  return async (input, init) => {
    const res = await inner(input, init);
    const status: unknown = (res as { status?: unknown } | null)?.status;
    if (typeof status !== 'number' || status < 400 || status > 599) return res;
    const parsed = parseJsonObject(await readBodyPrefix(res, ERROR_BODY_LIMIT));
    const clean: Record<string, string> = {};
    if (typeof parsed?.error === 'string') {
      clean.error = forms.redact(parsed.error);
      if (typeof parsed.error_description === 'string') clean.error_description = forms.redact(parsed.error_description);
    }
    const init2 = { status, headers: { 'content-type': 'application/json' } };
    try {
      return new Response(JSON.stringify(clean), { ...init2, statusText: forms.redact(String(res.statusText ?? '')) });
    } catch {
      return new Response(JSON.stringify(clean), init2);
    }
  };
}

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

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
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
        new FetchError(err.code, err.url, `${err.message} (the server refused the client credentials of ${describe(options.clientId)})`, {
          cause: err,
          status: err.status,
        }),
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

const STRING_MEMBERS = ['scope', 'client_id', 'username', 'token_type', 'sub', 'iss', 'jti'] as const;
const TIME_MEMBERS = ['exp', 'iat', 'nbf'] as const;

function claimFail(code: ErrorCode, claim: string, reason: string, message: string, expected?: unknown, actual?: unknown): ClaimError {
  return new ClaimError(code, claim, reason, `introspection response: ${message}`, { expected, actual });
}

/**
 * Processes an introspection response (RFC 7662 §2.2) already fetched as a JSON object. Pure
 * and synchronous, so every rule is testable on a hand-built object:
 * - `active: false` → VerifyError ERR_INACTIVE;
 * - `active` missing or not a boolean, or a standard member of the wrong type → FetchError
 *   ERR_INTROSPECTION (the server broke the protocol; `url` and `status` name the response);
 * - then the token's own claims: `iss` (ERR_ISSUER), `aud` (ERR_AUDIENCE / ERR_CLAIM_MISSING),
 *   `exp` (ERR_EXPIRED), `nbf` (ERR_NOT_BEFORE), `scope` (ERR_SCOPE), as {@link ClaimError}s.
 * Returns a shallow copy of the response.
 */
export function processIntrospectionResponse(
  response: Pick<JsonResponse, 'url' | 'body'> & { readonly status?: number },
  checks: IntrospectionChecks = {},
): IntrospectionResponse {
  const { url, body } = response;
  const broken = (reason: string): FetchError =>
    fetchFailure('ERR_INTROSPECTION', url, reason, response.status !== undefined ? { status: response.status } : undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw broken(`response must be a JSON object, got ${describe(body, 40)}`);

  if (body.active === false)
    throw new VerifyError('ERR_INACTIVE', `token is not active (the introspection endpoint ${url} answered active: false)`);
  if (body.active !== true) throw broken(`response member "active" must be a boolean, got ${describe(body.active, 40)}`);
  for (const m of STRING_MEMBERS) {
    if (body[m] !== undefined && typeof body[m] !== 'string')
      throw broken(`response member "${m}" must be a string, got ${describe(body[m], 40)}`);
  }
  for (const m of TIME_MEMBERS) {
    const v = body[m];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      throw broken(`response member "${m}" must be a number of seconds, got ${describe(v, 40)}`);
  }
  const aud = body.aud;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    throw broken(`response member "aud" must be a string or an array of strings, got ${describe(aud, 40)}`);
  }

  if (checks.issuer !== undefined && body.iss !== undefined && body.iss !== checks.issuer) {
    throw claimFail(
      'ERR_ISSUER',
      'iss',
      'mismatch',
      `"iss" mismatch: expected ${describe(checks.issuer)}, got ${describe(body.iss)}`,
      checks.issuer,
      body.iss,
    );
  }
  if (checks.audience !== undefined) checkAudience(aud, checks.audience);

  const nowSec = (checks.now ?? Date.now)() / 1000;
  const tolerance = checks.clockTolerance ?? 0;
  const exp = body.exp as number | undefined;
  if (exp !== undefined && nowSec >= exp + tolerance) {
    throw claimFail(
      'ERR_EXPIRED',
      'exp',
      'expired',
      `token expired: "exp" is ${exp}, now is ${Math.floor(nowSec)} (tolerance ${tolerance} s)`,
      `> ${Math.floor(nowSec - tolerance)}`,
      exp,
    );
  }
  const nbf = body.nbf as number | undefined;
  if (nbf !== undefined && nbf > nowSec + tolerance) {
    throw claimFail(
      'ERR_NOT_BEFORE',
      'nbf',
      'not yet valid',
      `token not yet valid: "nbf" is ${nbf}, now is ${Math.floor(nowSec)} (tolerance ${tolerance} s)`,
      `<= ${Math.floor(nowSec + tolerance)}`,
      nbf,
    );
  }
  if (checks.requiredScopes !== undefined && checks.requiredScopes.length > 0)
    checkScopes(body.scope as string | undefined, checks.requiredScopes);
  return { ...body } as IntrospectionResponse;
}

function checkAudience(aud: string | readonly string[] | undefined, expected: string | readonly string[]): void {
  const accepted = typeof expected === 'string' ? [expected] : expected;
  if (aud === undefined)
    throw claimFail('ERR_CLAIM_MISSING', 'aud', 'missing', '"aud" is required (an audience is configured) but missing');
  const auds = typeof aud === 'string' ? [aud] : aud;
  if (auds.some((a) => accepted.includes(a))) return;
  const want = accepted.length === 1 ? accepted[0] : accepted;
  throw claimFail(
    'ERR_AUDIENCE',
    'aud',
    'mismatch',
    `"aud" mismatch: expected ${accepted.length === 1 ? describe(want) : `one of ${describe(want)}`}, got ${describe(aud)}`,
    want,
    aud,
  );
}

function checkScopes(scope: string | undefined, required: readonly string[]): void {
  if (scope === undefined)
    throw claimFail('ERR_SCOPE', 'scope', 'missing', `"scope" is missing: expected ${describe(required.join(' '))}`, required, undefined);
  const granted = new Set(scope.split(' '));
  const missing = required.filter((s) => !granted.has(s));
  if (missing.length > 0) {
    throw claimFail(
      'ERR_SCOPE',
      'scope',
      'insufficient',
      `"scope" lacks ${describe(missing)}: expected ${describe(required.join(' '))}, got ${describe(scope)}`,
      required,
      scope,
    );
  }
}

function checkStrings(name: string, v: unknown, allowSingle: boolean, noSpaces = false): void {
  if (v === undefined) return;
  const list = allowSingle && typeof v === 'string' ? [v] : v;
  if (
    !Array.isArray(list) ||
    (allowSingle && list.length === 0) ||
    list.some((s) => typeof s !== 'string' || s.length === 0 || (noSpaces && s.includes(' ')))
  ) {
    throw configError(
      `${name} must be ${allowSingle ? 'a non-empty string or a non-empty array' : 'an array'} of non-empty strings${noSpaces ? ' without spaces' : ''}`,
    );
  }
}

/** An introspection answer: sent now, or read from the shared cache (then with its expiry). */
type SharedOrSent = Pick<JsonResponse, 'url' | 'body'> & { readonly sharedUntil?: number };

interface CacheEntry {
  readonly body: Record<string, unknown>;
  readonly url: string;
  readonly expiresAt: number;
}

class IntrospectorImpl implements Introspector {
  readonly #options: IntrospectorOptions;
  readonly #now: () => number;
  readonly #maxTokenLength: number;
  readonly #cacheTtl: number;
  readonly #cacheMax: number;
  readonly #cache = new Map<string, CacheEntry>();
  /** In-flight requests by token hash; only used with the cache on, which already allows reuse. */
  readonly #inflight = new Map<string, Promise<SharedOrSent>>();
  #endpoint: string | undefined;
  #discovering: Promise<string> | undefined;
  /** Discovery failures in a row, when the next attempt may start, and the last failure. */
  #discoveryFailures = 0;
  #discoveryRetryAt = -Infinity;
  #discoveryError: VerifyError | undefined;
  #requests = 0;
  #cacheHits = 0;

  constructor(o: IntrospectorOptions) {
    if (typeof o !== 'object' || o === null) throw configError('introspector options must be an object');
    rejectUnknownOptions('createIntrospector', o, INTROSPECTOR_OPTIONS);
    const allowHttp = o.allowHttp === true;
    if (typeof o.clientId !== 'string' || o.clientId.length === 0) throw configError('clientId must be a non-empty string');
    if (typeof o.clientSecret !== 'string' || o.clientSecret.length === 0) throw configError('clientSecret must be a non-empty string');
    if (o.clientAuthMethod !== undefined && o.clientAuthMethod !== 'client_secret_basic' && o.clientAuthMethod !== 'client_secret_post') {
      throw configError(`clientAuthMethod must be "client_secret_basic" or "client_secret_post", got ${describe(o.clientAuthMethod)}`);
    }
    if (o.endpoint === undefined && o.issuer === undefined)
      throw configError('introspection needs an endpoint or an issuer to discover it from');
    if (o.endpoint !== undefined) this.#endpoint = requireUrl('introspection endpoint', o.endpoint, allowHttp).href;
    if (o.issuer !== undefined) {
      if (typeof o.issuer !== 'string' || o.issuer.length === 0) throw configError('issuer must be a non-empty string');
      // Checked even when it only serves the iss comparison: a bad issuer is a bad configuration.
      discoveryUrl(o.issuer, allowHttp);
    }
    checkStrings('audience', o.audience, true);
    checkStrings('requiredScopes', o.requiredScopes, false, true);
    checkNumber('timeout', o.timeout, 1);
    checkNumber('maxResponseSize', o.maxResponseSize, 1, true);
    checkNumber('clockTolerance', o.clockTolerance, 0);
    checkNumber('maxTokenLength', o.maxTokenLength, 1, true);
    checkNumber('maxRedirects', o.maxRedirects, 0, true);
    if (o.allowHttp !== undefined && typeof o.allowHttp !== 'boolean') throw configError('allowHttp must be a boolean');
    if (o.now !== undefined && typeof o.now !== 'function') throw configError('now must be a function returning ms');
    if (o.fetch !== undefined && typeof o.fetch !== 'function') throw configError('fetch must be a function');
    if (o.cache !== undefined) {
      if (typeof o.cache !== 'object' || o.cache === null) throw configError('cache must be an object { ttl, maxEntries? }');
      rejectUnknownOptions('createIntrospector cache', o.cache, CACHE_OPTIONS);
      if (o.cache.ttl === undefined) throw configError('cache.ttl (ms) is required when the cache is on');
      checkNumber('cache.ttl', o.cache.ttl, 1);
      checkNumber('cache.maxEntries', o.cache.maxEntries, 1, true);
      if (o.cache.store !== undefined && !isIntrospectionCacheStore(o.cache.store))
        throw configError('cache.store must have get(key) and set(key, entry) methods');
    }
    this.#options = o;
    this.#now = o.now ?? Date.now;
    this.#maxTokenLength = o.maxTokenLength ?? INTROSPECTION_DEFAULTS.maxTokenLength;
    this.#cacheTtl = o.cache?.ttl ?? 0;
    this.#cacheMax = o.cache?.maxEntries ?? INTROSPECTION_DEFAULTS.cacheMaxEntries;
  }

  async endpoint(): Promise<string> {
    if (this.#endpoint !== undefined) return this.#endpoint;
    if (this.#discovering === undefined) {
      // A failing discovery is asked again only after a backoff (1 s, doubling, at most 30 s):
      // a stampede of calls during an outage must not become a stampede of requests.
      const last = this.#discoveryError;
      const wait = this.#discoveryRetryAt - this.#now();
      if (last !== undefined && wait > 0) throw this.#backingOff(last, wait);
      // Single flight: concurrent calls share one discovery.
      this.#discovering = this.#discover().then(
        (endpoint) => {
          this.#discoveryFailures = 0;
          this.#discoveryRetryAt = -Infinity;
          this.#discoveryError = undefined;
          return endpoint;
        },
        (err: unknown) => {
          const e =
            err instanceof VerifyError
              ? err
              : fetchFailure('ERR_DISCOVERY', this.#discoveryUrl(), `discovery failed: ${describe(String(err))}`, { cause: err });
          this.#discoveryFailures++;
          const d = INTROSPECTION_DEFAULTS;
          this.#discoveryRetryAt =
            this.#now() + Math.min(d.discoveryBackoff * 2 ** Math.min(this.#discoveryFailures - 1, 20), d.maxDiscoveryBackoff);
          this.#discoveryError = e;
          throw e;
        },
      );
      this.#discovering
        .finally(() => {
          this.#discovering = undefined;
        })
        .catch(() => undefined);
    }
    return this.#discovering;
  }

  #discoveryUrl(): string {
    return discoveryUrl(this.#options.issuer as string, this.#options.allowHttp === true);
  }

  /** The error of a call that arrives while discovery backs off: the last failure, and when the next attempt is. */
  #backingOff(last: VerifyError, wait: number): VerifyError {
    const url = last instanceof FetchError ? last.url : this.#discoveryUrl();
    const status = last instanceof FetchError ? last.status : undefined;
    const n = this.#discoveryFailures;
    return new FetchError(
      last.code,
      url,
      `${last.message} (not retried for ${Math.ceil(wait / 1000)} s after ${n} failed discover${n === 1 ? 'y' : 'ies'})`,
      { cause: last, ...(status !== undefined ? { status } : {}) },
    );
  }

  async #discover(): Promise<string> {
    const o = this.#options;
    const issuer = o.issuer as string;
    const http = this.#http();
    const metadata = await discover(issuer, http);
    const ep = metadata.introspection_endpoint;
    const url = discoveryUrl(issuer, o.allowHttp === true);
    if (typeof ep !== 'string' || ep.length === 0) {
      throw fetchFailure(
        'ERR_DISCOVERY',
        url,
        `introspection_endpoint is missing or not a string (${describe(typeof ep === 'string' ? redactUrl(ep) : ep)})`,
      );
    }
    const checked = checkUrl(ep, o.allowHttp === true);
    if (typeof checked === 'string')
      throw fetchFailure('ERR_DISCOVERY', url, `introspection_endpoint ${describe(redactUrl(ep))} refused: ${checked}`);
    this.#endpoint = checked.href;
    return checked.href;
  }

  #http(): HttpOptions {
    const o = this.#options;
    return {
      ...(o.fetch !== undefined ? { fetch: o.fetch } : {}),
      ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
      ...(o.maxResponseSize !== undefined ? { maxResponseSize: o.maxResponseSize } : {}),
      ...(o.allowHttp !== undefined ? { allowHttp: o.allowHttp } : {}),
      ...(o.maxRedirects !== undefined ? { maxRedirects: o.maxRedirects } : {}),
    };
  }

  async introspect(token: string, options: IntrospectOptions = {}): Promise<IntrospectionResponse> {
    if (typeof token !== 'string' || token.length === 0) throw new VerifyError('ERR_MALFORMED', 'token must be a non-empty string');
    if (token.length > this.#maxTokenLength) {
      throw new VerifyError('ERR_MALFORMED', `token is ${token.length} characters, more than maxTokenLength ${this.#maxTokenLength}`);
    }
    if (typeof options !== 'object' || options === null) throw configError('introspect options must be an object');
    rejectUnknownOptions('introspect', options, INTROSPECT_OPTIONS);
    if (options.tokenTypeHint !== undefined && (typeof options.tokenTypeHint !== 'string' || options.tokenTypeHint.length === 0)) {
      throw configError('tokenTypeHint must be a non-empty string');
    }
    checkStrings('requiredScopes', options.requiredScopes, false, true);
    try {
      return await this.#introspect(token, options);
    } catch (err) {
      throw scrub(err, new Secrets(this.#options.clientId, this.#options.clientSecret, token));
    }
  }

  async #introspect(token: string, options: IntrospectOptions): Promise<IntrospectionResponse> {
    const o = this.#options;
    const checks: IntrospectionChecks = {
      ...(o.issuer !== undefined ? { issuer: o.issuer } : {}),
      ...(o.audience !== undefined ? { audience: o.audience } : {}),
      requiredScopes: [...(o.requiredScopes ?? []), ...(options.requiredScopes ?? [])],
      now: this.#now,
      clockTolerance: o.clockTolerance ?? 0,
    };

    if (this.#cacheTtl === 0) return processIntrospectionResponse(await this.#send(token, options), checks);

    const key = sha256Base64url(token);
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#cache.delete(key);
      if (hit.expiresAt > this.#now()) {
        this.#cache.set(key, hit); // most recently used last
        this.#cacheHits++;
        return processIntrospectionResponse({ url: hit.url, body: structuredClone(hit.body) }, checks);
      }
    }
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#sharedOrSend(key, token, options).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const res = await pending;
    const result = processIntrospectionResponse(res, checks);
    // A shared entry keeps its own expiry and is not written back.
    this.#remember(key, res, res.sharedUntil ?? Infinity, res.sharedUntil === undefined);
    return result;
  }

  /** The shared cache's entry (a cache hit), else a request. The store failing counts as a miss. */
  async #sharedOrSend(key: string, token: string, options: IntrospectOptions): Promise<SharedOrSent> {
    const store = this.#options.cache?.store;
    if (store !== undefined) {
      const entry = await Promise.resolve()
        .then(() => store.get(key))
        .catch(() => undefined);
      const now = this.#now();
      if (
        typeof entry === 'object' &&
        entry !== null &&
        typeof entry.body === 'object' &&
        entry.body !== null &&
        typeof entry.url === 'string' &&
        typeof entry.expiresAt === 'number' &&
        entry.expiresAt > now
      ) {
        this.#cacheHits++;
        return { url: entry.url, body: structuredClone(entry.body), sharedUntil: entry.expiresAt };
      }
    }
    return this.#send(token, options);
  }

  async #send(token: string, options: IntrospectOptions): Promise<JsonResponse> {
    const endpoint = await this.endpoint();
    const o = this.#options;
    this.#requests++;
    return sendIntrospectionRequest(endpoint, token, {
      ...this.#http(),
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      ...(o.clientAuthMethod !== undefined ? { clientAuthMethod: o.clientAuthMethod } : {}),
      ...(options.tokenTypeHint !== undefined ? { tokenTypeHint: options.tokenTypeHint } : {}),
    });
  }

  /** Keeps an active result for at most the TTL and never past the token's `exp`. */
  #remember(key: string, res: Pick<JsonResponse, 'url' | 'body'>, until = Infinity, share = true): void {
    if (this.#cache.has(key)) return; // a concurrent call of the same flight stored it
    const now = this.#now();
    const exp = typeof res.body.exp === 'number' ? res.body.exp * 1000 : Infinity;
    const expiresAt = Math.min(now + this.#cacheTtl, exp, until);
    if (expiresAt <= now) return;
    for (const [k, e] of this.#cache) {
      if (this.#cache.size < this.#cacheMax && e.expiresAt > now) break;
      this.#cache.delete(k); // expired, or the least recently used over the bound
    }
    this.#cache.set(key, { body: structuredClone(res.body), url: res.url, expiresAt });
    const store = this.#options.cache?.store;
    if (share && store !== undefined) {
      try {
        store.set(key, { body: structuredClone(res.body), url: res.url, expiresAt }).catch(() => undefined);
      } catch {
        // a store that throws synchronously only loses the shared entry
      }
    }
  }

  stats(): IntrospectorStats {
    return { requests: this.#requests, cacheHits: this.#cacheHits, cached: this.#cache.size };
  }
}

/**
 * Creates an RFC 7662 introspection client. Throws ERR_CONFIG for bad options (an unknown option
 * name, missing client credentials, neither `endpoint` nor `issuer`, a URL the https rule refuses,
 * bad numbers); the messages never show option values that may be secret (credentials in URLs
 * are shown as `[redacted]`).
 */
export function createIntrospector(options: IntrospectorOptions): Introspector {
  return new IntrospectorImpl(options);
}
