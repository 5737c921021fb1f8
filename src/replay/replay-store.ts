import { sha256Base64urlAsync } from '../jose/digest.js';
import { VerifyError } from '../errors.js';

/**
 * Where one-time identifiers (`jti` of logout tokens, ID and access tokens, DPoP proofs) are
 * remembered until they expire.
 *
 * Contract: `claim` is atomic. It resolves `true` when `key` was not held (and now is, until
 * `expiresAtMs`), `false` when it is held and not yet expired (a replay). It rejects (never
 * resolves `true`) when the store cannot answer: full, unreachable, too slow. The library turns a
 * rejection into a failed verification (`ERR_REPLAY_STORE`), so a broken store fails closed.
 * Keys come from `replayKey`: short ASCII strings whatever the token holds.
 */
export interface ReplayStore {
  /**
   * Claims `key` until `expiresAtMs` (milliseconds since the epoch).
   * @returns `true` for the first claim, `false` for a replay.
   */
  claim(key: string, expiresAtMs: number): Promise<boolean>;
}

/**
 * A store key for a one-time value: `<scope>:<base64url SHA-256 of the parts>`. Hashing bounds the
 * key (about 50 characters) whatever the size of an attacker-chosen `jti`; the parts are
 * JSON-encoded together so `("a:b", "c")` and `("a", "b:c")` never collide. Asynchronous: the
 * digest is node:crypto's where installed, else WebCrypto's.
 */
export async function replayKey(scope: 'jti' | 'dpop', ...parts: readonly string[]): Promise<string> {
  return `${scope}:${await sha256Base64urlAsync(JSON.stringify(parts))}`;
}

/** `ERR_REPLAY_STORE`: the store failed, so the verification cannot prove the token is fresh. */
export function storeError(message: string, cause?: unknown): VerifyError {
  return new VerifyError('ERR_REPLAY_STORE', message, cause !== undefined ? { cause } : undefined);
}

/**
 * Claims through `store` and turns anything but a boolean answer into `ERR_REPLAY_STORE`.
 * A store that throws synchronously, rejects with a foreign error or answers oddly fails closed.
 */
export async function claimOnce(store: ReplayStore, key: string, expiresAtMs: number): Promise<boolean> {
  let answer: unknown;
  try {
    answer = await store.claim(key, expiresAtMs);
  } catch (err) {
    if (err instanceof VerifyError && err.code === 'ERR_REPLAY_STORE') throw err;
    throw storeError(`replay store failed: ${(err as Error)?.message ?? String(err)}`, err);
  }
  if (typeof answer !== 'boolean') throw storeError(`replay store answered ${typeof answer}, expected a boolean`);
  return answer;
}
