import { FetchError, type KeyRejection, type VerifyError } from '../errors.js';
import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import { PRIVATE_KEY_REASON, type VerificationKey } from '../keys/jwk.js';
import { keyNotFound, type KeySet } from '../keys/key-set.js';
import type { Freshness } from './cache-control.js';
import type { RefreshReason, RemoteKeyEvent } from './events.js';
export type { JwksCacheStats } from './events.js';
import { fetchFailure } from './http.js';

/** The events and errors a JWKS cache reports (see jwks-cache.ts); pure functions. */

/** How a key is named in events: its kid, else its x5t#S256, else its type and a prefix of its material. */
function keyId(k: VerificationKey): string {
  if (k.kid !== undefined) return k.kid;
  if (k.x5tS256 !== undefined) return `x5t#S256:${k.x5tS256}`;
  const j = k.jwk as { n?: unknown; x?: unknown };
  const material = typeof j.n === 'string' ? j.n : typeof j.x === 'string' ? j.x : '';
  return `${k.kty}:${material.slice(0, 16)}`;
}

/** A duration for messages, in whole seconds. */
export function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

/** The events for a newly installed set: `refresh`, then `private-key-published` and `rotation` when they apply. */
export function installEvents(
  uri: string,
  prev: KeySet | undefined,
  set: KeySet,
  reason: RefreshReason,
  f: Freshness,
  durationMs: number,
): RemoteKeyEvent[] {
  const out: RemoteKeyEvent[] = [];
  const kids = set.keys.map(keyId);
  out.push({
    type: 'refresh',
    jwksUri: uri,
    reason,
    keys: set.keys.length,
    kids,
    skipped: set.skipped,
    freshFor: f.freshFor,
    freshnessSource: f.source,
    durationMs: Math.round(durationMs * 10) / 10,
  });
  const leaked = set.skipped.filter((r) => r.reason.startsWith(PRIVATE_KEY_REASON));
  if (leaked.length > 0) out.push({ type: 'private-key-published', jwksUri: uri, keys: leaked });
  if (prev !== undefined) {
    const before = new Set(prev.keys.map(keyId));
    const after = new Set(kids);
    const added = kids.filter((k) => !before.has(k));
    const removed = [...before].filter((k) => !after.has(k));
    if (added.length > 0 || removed.length > 0) out.push({ type: 'rotation', jwksUri: uri, added, removed });
  }
  return out;
}

/** The error when revalidation failed and the last good keys (fetched `ageMs` ago) are past stale-if-error. */
export function expiredError(uri: string, last: VerifyError | undefined, ageMs: number): FetchError {
  return new FetchError(
    'ERR_JWKS_FETCH',
    uri,
    `${last?.message ?? `JWKS request to ${uri} failed`}; the last good keys (fetched ${seconds(ageMs)} ago) are past their stale-if-error limit`,
    {
      ...(last ? { cause: last } : {}),
      ...(last instanceof FetchError && last.status !== undefined ? { status: last.status } : {}),
      ...(last instanceof FetchError ? { reason: last.reason } : {}),
    },
  );
}

/** The `fetch-error` event for a failed JWKS request; `backoff`: ms until the next attempt. */
export function fetchErrorEvent(
  uri: string,
  reason: RefreshReason,
  e: VerifyError,
  backoff: number,
  servingStale: boolean,
): RemoteKeyEvent {
  return {
    type: 'fetch-error',
    url: uri,
    code: e.code === 'ERR_DISCOVERY' || e.code === 'ERR_INTROSPECTION' ? e.code : 'ERR_JWKS_FETCH',
    reason,
    error: e,
    retryInMs: backoff,
    servingStale,
  };
}

/** The `stale-served` event: keys `ageMs` old serve for `remainingMs` more while refreshing fails. */
export function staleServedEvent(uri: string, ageMs: number, remainingMs: number, last: VerifyError | undefined): RemoteKeyEvent {
  return {
    type: 'stale-served',
    jwksUri: uri,
    ageMs,
    remainingMs,
    error: last ?? fetchFailure('ERR_JWKS_FETCH', uri, 'refresh failed'),
  };
}

/** ERR_KEY_NOT_FOUND for a token the JWKS from `uri` (fetched `ageMs` ago) has no key for; `note` says why no refetch helped. */
export function jwksKeyNotFound(
  uri: string,
  header: JoseHeader,
  alg: Algorithm,
  rejections: readonly KeyRejection[],
  ageMs: number,
  note?: string,
): VerifyError {
  return keyNotFound(header, alg, rejections, `the JWKS from ${uri} (fetched ${seconds(ageMs)} ago${note ? `; ${note}` : ''})`);
}
