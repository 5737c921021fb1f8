import { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, isAlgorithm, type Algorithm } from './jose/algorithms.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './jose/compact.js';
import { redactUrl } from './remote/url-policy.js';
import type { Jwks, JoseHeader, JwtPayload } from './jose/types.js';
import type { KeySource } from './keys/key-source.js';
import type { RemoteKeySourceOptions } from './remote/remote-key-source.js';
import { normalizeJwksOptions } from './remote/jwks-options.js';
import { checkNumber, configError, rejectUnknownOptions } from './option-checks.js';
import type { Introspector, IntrospectorOptions } from './remote/introspection.js';
import type { ReplayStore } from './replay/replay-store.js';
import type { DpopNonceChecker } from './dpop/nonce.js';
import type { AsymmetricAlgorithm } from './jose/algorithms.js';
import type { SignatureCacheOptions } from './cache/verified-signature-cache.js';

/** Options of one trusted issuer. */
export interface IssuerOptions {
  /**
   * The exact `iss` value. May contain the placeholder `{tenantid}` for multi-tenant IdPs
   * (e.g. `https://login.microsoftonline.com/{tenantid}/v2.0`); then `tenants` is required.
   */
  readonly issuer: string;
  /** Client id(s) this application accepts in `aud` (and `azp`). Required. */
  readonly audience: string | readonly string[];
  /** A static key set. Without `jwks` and `jwksUri`, keys come from discovery. */
  readonly jwks?: Jwks;
  /** JWKS URL; skips discovery. */
  readonly jwksUri?: string;
  /** A custom key source (advanced: your own cache or key store). */
  readonly keySource?: KeySource;
  /** Allowlist of JWS algorithms. Default: every asymmetric algorithm (plus HS* with `clientSecret`). */
  readonly algorithms?: readonly Algorithm[];
  /** Client secret: only then HS256/384/512 ID tokens are accepted (OIDC Core §10.1). */
  readonly clientSecret?: string;
  /**
   * For issuer templates: the accepted tenant ids, or a predicate. A tenant id is only ever taken
   * from a token if it fits where `{tenantid}` stands: one lowercase DNS label (`[a-z0-9-]`, at most
   * 63) in the host, or `[A-Za-z0-9._~-]` (at most 128, not starting with `.`) in the path.
   */
  readonly tenants?: readonly string[] | ((tenantId: string) => boolean);
  /**
   * For issuer templates whose keys come from discovery and whose `tenants` is a predicate: how
   * many tenant contexts are kept, and how fast tenants never seen to verify a token may start
   * discovery. Beyond the budget a token of a new tenant fails with `ERR_DISCOVERY` (no request).
   */
  readonly tenantLimits?: {
    /** Tenants kept once a token of theirs verified (listed tenants too); oldest dropped first. Default 1000. */
    readonly maxTenants?: number;
    /** Tenants not yet seen to verify a token, kept at most; oldest dropped first. Default 50. */
    readonly maxUnproven?: number;
    /** New unproven tenants that may start discovery per `window` (token bucket, refilled evenly). Default 20. */
    readonly newTenants?: number;
    /** The budget window in ms, measured with the verifier's `now`. Default 60000. */
    readonly window?: number;
  };
}

/** Defaults of {@link IssuerOptions.tenantLimits}. */
export const TENANT_LIMITS = {
  maxTenants: 1000,
  maxUnproven: 50,
  newTenants: 20,
  window: 60_000,
} as const;

/** Remote-key options passed through to {@link createRemoteKeySource}; see its docs for defaults. */
export type RemoteOptions = Omit<RemoteKeySourceOptions, 'issuer' | 'jwksUri'>;

/** Options of a verifier: one issuer inline, or several in `issuers`. */
export interface VerifierOptions extends Partial<IssuerOptions>, RemoteOptions {
  /** Several trusted issuers; the token's `iss` picks one before any key is fetched. */
  readonly issuers?: readonly IssuerOptions[];
  /** Allowed clock skew in seconds. Default 0. */
  readonly clockTolerance?: number;
  /**
   * The instant claims are judged at (`exp`, `nbf`, `iat`, `auth_time`), ms since the epoch.
   * Default `Date.now`. Network timing (cache freshness, cooldowns, backoff) never uses it.
   */
  readonly now?: () => number;
  /** Maximum token length in characters, checked before any decoding. Default 65536. */
  readonly maxTokenLength?: number;
  /** Reject tokens whose `iat` is older than this many seconds. Default: no limit. */
  readonly maxTokenAge?: number;
  /** Claims that must be present in every token, in addition to the profile's own. */
  readonly requiredClaims?: readonly string[];
  /**
   * Extra rules, run after every built-in check passed. Throw (any error) to reject; a
   * non-VerifyError becomes `ERR_CLAIM_INVALID` with its message.
   */
  readonly validate?: (token: { header: JoseHeader; payload: JwtPayload }) => void;
  /**
   * Where signature checks go when verifications pile up (many in flight at once). `true`: one
   * worker thread, shared by every verifier in the process and started on first need, takes packed
   * batches while the calling thread verifies its own share. `false`: the libuv threadpool, one job
   * per signature. A lone verification always runs on the calling thread. Default `true`.
   */
  readonly worker?: boolean;
  /**
   * RFC 7662 introspection for `verifyRequest`: opaque bearer tokens are introspected (and JWTs
   * too with `introspect: 'always'`). Options (`fetch`, `timeout`, `maxResponseSize`, `allowHttp`,
   * `now`, `clockTolerance` default to the verifier's) or a ready {@link Introspector}.
   */
  readonly introspection?: IntrospectorOptions | Introspector;
  /**
   * Where one-time `jti`s are remembered (a shared store such as Redis for several instances).
   * With a store, logout tokens are always replay-checked (Back-Channel Logout 1.0 §2.6 step 8
   * allows it); ID and access tokens when `preventReplay` asks. Also used for DPoP proof `jti`s.
   */
  readonly replayStore?: ReplayStore;
  /** Replay-check every ID and access token too (needs `replayStore`). Default false. */
  readonly preventReplay?: boolean;
  /**
   * Longest time in seconds a `jti` is remembered: entries live until the token's `exp` plus
   * `clockTolerance`, capped by this for long-lived tokens. Default 86400 (one day).
   */
  readonly maxReplayWindow?: number;
  /** DPoP proof rules (RFC 9449) for `verifyAccessToken(token, { dpop })`. */
  readonly dpop?: DpopVerifierOptions;
  /**
   * The cache of signatures already verified: a token seen again (the exact same string) skips
   * only its signature check, while the key that verified it is still in the key set; every claim
   * check, per-call option and `validate` runs again on every call. `false` turns it off;
   * `{ maxEntries, maxBytes }` sizes it (least recently used evicted first). Default on,
   * 10000 entries, 16 MiB.
   */
  readonly cache?: boolean | SignatureCacheOptions;
}

/** Verifier-wide DPoP settings (RFC 9449 §4.3). */
export interface DpopVerifierOptions {
  /** Allowed proof algorithms. Default: every asymmetric algorithm. */
  readonly algorithms?: readonly AsymmetricAlgorithm[];
  /** How far a proof's `iat` may be from now, in seconds, plus `clockTolerance`. Default 60. */
  readonly iatWindow?: number;
  /** Server nonces (RFC 9449 §9), e.g. {@link createDpopNonceSource}: then every proof needs one. */
  readonly nonce?: DpopNonceChecker;
}

/** Replay and DPoP options after checks and defaults. */
export interface ReplayConfig {
  readonly replayStore?: ReplayStore;
  readonly preventReplay: boolean;
  readonly maxReplayWindow: number;
  readonly dpop: DpopVerifierOptions;
}

/** Validates `replayStore`, `preventReplay`, `maxReplayWindow` and `dpop`; applies defaults. */
export function replayConfig(o: VerifierOptions): ReplayConfig {
  const store = o.replayStore;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.claim !== 'function')) {
    throw configError('replayStore must have a claim(key, expiresAtMs) method');
  }
  if (o.preventReplay !== undefined && typeof o.preventReplay !== 'boolean') throw configError('preventReplay must be a boolean');
  if (o.preventReplay === true && store === undefined) {
    throw configError(
      'preventReplay needs a replayStore (createMemoryReplayStore() for one instance, createRedisReplayStore() for several)',
    );
  }
  checkNumber('maxReplayWindow', o.maxReplayWindow, 1);
  const dpop = o.dpop ?? {};
  if (typeof dpop !== 'object' || dpop === null) throw configError('dpop must be an object');
  checkNumber('dpop.iatWindow', dpop.iatWindow, 0);
  if (dpop.algorithms !== undefined) {
    if (!Array.isArray(dpop.algorithms) || dpop.algorithms.length === 0) throw configError('dpop.algorithms must be a non-empty array');
    for (const a of dpop.algorithms) {
      if (!isAlgorithm(a) || (SYMMETRIC_ALGORITHMS as readonly string[]).includes(a)) {
        throw configError(`dpop.algorithms: ${JSON.stringify(a)} is not an asymmetric algorithm (RFC 9449 §4.3 check 5)`);
      }
    }
  }
  if (
    dpop.nonce !== undefined &&
    (typeof dpop.nonce !== 'object' ||
      dpop.nonce === null ||
      typeof dpop.nonce.check !== 'function' ||
      typeof dpop.nonce.current !== 'function')
  ) {
    throw configError('dpop.nonce must have check(nonce) and current() methods');
  }
  return {
    ...(store !== undefined ? { replayStore: store } : {}),
    preventReplay: o.preventReplay ?? false,
    maxReplayWindow: o.maxReplayWindow ?? 86_400,
    dpop,
  };
}

/** Options shared by every issuer after defaults are applied. */
export interface CommonConfig {
  readonly clockTolerance: number;
  readonly now: () => number;
  readonly maxTokenLength: number;
  readonly maxTokenAge?: number;
  readonly requiredClaims: readonly string[];
  readonly validate?: (token: { header: JoseHeader; payload: JwtPayload }) => void;
  readonly worker: boolean;
}

export const DEFAULTS = {
  clockTolerance: 0,
  maxTokenLength: DEFAULT_MAX_TOKEN_LENGTH,
} as const;

/*
 * Every option name, so a misspelt one (`clockTolerence`, `audiance`) is ERR_CONFIG instead of being
 * ignored. `satisfies Record<keyof ..., true>` makes the compiler flag a name added to the
 * interfaces but not here.
 */
const ISSUER_OPTION_NAMES = Object.keys({
  issuer: true,
  audience: true,
  jwks: true,
  jwksUri: true,
  keySource: true,
  algorithms: true,
  clientSecret: true,
  tenants: true,
  tenantLimits: true,
} satisfies Record<keyof IssuerOptions, true>);
const VERIFIER_OPTION_NAMES = [
  ...ISSUER_OPTION_NAMES,
  ...Object.keys({
    issuers: true,
    clockTolerance: true,
    now: true,
    maxTokenLength: true,
    maxTokenAge: true,
    requiredClaims: true,
    validate: true,
    worker: true,
    fetch: true,
    timeout: true,
    maxResponseSize: true,
    allowHttp: true,
    maxRedirects: true,
    cooldown: true,
    maxStale: true,
    maxKeys: true,
    onEvent: true,
    monotonicClock: true,
    jwksStore: true,
    introspection: true,
    replayStore: true,
    preventReplay: true,
    maxReplayWindow: true,
    dpop: true,
    cache: true,
  } satisfies Record<Exclude<keyof VerifierOptions, keyof IssuerOptions>, true>),
];

/** Checks one issuer's options; returns its audience list and algorithm allowlist. */
export function checkIssuerOptions(o: IssuerOptions): { audiences: string[]; algorithms: Algorithm[] } {
  if (typeof o !== 'object' || o === null) throw configError('each issuers[] entry must be an object');
  if (typeof o.issuer !== 'string' || o.issuer.length === 0) throw configError('issuer must be a non-empty string');
  const audiences = typeof o.audience === 'string' ? [o.audience] : Array.isArray(o.audience) ? [...(o.audience as readonly string[])] : [];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw configError(`audience of ${redactUrl(o.issuer)} must be a non-empty string or array of non-empty strings`);
  }
  if (o.clientSecret !== undefined && (typeof o.clientSecret !== 'string' || o.clientSecret.length === 0)) {
    throw configError('clientSecret must be a non-empty string');
  }
  const sources = [o.jwks, o.jwksUri, o.keySource].filter((s) => s !== undefined).length;
  if (sources > 1) throw configError(`give at most one of jwks, jwksUri, keySource for ${redactUrl(o.issuer)}`);
  if (o.jwksUri !== undefined && typeof o.jwksUri !== 'string') throw configError('jwksUri must be a string');
  let algorithms: Algorithm[];
  if (o.algorithms !== undefined) {
    if (!Array.isArray(o.algorithms) || o.algorithms.length === 0) throw configError('algorithms must be a non-empty array');
    for (const a of o.algorithms) {
      if (!isAlgorithm(a)) throw configError(`algorithm ${JSON.stringify(a)} is not supported (never "none")`);
      if ((SYMMETRIC_ALGORITHMS as readonly string[]).includes(a) && o.clientSecret === undefined) {
        throw configError(`algorithm ${a} needs clientSecret: HMAC is never checked against a public key`);
      }
    }
    algorithms = [...(o.algorithms as readonly Algorithm[])];
  } else {
    algorithms = [...ASYMMETRIC_ALGORITHMS, ...(o.clientSecret !== undefined ? SYMMETRIC_ALGORITHMS : [])];
  }
  const isTemplate = o.issuer.includes('{tenantid}');
  if (isTemplate && o.tenants === undefined) {
    throw configError(`issuer template ${redactUrl(o.issuer)} needs "tenants" (a list of tenant ids or a predicate)`);
  }
  if (o.tenants !== undefined && !isTemplate) throw configError(`"tenants" is only for issuer templates with {tenantid}`);
  if (o.tenants !== undefined && typeof o.tenants !== 'function' && !Array.isArray(o.tenants)) {
    throw configError('tenants must be an array of tenant ids or a function');
  }
  if (o.tenantLimits !== undefined) {
    if (!isTemplate) throw configError(`"tenantLimits" is only for issuer templates with {tenantid}`);
    if (typeof o.tenantLimits !== 'object' || o.tenantLimits === null) throw configError('tenantLimits must be an object');
    rejectUnknownOptions('tenantLimits', o.tenantLimits, Object.keys(TENANT_LIMITS));
    checkNumber('tenantLimits.maxTenants', o.tenantLimits.maxTenants, 1, true);
    checkNumber('tenantLimits.maxUnproven', o.tenantLimits.maxUnproven, 1, true);
    checkNumber('tenantLimits.newTenants', o.tenantLimits.newTenants, 1, true);
    checkNumber('tenantLimits.window', o.tenantLimits.window, 1);
  }
  return { audiences, algorithms };
}

/** Validates the options shared by every issuer and applies defaults. */
export function commonConfig(o: VerifierOptions): CommonConfig {
  if (typeof o !== 'object' || o === null) throw configError('options must be an object');
  rejectUnknownOptions('createVerifier', o, VERIFIER_OPTION_NAMES);
  if (Array.isArray(o.issuers)) {
    (o.issuers as readonly unknown[]).forEach((entry, i) => {
      if (typeof entry === 'object' && entry !== null) rejectUnknownOptions(`createVerifier issuers[${i}]`, entry, ISSUER_OPTION_NAMES);
    });
  }
  checkNumber('clockTolerance', o.clockTolerance, 0);
  checkNumber('maxTokenAge', o.maxTokenAge, 0);
  // The remote key options are checked here once, by the same function as every remote key source's.
  normalizeJwksOptions(o);
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function') throw configError('onEvent must be a function');
  if (o.maxTokenLength !== undefined && (!Number.isInteger(o.maxTokenLength) || o.maxTokenLength < 16)) {
    throw configError('maxTokenLength must be an integer >= 16');
  }
  if (o.now !== undefined && typeof o.now !== 'function') throw configError('now must be a function returning ms');
  if (o.validate !== undefined && typeof o.validate !== 'function') throw configError('validate must be a function');
  if (o.worker !== undefined && typeof o.worker !== 'boolean') throw configError('worker must be a boolean');
  if (o.requiredClaims !== undefined && (!Array.isArray(o.requiredClaims) || o.requiredClaims.some((c) => typeof c !== 'string'))) {
    throw configError('requiredClaims must be an array of claim names');
  }
  return {
    clockTolerance: o.clockTolerance ?? DEFAULTS.clockTolerance,
    now: o.now ?? Date.now,
    maxTokenLength: o.maxTokenLength ?? DEFAULTS.maxTokenLength,
    ...(o.maxTokenAge !== undefined ? { maxTokenAge: o.maxTokenAge } : {}),
    requiredClaims: o.requiredClaims ?? [],
    ...(o.validate !== undefined ? { validate: o.validate } : {}),
    worker: o.worker ?? true,
  };
}
