import { VerifyError, type KeyRejection } from '../errors.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import type { VerificationKey } from '../keys/jwk.js';
import type { KeySet, KeyMatch } from '../keys/key-set.js';
import { freshness } from './cache-control.js';
import type { RefreshReason } from './events.js';
import { fetchFailure, pickHttpOptions, type HttpOptions } from './http.js';
import {
  expiredError,
  fetchErrorEvent,
  installEvents,
  jwksKeyNotFound,
  seconds,
  staleServedEvent,
  type JwksCacheStats,
} from './jwks-cache-events.js';
import { CacheLifecycle } from './jwks-lifecycle.js';
import { COLD, FIRST_BACKOFF, failed, installed, mayFetch, phase, type JwksFreshness } from './jwks-freshness.js';
import { normalizeJwksOptions, type JwksCacheOptions, type JwksSettings } from './jwks-options.js';
import { readPersisted, type JwksStore } from './jwks-store.js';
import { AbsentKeys, UnknownKidCooldown, missKey } from './jwks-unknown-kid.js';
import { fetchJwks } from './jwks-fetch.js';

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

type Keys = readonly VerificationKey[];

const noop = (): void => undefined;

export class JwksCache extends CacheLifecycle {
  readonly uri: string;
  readonly #http: HttpOptions;
  readonly #timeout: number;
  readonly #now: () => number;
  readonly #cooldown: number;
  readonly #maxStale: number;
  readonly #maxKeys: number;
  readonly #store: JwksStore | undefined;
  #storeRead = false;

  #set: KeySet | undefined;
  #setSeq = 0;
  /** Refresh, freshness, stale and backoff instants (pure; see jwks-freshness.ts). */
  #f: JwksFreshness = COLD;

  /** Fetches started so far; a fetch with a higher number started after a caller arrived. */
  #seq = 0;
  #inflight: Promise<KeySet> | undefined;
  readonly #unknownKid: UnknownKidCooldown;
  readonly #absent: AbsentKeys;

  #lastError: VerifyError | undefined;
  #staleNotified = false;

  #reads = 0;
  #readsAtAttempt = 0;

  readonly #n = { fetches: 0, hits: 0, errors: 0, staleServed: 0, cooldownRejections: 0 };
  #lastRefresh: number | undefined;

  /** `options` are checked and defaulted by {@link normalizeJwksOptions} (ERR_CONFIG). */
  constructor(uri: string, options: JwksCacheOptions | JwksSettings = {}, onIdle: () => void = noop) {
    super(onIdle);
    const s = normalizeJwksOptions(options);
    this.uri = uri;
    this.#http = pickHttpOptions(s);
    this.#timeout = s.timeout;
    this.#now = s.monotonicClock;
    this.#cooldown = s.cooldown;
    this.#maxStale = s.maxStale;
    this.#maxKeys = s.maxKeys;
    this.#absent = new AbsentKeys(this.#cooldown);
    this.#unknownKid = new UnknownKidCooldown(this.#cooldown);
    this.#store = s.jwksStore;
  }

  /** The current key set, if one was ever fetched. */
  get keySet(): KeySet | undefined {
    return this.#set;
  }

  /**
   * Candidate keys for a token: the array itself when the cached set can answer now, a promise
   * only when a fetch is needed. Throws / rejects with ERR_KEY_NOT_FOUND or ERR_JWKS_FETCH.
   */
  getKeys(header: JoseHeader, alg: Algorithm): Keys | Promise<Keys> {
    this.#reads++;
    const set = this.#set;
    if (set !== undefined && phase(this.#f, this.#now()) === 'fresh') return this.#serve(set, header, alg, this.#seq);
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

  /** Counters since the cache was created. */
  stats(): JwksCacheStats {
    const { fetches, hits: cacheHits, errors, staleServed, cooldownRejections } = this.#n;
    const keys = this.#set?.keys.length ?? 0;
    return { fetches, cacheHits, errors, lastRefresh: this.#lastRefresh, keys, staleServed, cooldownRejections };
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
      this.#n.hits++;
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
      this.#absent.remember(key, this.#now());
      throw this.#notFound(header, alg, rejections, 'not found in a fetch made after the token arrived');
    }
    // Remembered for at most the cooldown: a kid probed before the IdP published it must not
    // stay blocked until the next scheduled refresh.
    const left = this.#absent.left(key, this.#now());
    if (left > 0) throw this.#notFound(header, alg, rejections, `absent from the last fetch; asked for again in ${seconds(left)}`);
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
    const wait = this.#unknownKid.wait(t);
    if (wait > 0) {
      this.#n.cooldownRejections++;
      if (this.#unknownKid.firstNotice()) {
        this.emit({
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
    this.#unknownKid.started(t);
    return this.#refresh('unknown-kid').then(
      () => this.#lookup(header, alg, seq),
      (err: unknown) => {
        throw this.#notFound(header, alg, rejections, `refetch failed: ${(err as Error).message}`);
      },
    );
  }

  #notFound(header: JoseHeader, alg: Algorithm, rejections: readonly KeyRejection[], note?: string): VerifyError {
    return jwksKeyNotFound(this.uri, header, alg, rejections, this.#now() - this.#f.fetchedAt, note);
  }

  #noteStale(t: number): void {
    this.#n.staleServed++;
    if (this.#staleNotified) return;
    this.#staleNotified = true;
    this.emit(staleServedEvent(this.uri, t - this.#f.fetchedAt, this.#f.staleUntil - t, this.#lastError));
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
    this.#n.fetches++;
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
    const stored = await readPersisted(store, this.uri, this.#timeout, this.#maxKeys);
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
        this.#n.fetches--; // counted by #refresh, but no request was made
        return stored;
      }
    }
    const started = performance.now();
    let set: KeySet;
    let headers: Headers;
    try {
      ({ set, headers } = await fetchJwks(this.uri, this.#http, this.#maxKeys, this.#store));
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
    this.#absent.clear();
    this.#lastError = undefined;
    this.#staleNotified = false;

    for (const e of installEvents(this.uri, prev, set, reason, f, durationMs)) this.emit(e);
    this.#schedule(this.#f.refreshAt);
  }

  #failed(reason: RefreshReason, err: unknown): VerifyError {
    const e = err instanceof VerifyError ? err : fetchFailure('ERR_JWKS_FETCH', this.uri, String(err), { cause: err });
    const t = this.#now();
    this.#n.errors++;
    this.#f = failed(this.#f, t, this.#cooldown);
    const backoff = this.#f.retryAt - t;
    this.#lastError = e;
    this.#staleNotified = false;
    this.emit(fetchErrorEvent(this.uri, reason, e, backoff, this.#set !== undefined && t < this.#f.staleUntil));
    this.#schedule(this.#f.retryAt);
    return e;
  }

  // ---- background refresh -----------------------------------------------------------------

  /** Wakes up at `at` (by the monotonic clock) to refresh, if the cache was read since the last attempt. */
  #schedule(at: number): void {
    this.schedule(Math.max(at - this.#now(), FIRST_BACKOFF), () => this.#onTimer());
  }

  #onTimer(): void {
    // An idle cache goes quiet instead of polling the IdP forever; the next token revalidates.
    if (!this.active || this.#inflight !== undefined || this.#reads === this.#readsAtAttempt) return;
    const t = this.#now();
    if (!mayFetch(this.#f, t)) return this.#schedule(this.#f.retryAt);
    if (t < this.#f.refreshAt) return this.#schedule(this.#f.refreshAt);
    this.#refresh(t < this.#f.freshUntil ? 'refresh-ahead' : 'expired').catch(noop);
  }
}
