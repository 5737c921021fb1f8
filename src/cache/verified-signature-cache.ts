import { sameKey, type KeyHolder } from '../jose/backend.js';
import type { JoseHeader } from '../jose/types.js';
import { checkNumber, configError, rejectUnknownOptions } from '../option-checks.js';

/**
 * Sizes of the verified-signature cache (option `cache` of `createVerifier`). Both bounds hold at
 * once; the least recently used entry goes first.
 */
export interface SignatureCacheOptions {
  /** Most tokens kept. Default 10000. */
  readonly maxEntries?: number;
  /**
   * Most bytes accounted: the token's length plus the per-entry overhead (256 bytes) per entry.
   * Default 16777216 (16 MiB). A token longer than this is never cached.
   */
  readonly maxBytes?: number;
}

/** Counters of the verified-signature cache, from the verifier's `cacheStats()`. */
export interface SignatureCacheStats {
  /** Verifications whose signature check was skipped: the exact token had verified with a key still in use. */
  readonly hits: number;
  /** Verifications that checked the signature (no entry, or its key no longer offered). */
  readonly misses: number;
  /** Entries dropped to stay within `maxEntries` / `maxBytes`. */
  readonly evictions: number;
  /** Entries now. */
  readonly entries: number;
  /** Bytes accounted now. */
  readonly bytes: number;
}

/** Defaults of {@link SignatureCacheOptions}. */
export const SIGNATURE_CACHE_DEFAULTS = {
  maxEntries: 10_000,
  maxBytes: 16 * 1024 * 1024,
} as const;

/**
 * Fixed bytes accounted per entry beside the token length (see {@link entryBytes}). Measured with
 * Node 20 (heap growth after full GCs, the cache holding the only reference to each token): 490 B
 * for a 299-character token, 1140 B for 965, 2470 B for 2299 (length + 170 to 190 B); the
 * accounting (length + 256) stays 3-13% above that.
 */
export const SIGNATURE_CACHE_ENTRY_OVERHEAD = 256;

/** One token whose signature verified. */
export interface CacheEntry {
  /** The key that verified it (object identity is the key's identity). */
  key: KeyHolder;
  /** The token's `exp` plus the clock tolerance, in ms of the verifier's clock. */
  readonly expiresAt: number;
  readonly bytes: number;
  /** The decoded header (frozen, shared): a hit skips decoding it. */
  readonly header: JoseHeader;
  /** Where the payload segment of the token is: a hit decodes it again into a payload of its own. */
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

/** An entry in the recency list (most recent at `head`). */
interface Node extends CacheEntry {
  readonly token: string;
  /** Its key in the Map: see {@link slotOf}. */
  readonly slot: number;
  newer: Node | undefined;
  older: Node | undefined;
}

/**
 * Where a token lives in the Map: a 30-bit number folded from its last 12 characters (the end of
 * the signature, 72 bits of it), not the token itself. Every token reaches the verifier as a new
 * string, and a Map lookup by string hashes the whole key: about 1 µs for a 600-character token.
 * The entry found is only used if its token is the exact same string (`===`), so two tokens sharing
 * a slot never stand for each other: the later one just takes the slot (with 10,000 entries, about
 * one pair in 20 runs shares one by chance; a signature cannot be chosen to aim at another's slot).
 */
export function slotOf(token: string): number {
  let h = 0;
  for (let i = Math.max(0, token.length - 12); i < token.length; i++) h = (Math.imul(h, 31) + token.charCodeAt(i)) | 0;
  // A small integer (V8 Smi): hashed and stored without allocating.
  return h & 0x3fffffff;
}

/**
 * The verifier's cache of signatures already verified: the exact token string -> the key that
 * verified it. A Map for lookup (by {@link slotOf}, then the exact token compared) and a doubly
 * linked list for recency (not the Map's own order: after many deletions, finding a Map's first
 * live entry walks over the deleted slots), so a lookup, a hit and an eviction are O(1). Only tokens that passed every check are added; a hit
 * only skips the signature check, and only while the key source still offers that very key.
 */
export class VerifiedSignatureCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #entries = new Map<number, Node>();
  /** Most and least recently used. */
  #head: Node | undefined;
  #tail: Node | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(options: SignatureCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? SIGNATURE_CACHE_DEFAULTS.maxEntries;
    this.maxBytes = options.maxBytes ?? SIGNATURE_CACHE_DEFAULTS.maxBytes;
  }

  /** The entry of this exact token, if any (no counting, no reordering). */
  peek(token: string): CacheEntry | undefined {
    // Called before the token is checked: a caller may pass anything.
    if (typeof token !== 'string') return undefined;
    const node = this.#entries.get(slotOf(token));
    return node !== undefined && node.token === token ? node : undefined;
  }

  /**
   * Whether `entry` may stand for a signature check now: not past `expiresAt`, and its key among
   * the `candidates` the key source offers for this token now (the same object, or, after a key
   * set refresh re-imported it, an equal public key, to which this entry moves). Returns the index
   * of that candidate, or -1 after dropping the entry. Counts the hit or the miss.
   */
  confirm(token: string, entry: CacheEntry, candidates: readonly KeyHolder[], now: number): number {
    if (now < entry.expiresAt) {
      let i = candidates.indexOf(entry.key);
      if (i < 0) {
        i = candidates.findIndex((c) => sameKey(c, entry.key));
        // This entry only: a custom source may hand out new key objects on every call.
        if (i >= 0) entry.key = candidates[i]!;
      }
      if (i >= 0) {
        this.#hits++;
        const node = entry as Node;
        if (this.#head !== node && this.#entries.get(node.slot) === node) {
          this.#unlink(node);
          this.#pushHead(node);
        }
        return i;
      }
    }
    this.#misses++;
    this.#remove(entry as Node);
    return -1;
  }

  /** Counts a verification that found no entry. */
  miss(): void {
    this.#misses++;
  }

  /** Adds a token that passed every check with `key`, evicting the least recently used beyond the bounds. */
  add(token: string, key: KeyHolder, expiresAt: number, header: JoseHeader, now: number): void {
    const bytes = entryBytes(token);
    if (bytes > this.maxBytes || !(expiresAt > now)) return;
    const slot = slotOf(token);
    // The same token verified twice at once, or another token in its slot: the newer one stays.
    const old = this.#entries.get(slot);
    if (old !== undefined) this.#remove(old);
    const payloadStart = token.indexOf('.') + 1;
    const node: Node = {
      token,
      slot,
      key,
      expiresAt,
      bytes,
      header,
      payloadStart,
      payloadEnd: token.indexOf('.', payloadStart),
      newer: undefined,
      older: undefined,
    };
    this.#entries.set(slot, node);
    this.#pushHead(node);
    this.#bytes += bytes;
    while (this.#tail !== undefined && (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes)) {
      this.#remove(this.#tail);
      this.#evictions++;
    }
    // Expired entries at the cold end go without counting as evictions (a cheap, bounded sweep).
    for (let n = 0; n < 2 && this.#tail !== undefined && !(this.#tail.expiresAt > now); n++) this.#remove(this.#tail);
  }

  /**
   * A key source now offers `current` instead of `previous`: entries of a key that left move to
   * an equal public key that is still offered (a refresh re-imports unchanged keys as new
   * objects), or are dropped at once. One pass over the entries, only when a key left.
   */
  replaceKeys(previous: readonly KeyHolder[], current: readonly KeyHolder[]): void {
    if (this.#entries.size === 0) return;
    const now = new Set(current);
    const moves = new Map<KeyHolder, KeyHolder | undefined>();
    for (const k of previous) {
      if (now.has(k)) continue;
      moves.set(
        k,
        current.find((c) => sameKey(c, k)),
      );
    }
    if (moves.size > 0) this.#rekey(moves);
  }

  /** Drops every entry verified with `key`. */
  dropKey(key: KeyHolder): void {
    if (this.#entries.size > 0) this.#rekey(new Map([[key, undefined]]));
  }

  /** Drops everything (the counters stay). */
  clear(): void {
    this.#entries.clear();
    this.#head = this.#tail = undefined;
    this.#bytes = 0;
  }

  stats(): SignatureCacheStats {
    return { hits: this.#hits, misses: this.#misses, evictions: this.#evictions, entries: this.#entries.size, bytes: this.#bytes };
  }

  #remove(node: Node): void {
    if (this.#entries.get(node.slot) !== node) return;
    this.#entries.delete(node.slot);
    this.#unlink(node);
    this.#bytes -= node.bytes;
  }

  #pushHead(node: Node): void {
    node.older = this.#head;
    node.newer = undefined;
    if (this.#head !== undefined) this.#head.newer = node;
    this.#head = node;
    this.#tail ??= node;
  }

  #unlink(node: Node): void {
    if (node.newer !== undefined) node.newer.older = node.older;
    else this.#head = node.older;
    if (node.older !== undefined) node.older.newer = node.newer;
    else this.#tail = node.newer;
    node.newer = node.older = undefined;
  }

  /** Moves the entries of each key in `moves` to its equal key, or drops them (undefined). */
  #rekey(moves: ReadonlyMap<KeyHolder, KeyHolder | undefined>): void {
    for (const e of this.#entries.values()) {
      if (!moves.has(e.key)) continue;
      const to = moves.get(e.key);
      if (to !== undefined) e.key = to;
      else this.#remove(e);
    }
  }
}

/** Bytes accounted for one entry: the token text and the fixed overhead. */
export function entryBytes(token: string): number {
  return token.length + SIGNATURE_CACHE_ENTRY_OVERHEAD;
}

/** The verifier's `cache` option checked: a cache, or undefined for `cache: false`. Bad values are `ERR_CONFIG`. */
export function signatureCacheOf(option: unknown): VerifiedSignatureCache | undefined {
  if (option === undefined || option === true) return new VerifiedSignatureCache();
  if (option === false) return undefined;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw configError('cache must be false, true or { maxEntries, maxBytes }');
  }
  rejectUnknownOptions('cache', option, Object.keys(SIGNATURE_CACHE_DEFAULTS));
  const o = option as SignatureCacheOptions;
  checkNumber('cache.maxEntries', o.maxEntries, 1, true);
  checkNumber('cache.maxBytes', o.maxBytes, 1, true);
  return new VerifiedSignatureCache(o);
}
