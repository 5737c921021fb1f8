import type { Algorithm } from '../jose/algorithms.js';
import type { JoseHeader } from '../jose/types.js';
import type { KeyMatch } from '../keys/key-set.js';

/** Kids remembered as absent (each for at most the cooldown); beyond this, cooldown alone limits requests. */
const MAX_NEGATIVE = 1000;

/**
 * What a miss is remembered by, or undefined when a refetch cannot help: the token names a kid
 * the set has, but that key does not fit the alg (an alg-confusion attempt must cost no request).
 */
export function missKey(header: JoseHeader, alg: Algorithm, m: KeyMatch): string | undefined {
  if (typeof header.kid === 'string') return m.keys === undefined && m.unknownKid !== undefined ? `kid:${header.kid}` : undefined;
  if (typeof header['x5t#S256'] === 'string') return `x5t#S256:${header['x5t#S256']}`;
  if (typeof header.x5t === 'string') return `x5t:${header.x5t}`;
  return `alg:${alg}`;
}

/**
 * Kids (and other miss keys) absent from a fetch, with when that was learnt; each is remembered for
 * at most `cooldown` ms, and at most 1000 of them (attacker-chosen keys: bounded memory).
 */
export class AbsentKeys {
  readonly #cooldown: number;
  readonly #at = new Map<string, number>();

  constructor(cooldown: number) {
    this.#cooldown = cooldown;
  }

  /** Remembers a miss at `t`; bounded, and entries older than the cooldown make room first. */
  remember(key: string, t: number): void {
    if (this.#at.size >= MAX_NEGATIVE) {
      for (const [k, at] of this.#at) {
        if (t - at < this.#cooldown) break;
        this.#at.delete(k);
      }
    }
    if (this.#at.size < MAX_NEGATIVE) this.#at.set(key, t);
  }

  /** Ms `key` stays known absent at `t`; 0 when not known (a lapsed entry is forgotten). */
  left(key: string, t: number): number {
    const since = this.#at.get(key);
    if (since === undefined) return 0;
    const left = since + this.#cooldown - t;
    if (left > 0) return left;
    this.#at.delete(key);
    return 0;
  }

  /** Forgets everything (a new set was installed). */
  clear(): void {
    this.#at.clear();
  }
}

/**
 * The cooldown between two refetches for unknown keys (OIDC Core §10.1.1 allows refetching on an
 * unfamiliar kid; the cooldown keeps tokens with made-up kids from turning into requests).
 */
export class UnknownKidCooldown {
  #lastFetchAt = -Infinity;
  #notifiedFor = -Infinity;

  constructor(readonly cooldown: number) {}

  /** Ms before another refetch for unknown keys may start at `t` (0 or less: it may). */
  wait(t: number): number {
    return this.#lastFetchAt + this.cooldown - t;
  }

  /** Whether the current pause is reported for the first time (one event per pause). */
  firstNotice(): boolean {
    if (this.#notifiedFor === this.#lastFetchAt) return false;
    this.#notifiedFor = this.#lastFetchAt;
    return true;
  }

  /** A refetch for unknown keys starts at `t`. */
  started(t: number): void {
    this.#lastFetchAt = t;
  }
}
