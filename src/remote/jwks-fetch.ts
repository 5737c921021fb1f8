import { KeySet } from '../keys/key-set.js';
import { fetchFailure, fetchJson, type HttpOptions } from './http.js';
import { persist, type JwksStore } from './jwks-store.js';

/** One JWKS request (RFC 7517 §5): fetched over the one HTTP client, parsed into a key set, persisted. */

/** A fetched key set and the response headers its freshness is read from. */
export interface FetchedJwks {
  readonly set: KeySet;
  readonly headers: Headers;
}

/**
 * Fetches the JWKS at `uri` and parses it (at most `maxKeys` keys); with a `store`, the response
 * is persisted (in the background). Every failure is a FetchError with ERR_JWKS_FETCH.
 */
export async function fetchJwks(uri: string, http: HttpOptions, maxKeys: number, store: JwksStore | undefined): Promise<FetchedJwks> {
  const res = await fetchJson(uri, { ...http, code: 'ERR_JWKS_FETCH' });
  let set: KeySet;
  try {
    set = KeySet.fromJwks(res.body, { maxKeys, errorCode: 'ERR_JWKS_FETCH' });
  } catch (err) {
    throw fetchFailure('ERR_JWKS_FETCH', uri, (err as Error).message, { status: res.status, cause: err });
  }
  if (store !== undefined) persist(store, uri, res.body, res.headers);
  return { set, headers: res.headers };
}
