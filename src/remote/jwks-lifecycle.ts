import type { RemoteKeyEvent, RemoteKeyListener } from './events.js';

const MAX_TIMER = 2 ** 31 - 1;

/**
 * Users, event listeners and the background-refresh timer of one JWKS cache (the base of
 * `JwksCache` in jwks-cache.ts). Timers run only while the cache is open and acquired: an idle
 * cache never polls the IdP. The last release keeps the cached set for a later user of the same
 * URL (the registry keeps a few idle caches, see jwks-registry.ts); {@link dispose} frees it for good.
 */
export class CacheLifecycle {
  readonly #listeners = new Set<RemoteKeyListener>();
  /** Called when the last user released the cache (the registry parks or disposes it). */
  readonly #onIdle: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refs = 0;
  #closed = false;

  constructor(onIdle: () => void) {
    this.#onIdle = onIdle;
  }

  /** How many users hold the cache now (acquired and not yet released). */
  get users(): number {
    return this.#refs;
  }

  /** Disposed for good. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Open and held by at least one user: timers may run. */
  get active(): boolean {
    return !this.#closed && this.#refs > 0;
  }

  /** Adds an event listener; returns its remover. */
  subscribe(listener: RemoteKeyListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Counts a user; {@link release} the same number of times to stop timers. */
  acquire(): this {
    this.#refs++;
    return this;
  }

  /** The last release stops the timer, drops the listeners and calls `onIdle`. */
  release(): void {
    if (this.#refs === 0 || --this.#refs > 0 || this.#closed) return;
    this.#stop();
    this.#listeners.clear();
    this.#onIdle();
  }

  /** Closes for good: no timer, no listeners. */
  dispose(): void {
    this.#closed = true;
    this.#stop();
    this.#listeners.clear();
  }

  /** Runs `fn` once after `delay` ms (at most 2^31-1), replacing a pending run; nothing unless active. */
  schedule(delay: number, fn: () => void): void {
    this.#stop();
    // Closed or idle (no user): no polling; the next user revalidates on demand.
    if (!this.active) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        fn();
      },
      Math.min(delay, MAX_TIMER),
    );
    // Never what keeps a process alive.
    this.#timer.unref?.();
  }

  /** Tells every listener; a faulty listener must not break verification. */
  emit(event: RemoteKeyEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A faulty listener must not break verification.
      }
    }
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
