import { VerifyError, type KeyRejection } from '../errors.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import type { VerificationKey } from '../keys/jwk.js';
import { KeySet, keyNotFound, type KeyMatch } from '../keys/key-set.js';
import { freshness } from './cache-control.js';
import type { RefreshReason, RemoteKeyEvent, RemoteKeyListener } from './events.js';
import { HTTP_DEFAULTS, fetchFailure, fetchJson, type FetchLike } from './http.js';
import { expiredError, installEvents, seconds } from './jwks-cache-events.js';
import { COLD, FIRST_BACKOFF, failed, installed, mayFetch, phase, type JwksFreshness } from './jwks-freshness.js';
import { REMOTE_DEFAULTS, monotonic, type JwksCacheOptions } from './jwks-options.js';
import { persist, readPersisted, type JwksStore } from './jwks-store.js';

/**
 * The cache of one JWKS URL, shared by every source that uses it (see `sharedJwksCache` in
 * jwks-registry.ts).
 *
 * Lifecycle of the cached set: the phases of its freshness state (the table on `JwksFreshness` in
 * jwks-freshness.ts), judged by the monotonic clock (never the verification instant `now`).
 * An unknown `kid` refetches at once, then not again for `cooldown`; a kid missing from a fetch
 * made after its token arrived is remembered as absent for at most `cooldown` (OIDC Core §10.1.1:
 * an unfamiliar kid is the signal to go back to the jwks_uri). All fetches are single-flight.
 */

/** Kids remembered as absent (each for at most the cooldown); beyond this, cooldown alone limits requests. */
const MAX_NEGATIVE = 1000;
const MAX_TIMER = 2 ** 31 - 1;

type Keys = readonly VerificationKey[];

const noop = (): void => undefined;

/**
 * What a miss is remembered by, or undefined when a refetch cannot help: the token names a kid
 * the set has, but that key does not fit the alg (an alg-confusion attempt must cost no request).
 */
function missKey(header: JoseHeader, alg: Algorithm, m: KeyMatch): string | undefined {
  if (typeof header.kid === 'string') return m.keys === undefined && m.unknownKid !== undefined ? `kid:${header.kid}` : undefined;
  if (typeof header['x5t#S256'] === 'string') return `x5t#S256:${header['x5t#S256']}`;
  if (typeof header.x5t === 'string') return `x5t:${header.x5t}`;
  return `alg:${alg}`;
}

export class JwksCache {
  readonly uri: string;
  readonly #http: {
    fetch?: FetchLike;
    timeout: number;
    maxResponseSize: number;
    allowHttp: boolean;
    maxRedirects: number;
  };
  readonly #now: () => number;
  readonly #cooldown: number;
  readonly #maxStale: number;
  readonly #maxKeys: number;
  readonly #listeners = new Set<RemoteKeyListener>();
  /** Called when the last user released the cache (the registry parks or disposes it). */
  readonly #onIdle: () => void;
  readonly #store: JwksStore | undefined;
  #storeRead = false;

  #set: KeySet | undefined;
  #setSeq = 0;
  /** Refresh, freshness, stale and backoff instants (pure; see jwks-freshness.ts). */
  #f: JwksFreshness = COLD;

  /** Fetches started so far; a fetch with a higher number started after a caller arrived. */
  #seq = 0;
  #inflight: Promise<KeySet> | undefined;
  #lastUnknownFetchAt = -Infinity;
  #cooldownNotifiedFor = -Infinity;
  /** Kids (and other miss keys) absent from a fetch, with when that was learnt. */
  readonly #negative = new Map<string, number>();

  #lastError: VerifyError | undefined;
  #staleNotified = false;

  #timer: ReturnType<typeof setTimeout> | undefined;
  #reads = 0;
  #readsAtAttempt = 0;
  #refs = 0;
  #closed = false;

  #fetches = 0;
  #hits = 0;
  #errors = 0;
  #staleServed = 0;
  #cooldownRejections = 0;
  #lastRefresh: number | undefined;

  constructor(uri: string, options: JwksCacheOptions = {}, onIdle: () => void = noop) {
    this.uri = uri;
    this.#http = {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      timeout: options.timeout ?? HTTP_DEFAULTS.timeout,
      maxResponseSize: options.maxResponseSize ?? HTTP_DEFAULTS.maxResponseSize,
      allowHttp: options.allowHttp === true,
      maxRedirects: options.maxRedirects ?? HTTP_DEFAULTS.maxRedirects,
    };
    this.#now = options.monotonicClock ?? monotonic;
    this.#cooldown = options.cooldown ?? REMOTE_DEFAULTS.cooldown;
    this.#maxStale = options.maxStale ?? REMOTE_DEFAULTS.maxStale;
    this.#maxKeys = options.maxKeys ?? REMOTE_DEFAULTS.maxKeys;
    this.#onIdle = onIdle;
    this.#store = options.jwksStore;
  }

  /** The current key set, if one was ever fetched. */
  get keySet(): KeySet | undefined {
    return this.#set;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Candidate keys for a token: the array itself when the cached set can answer now, a promise
   * only when a fetch is needed. Throws / rejects with ERR_KEY_NOT_FOUND or ERR_JWKS_FETCH.
   */
  getKeys(header: JoseHeader, alg: Algorithm): Keys | Promise<Keys> {
    this.#reads++;
    const set = this.#set;
    if (set !== undefined && phase(this.#f, this.#now()) === 'fresh') {
      const m = set.select(header, alg);
      if (m.keys !== undefined) {
        this.#hits++;
        return m.keys;
      }
      return this.#miss(header, alg, m, this.#seq);
    }
    return this.#slow(header, alg, this.#seq);
  }

  /** Loads the set if it is missing or expired; resolves when usable keys (maybe stale) are cached. */
  async ensure(): Promise<void> {
    if (this.#set !== undefined && this.#now() < this.#f.freshUntil) return;
    try {
      await (this.#inflight ?? this.#refresh(this.#set === undefined ? 'cold' : 'expired'));
    } catch (err) {
      if (this.#set !== undefined && this.#now() < this.#f.staleUntil) {
        this.#noteStale(this.#now());
        return;
      }
      throw err;
    }
  }

  /** Adds an event listener; returns its remover. */
  subscribe(listener: RemoteKeyListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many users hold this cache now (acquired and not yet released). */
  get users(): number {
    return this.#refs;
  }

  /** Counts a user; {@link release} the same number of times to stop timers. */
  acquire(): this {
    this.#refs++;
    return this;
  }

  /**
   * The last release stops the refresh timer and drops the listeners; the cached set stays for a
   * later user of the same URL (the registry keeps a few idle caches, see jwks-registry.ts).
   */
  release(): void {
    if (this.#refs === 0 || --this.#refs > 0 || this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
    this.#onIdle();
  }

  /** Frees the cache for good: the registry never hands it out again. */
  dispose(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  stats(): {
    fetches: number;
    cacheHits: number;
    errors: number;
    lastRefresh: number | undefined;
    keys: number;
    staleServed: number;
    cooldownRejections: number;
  } {
    return {
      fetches: this.#fetches,
      cacheHits: this.#hits,
      errors: this.#errors,
      lastRefresh: this.#lastRefresh,
      keys: this.#set?.keys.length ?? 0,
      staleServed: this.#staleServed,
      cooldownRejections: this.#cooldownRejections,
    };
  }

  // ---- lookups ----------------------------------------------------------------------------

  #slow(header: JoseHeader, alg: Algorithm, seq: number): Keys | Promise<Keys> {
    const t = this.#now();
    const set = this.#set;
    if (set === undefined) {
      if (this.#inflight !== undefined) return this.#inflight.then(() => this.#lookup(header, alg, seq));
      // A failing endpoint is asked again only after the backoff: a stampede must not become a DoS.
      if (!mayFetch(this.#f, t) && this.#lastError !== undefined) throw this.#lastError;
      return this.#refresh('cold').then(() => this.#lookup(header, alg, seq));
    }
    const now = phase(this.#f, t);
    if (now === 'fresh') return this.#serve(set, header, alg, seq);
    if (now !== 'expired') {
      this.#kick(t, now === 'refresh-ahead' ? 'refresh-ahead' : 'expired');
      if (now === 'stale-if-error') this.#noteStale(t);
      return this.#serve(set, header, alg, seq);
    }
    if (this.#inflight === undefined && !mayFetch(this.#f, t)) throw expiredError(this.uri, this.#lastError, t - this.#f.fetchedAt);
    const p = this.#inflight ?? this.#refresh('expired');
    return p.then(
      () => this.#lookup(header, alg, seq),
      (err: unknown) => {
        const t2 = this.#now();
        if (this.#set !== undefined && t2 < this.#f.staleUntil) {
          this.#noteStale(t2);
          return this.#lookup(header, alg, seq);
        }
        throw this.#set !== undefined ? expiredError(this.uri, this.#lastError, t2 - this.#f.fetchedAt) : err;
      },
    );
  }

  #serve(set: KeySet, header: JoseHeader, alg: Algorithm, seq: number): Keys | Promise<Keys> {
    const m = set.select(header, alg);
    if (m.keys !== undefined) {
      this.#hits++;
      return m.keys;
    }
    return this.#miss(header, alg, m, seq);
  }

  /** After a fetch settled: answer from whatever set is cached now. */
  #lookup(header: JoseHeader, alg: Algorithm, seq: number): Keys | Promise<Keys> {
    const set = this.#set;
    if (set === undefined) throw this.#lastError ?? fetchFailure('ERR_JWKS_FETCH', this.uri, 'no key set loaded');
    const m = set.select(header, alg);
    if (m.keys !== undefined) return m.keys;
    return this.#miss(header, alg, m, seq);
  }

  /** The set has no key for this token: refetch at once, unless the cooldown or memory says no. */
  #miss(header: JoseHeader, alg: Algorithm, m: KeyMatch, seq: number): Keys | Promise<Keys> {
    const rejections = m.rejections ?? [];
    const key = missKey(header, alg, m);
    if (key === undefined) throw this.#notFound(header, alg, rejections);
    if (this.#setSeq > seq) {
      // This set was fetched after the token arrived, so it is the IdP's answer for this kid.
      this.#remember(key);
      throw this.#notFound(header, alg, rejections, 'not found in a fetch made after the token arrived');
    }
    const absentSince = this.#negative.get(key);
    if (absentSince !== undefined) {
      // Remembered for at most the cooldown: a kid probed before the IdP published it must not
      // stay blocked until the next scheduled refresh.
      const left = absentSince + this.#cooldown - this.#now();
      if (left > 0) {
        throw this.#notFound(header, alg, rejections, `absent from the last fetch; asked for again in ${seconds(left)}`);
      }
      this.#negative.delete(key);
    }
    const inflight = this.#inflight;
    if (inflight !== undefined) {
      return inflight.then(
        () => this.#lookup(header, alg, seq),
        (err: unknown) => {
          throw this.#notFound(header, alg, rejections, `refetch failed: ${(err as Error).message}`);
        },
      );
    }
    const t = this.#now();
    const wait = this.#lastUnknownFetchAt + this.#cooldown - t;
    if (wait > 0) {
      this.#cooldownRejections++;
      if (this.#cooldownNotifiedFor !== this.#lastUnknownFetchAt) {
        this.#cooldownNotifiedFor = this.#lastUnknownFetchAt;
        this.#emit({
          type: 'unknown-kid-cooldown',
          jwksUri: this.uri,
          ...(typeof header.kid === 'string' ? { kid: header.kid } : {}),
          retryInMs: wait,
        });
      }
      throw this.#notFound(header, alg, rejections, `refetch for unknown keys paused for ${seconds(wait)} (cooldown)`);
    }
    if (!mayFetch(this.#f, t)) {
      throw this.#notFound(header, alg, rejections, `the JWKS endpoint is failing, next attempt in ${seconds(this.#f.retryAt - t)}`);
    }
    this.#lastUnknownFetchAt = t;
    return this.#refresh('unknown-kid').then(
      () => this.#lookup(header, alg, seq),
      (err: unknown) => {
        throw this.#notFound(header, alg, rejections, `refetch failed: ${(err as Error).message}`);
      },
    );
  }

  /** Remembers a miss; bounded, and entries older than the cooldown make room first. */
  #remember(key: string): void {
    const t = this.#now();
    if (this.#negative.size >= MAX_NEGATIVE) {
      for (const [k, at] of this.#negative) {
        if (t - at < this.#cooldown) break;
        this.#negative.delete(k);
      }
    }
    if (this.#negative.size < MAX_NEGATIVE) this.#negative.set(key, t);
  }

  #notFound(header: JoseHeader, alg: Algorithm, rejections: readonly KeyRejection[], note?: string): VerifyError {
    const age = seconds(this.#now() - this.#f.fetchedAt);
    return keyNotFound(header, alg, rejections, `the JWKS from ${this.uri} (fetched ${age} ago${note ? `; ${note}` : ''})`);
  }

  #noteStale(t: number): void {
    this.#staleServed++;
    if (this.#staleNotified) return;
    this.#staleNotified = true;
    this.#emit({
      type: 'stale-served',
      jwksUri: this.uri,
      ageMs: t - this.#f.fetchedAt,
      remainingMs: this.#f.staleUntil - t,
      error: this.#lastError ?? fetchFailure('ERR_JWKS_FETCH', this.uri, 'refresh failed'),
    });
  }

  // ---- fetching ---------------------------------------------------------------------------

  /** Starts a background refresh unless one runs or the failure backoff says wait. */
  #kick(t: number, reason: RefreshReason): void {
    if (this.#inflight === undefined && mayFetch(this.#f, t)) this.#refresh(reason).catch(noop);
  }

  /** Single flight: every caller during a fetch shares it. */
  #refresh(reason: RefreshReason): Promise<KeySet> {
    if (this.#inflight !== undefined) return this.#inflight;
    const id = ++this.#seq;
    this.#fetches++;
    this.#readsAtAttempt = this.#reads;
    const p = this.#fetch(reason, id).finally(() => {
      this.#inflight = undefined;
    });
    p.catch(noop);
    this.#inflight = p;
    return p;
  }

  /**
   * A cold cache asks the store once. A persisted response still fresh (by its own headers, aged
   * since it was received) is installed and no request is made; an expired one is installed as the
   * last good set (so stale-if-error and maxStale apply to it) and revalidated at once.
   */
  async #fromStore(id: number): Promise<KeySet | undefined> {
    const store = this.#store;
    if (store === undefined || this.#storeRead) return undefined;
    this.#storeRead = true;
    const stored = await readPersisted(store, this.uri, this.#http.timeout, this.#maxKeys);
    if (stored === undefined) return undefined;
    try {
      this.#install(stored.set, stored.headers, 'persisted', id, 0, stored.ageMs);
      return stored.set;
    } catch {
      return undefined;
    }
  }

  async #fetch(reason: RefreshReason, id: number): Promise<KeySet> {
    if (reason === 'cold') {
      const stored = await this.#fromStore(id);
      if (stored !== undefined && this.#now() < this.#f.freshUntil) {
        this.#fetches--; // counted by #refresh, but no request was made
        return stored;
      }
    }
    const started = performance.now();
    let set: KeySet;
    let headers: Headers;
    try {
      const res = await fetchJson(this.uri, { ...this.#http, code: 'ERR_JWKS_FETCH' });
      headers = res.headers;
      try {
        set = KeySet.fromJwks(res.body, { maxKeys: this.#maxKeys, errorCode: 'ERR_JWKS_FETCH' });
      } catch (err) {
        throw fetchFailure('ERR_JWKS_FETCH', this.uri, (err as Error).message, { status: res.status, cause: err });
      }
      if (this.#store !== undefined) persist(this.#store, this.uri, res.body, headers);
    } catch (err) {
      const e = this.#failed(reason, err);
      // A persisted set past freshness is still the last good one: stale-if-error serves it.
      const t = this.#now();
      if (reason === 'cold' && this.#set !== undefined && t < this.#f.staleUntil) {
        this.#noteStale(t);
        return this.#set;
      }
      throw e;
    }
    this.#install(set, headers, reason, id, performance.now() - started);
    return set;
  }

  #install(set: KeySet, headers: Headers, reason: RefreshReason, id: number, durationMs: number, ageMs = 0): void {
    // ageMs: how long ago a persisted response was received; its freshness counts from then.
    const t = this.#now() - ageMs;
    // Wall-clock time only where HTTP dates are compared (Expires without Date) and for reporting.
    const wall = Date.now() - ageMs;
    const f = freshness(headers, wall);
    const prev = this.#set;
    this.#set = set;
    this.#setSeq = id;
    this.#lastRefresh = wall;
    this.#f = installed(t, f, this.#maxStale);
    this.#negative.clear();
    this.#lastError = undefined;
    this.#staleNotified = false;

    for (const e of installEvents(this.uri, prev, set, reason, f, durationMs)) this.#emit(e);
    this.#schedule(this.#f.refreshAt);
  }

  #failed(reason: RefreshReason, err: unknown): VerifyError {
    const e = err instanceof VerifyError ? err : fetchFailure('ERR_JWKS_FETCH', this.uri, String(err), { cause: err });
    const t = this.#now();
    this.#errors++;
    this.#f = failed(this.#f, t, this.#cooldown);
    const backoff = this.#f.retryAt - t;
    this.#lastError = e;
    this.#staleNotified = false;
    this.#emit({
      type: 'fetch-error',
      url: this.uri,
      code: e.code === 'ERR_DISCOVERY' || e.code === 'ERR_INTROSPECTION' ? e.code : 'ERR_JWKS_FETCH',
      reason,
      error: e,
      retryInMs: backoff,
      servingStale: this.#set !== undefined && t < this.#f.staleUntil,
    });
    this.#schedule(this.#f.retryAt);
    return e;
  }

  // ---- background refresh -----------------------------------------------------------------

  /** Wakes up at `at` (by the monotonic clock) to refresh, if the cache was read since the last attempt. */
  #schedule(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Closed or idle (no user): no polling; the next user revalidates on demand.
    if (this.#closed || this.#refs === 0) return;
    const delay = Math.min(Math.max(at - this.#now(), FIRST_BACKOFF), MAX_TIMER);
    this.#timer = setTimeout(() => this.#onTimer(), delay);
    // Never what keeps a process alive.
    this.#timer.unref?.();
  }

  #onTimer(): void {
    this.#timer = undefined;
    // An idle cache goes quiet instead of polling the IdP forever; the next token revalidates.
    if (this.#closed || this.#refs === 0 || this.#inflight !== undefined || this.#reads === this.#readsAtAttempt) return;
    const t = this.#now();
    if (!mayFetch(this.#f, t)) return this.#schedule(this.#f.retryAt);
    if (t < this.#f.refreshAt) return this.#schedule(this.#f.refreshAt);
    this.#refresh(t < this.#f.freshUntil ? 'refresh-ahead' : 'expired').catch(noop);
  }

  #emit(event: RemoteKeyEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A faulty listener must not break verification.
      }
    }
  }
}
