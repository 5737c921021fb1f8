import { VerifyError } from '../errors.js';
import type { VerificationKey } from '../keys/jwk.js';
import type { RemoteSourceFactory } from '../issuers.js';
import type { VerifierOptions } from '../options.js';
import type { RemoteKeyListener } from '../remote/events.js';
import { pickHttpOptions } from '../remote/http.js';
import { pickJwksOptions } from '../remote/jwks-options.js';
import { createIntrospector, type Introspector, type IntrospectorOptions } from '../remote/introspection.js';
import { createRemoteKeySource, type RemoteKeySource } from '../remote/remote-key-source.js';
import type { VerifiedSignatureCache } from '../cache/verified-signature-cache.js';

/** The remote parts a verifier composes: key sources (aware of the verified-signature cache) and the introspection client. */

export /** The verifier's introspection client: an {@link Introspector}, or options inheriting the verifier's transport and clock. */
function introspectorOf(o: VerifierOptions): Introspector | undefined {
  const i = o.introspection;
  if (i === undefined) return undefined;
  if (typeof i !== 'object' || i === null)
    throw new VerifyError('ERR_CONFIG', 'introspection must be introspector options or an introspector');
  if (typeof (i as Introspector).introspect === 'function') return i as Introspector;
  const inherited = {
    ...pickHttpOptions(o),
    ...(o.now !== undefined ? { now: o.now } : {}),
    ...(o.clockTolerance !== undefined ? { clockTolerance: o.clockTolerance } : {}),
  };
  return createIntrospector({ ...inherited, ...(i as IntrospectorOptions) });
}

export /**
 * Wraps the remote source factory so the verified-signature cache learns at once when keys leave:
 * on every JWKS refresh of a source, entries of keys no longer in its set are dropped (or moved to
 * the re-imported equal key); closing a source (an issuer context dropped) drops its keys' entries.
 */
function cacheAwareFactory(remote: RemoteSourceFactory, cache: VerifiedSignatureCache): RemoteSourceFactory {
  return (issuer, o, v) => {
    // Filled once the source exists; a refresh event names no key objects, the source has them.
    const state: { source?: RemoteKeySource; previous: readonly VerificationKey[] } = { previous: [] };
    const onEvent: RemoteKeyListener = (event) => {
      if (event.type === 'refresh' && state.source !== undefined) {
        const current = state.source.currentKeys();
        cache.replaceKeys(state.previous, current);
        state.previous = current;
      }
      v.onEvent?.(event);
    };
    const s = remote(issuer, o, { ...v, onEvent }) as RemoteKeySource;
    if (typeof s.currentKeys !== 'function') return s;
    state.source = s;
    state.previous = s.currentKeys();
    const close = s.close.bind(s);
    return {
      synchronous: s.synchronous,
      getKeys: (header, alg) => s.getKeys(header, alg),
      advertisedAlgorithms: () => s.advertisedAlgorithms(),
      warmUp: () => s.warmUp(),
      stats: () => s.stats(),
      close: () => {
        close();
        for (const k of state.previous) cache.dropKey(k);
      },
    };
  };
}

/** Issuers without static keys get a remote source: `jwksUri`, else discovery on the issuer. */
export const remoteFactory: RemoteSourceFactory = (issuer, o, v) =>
  createRemoteKeySource({
    ...(o.jwksUri !== undefined ? { jwksUri: o.jwksUri } : { issuer }),
    ...pickJwksOptions(v),
    ...(v.onEvent !== undefined ? { onEvent: v.onEvent } : {}),
    // Network timing runs on the monotonic clock (`monotonicClock`); `now` is only the instant claims are judged at.
  });
