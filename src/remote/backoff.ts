/**
 * The one retry backoff of the remote layer (JWKS refreshes, discovery of the JWKS URL and of the
 * introspection endpoint): after a failure no request is made before the delay has passed.
 */

/**
 * The wait after `failures` failures in a row (1 or more): `first` ms, doubling with each further
 * failure, never more than `max` ms (nor less than `first`).
 */
export function backoffDelay(failures: number, first: number, max: number): number {
  return Math.min(first * 2 ** Math.min(Math.max(failures, 1) - 1, 20), Math.max(max, first));
}
