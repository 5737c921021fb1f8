import { base64 } from '../jose/bytes.js';
import { VerifyError } from '../errors.js';
import { parseJsonObject } from '../jose/json.js';
import { readBodyPrefix, type FetchLike } from './http.js';

/**
 * Keeping the introspection secrets (the token, the client secret and the Basic credentials, in
 * every encoding) out of every error: {@link Secrets} finds their forms in a text, {@link scrub}
 * rebuilds an error without them, {@link redactingFetch} clears an error response before the HTTP
 * client turns it into a message.
 */

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
export class Secrets {
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
export function scrub(err: unknown, forms: Secrets): unknown {
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
export function redactingFetch(inner: FetchLike, forms: Secrets): FetchLike {
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

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
