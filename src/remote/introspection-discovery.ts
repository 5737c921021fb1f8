import { FetchError, VerifyError, describeValue } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { discover, discoveryUrl } from './discovery.js';
import { fetchFailure, type HttpOptions } from './http.js';
import { INTROSPECTION_DEFAULTS } from './introspection-request.js';
import { checkUrl, redactUrl } from './url-policy.js';

/**
 * Finding the introspection endpoint in the issuer's discovery document (RFC 8414 §2
 * `introspection_endpoint`): single flight, and after a failure a backoff during which calls
 * fail at once with the last error (1 s after the first failure, doubling, at most 30 s).
 */
export class IntrospectionEndpointDiscovery {
  #endpoint: string | undefined;
  #discovering: Promise<string> | undefined;
  /** Discovery failures in a row, when the next attempt may start, and the last failure. */
  #failures = 0;
  #retryAt = -Infinity;
  #error: VerifyError | undefined;

  constructor(
    private readonly issuer: string,
    private readonly http: HttpOptions,
    private readonly now: () => number,
  ) {}

  /** The endpoint, discovering it first when needed (ERR_DISCOVERY). */
  async endpoint(): Promise<string> {
    if (this.#endpoint !== undefined) return this.#endpoint;
    if (this.#discovering === undefined) {
      // A failing discovery is asked again only after a backoff (1 s, doubling, at most 30 s):
      // a stampede of calls during an outage must not become a stampede of requests.
      const last = this.#error;
      const wait = this.#retryAt - this.now();
      if (last !== undefined && wait > 0) throw this.#backingOff(last, wait);
      // Single flight: concurrent calls share one discovery.
      this.#discovering = this.#discover().then(
        (endpoint) => {
          this.#failures = 0;
          this.#retryAt = -Infinity;
          this.#error = undefined;
          return endpoint;
        },
        (err: unknown) => {
          const e =
            err instanceof VerifyError
              ? err
              : fetchFailure('ERR_DISCOVERY', this.#discoveryUrl(), `discovery failed: ${describeValue(String(err))}`, { cause: err });
          this.#failures++;
          const d = INTROSPECTION_DEFAULTS;
          this.#retryAt = this.now() + backoffDelay(this.#failures, d.discoveryBackoff, d.maxDiscoveryBackoff);
          this.#error = e;
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
    return discoveryUrl(this.issuer, this.http.allowHttp === true);
  }

  /** The error of a call that arrives while discovery backs off: the last failure, and when the next attempt is. */
  #backingOff(last: VerifyError, wait: number): VerifyError {
    const url = last instanceof FetchError ? last.url : this.#discoveryUrl();
    const status = last instanceof FetchError ? last.status : undefined;
    const n = this.#failures;
    return new FetchError(
      last.code,
      url,
      `${last.message} (not retried for ${Math.ceil(wait / 1000)} s after ${n} failed discover${n === 1 ? 'y' : 'ies'})`,
      { cause: last, ...(status !== undefined ? { status } : {}) },
    );
  }

  async #discover(): Promise<string> {
    const allowHttp = this.http.allowHttp === true;
    const metadata = await discover(this.issuer, this.http);
    const ep = metadata.introspection_endpoint;
    const url = discoveryUrl(this.issuer, allowHttp);
    if (typeof ep !== 'string' || ep.length === 0) {
      throw fetchFailure(
        'ERR_DISCOVERY',
        url,
        `introspection_endpoint is missing or not a string (${describeValue(typeof ep === 'string' ? redactUrl(ep) : ep)})`,
      );
    }
    const checked = checkUrl(ep, allowHttp);
    if (typeof checked === 'string')
      throw fetchFailure('ERR_DISCOVERY', url, `introspection_endpoint ${describeValue(redactUrl(ep))} refused: ${checked}`);
    this.#endpoint = checked.href;
    return checked.href;
  }
}
