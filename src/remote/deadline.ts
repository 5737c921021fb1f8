/** The one deadline of an HTTP exchange (remote/http.ts). */

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
