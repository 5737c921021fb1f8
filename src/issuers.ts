import { createSecretKey } from 'node:crypto';
import { ClaimError, FetchError, VerifyError, describe } from './errors.js';
import type { ProfileRules } from './claims/rules.js';
import type { Algorithm } from './jose/algorithms.js';
import type { KeyHolder } from './concurrency/dispatch.js';
import type { JoseHeader, JwtPayload } from './jose/types.js';
import type { VerificationKey } from './keys/jwk.js';
import { fittingKeySource } from './keys/fitting-key-source.js';
import { StaticKeySource, type KeySource } from './keys/key-source.js';
import { TENANT_LIMITS, checkIssuerOptions, type CommonConfig, type IssuerOptions, type VerifierOptions } from './options.js';
import { configError } from './option-checks.js';

/** Everything the verifier needs about one concrete issuer, built once. */
export interface IssuerContext {
  readonly issuer: string;
  readonly allowed: ReadonlySet<string>;
  readonly keySource: KeySource;
  /** The client secret as a KeyObject, for HS* tokens. */
  readonly hmacKeys?: readonly KeyHolder[];
  readonly rules: ProfileRules;
  /** Called by the verifier once a token of this issuer passed every check (marks a new tenant proven). */
  readonly verified?: () => void;
}

/** Builds a key source for an issuer without static keys (discovery or jwksUri). */
export type RemoteSourceFactory = (issuer: string, options: IssuerOptions, verifierOptions: VerifierOptions) => KeySource;

const PLACEHOLDER = '{tenantid}';
/** Stands for the tenant while a template is parsed: a lowercase label that URL parsing keeps as is. */
const SENTINEL = 'tenantid0sentinel0x7';

/** Where `{tenantid}` stands in an issuer template. */
export type TenantPosition = 'host' | 'path';

/** One DNS label (RFC 1035 §2.3.1, RFC 1123 §2.1), lowercase: URL parsing would lowercase it anyway. */
const HOST_TENANT = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** RFC 3986 §2.3 unreserved characters only (no delimiters, no percent-encoding); no dot segment. */
const PATH_TENANT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,127}$/;

/** Why `tenant` may not stand at `position` of an issuer template, or undefined when it may. */
export function tenantSyntaxProblem(position: TenantPosition, tenant: string): string | undefined {
  if (position === 'host') {
    return HOST_TENANT.test(tenant)
      ? undefined
      : 'a tenant in the host must be one DNS label of a-z, 0-9 and inner "-", at most 63 characters';
  }
  return PATH_TENANT.test(tenant)
    ? undefined
    : 'a tenant in the path must be 1-128 characters of A-Z a-z 0-9 . _ ~ - not starting with "."';
}

/** An issuer template, parsed once: the URL with {@link SENTINEL} where the tenant goes. */
export interface TemplateShape {
  readonly position: TenantPosition;
  readonly url: URL;
  /** `url.href` split at the sentinel. */
  readonly before: string;
  readonly after: string;
  /** Host labels of the template and the index of the tenant's label (host templates). */
  readonly labels: readonly string[];
  readonly labelIndex: number;
}

/** Parses an issuer template; ERR_CONFIG unless `{tenantid}` is one host label or inside the path. */
export function parseTemplate(issuer: string): TemplateShape {
  if (issuer.includes(SENTINEL)) throw configError(`issuer template ${issuer} must not contain ${SENTINEL}`);
  if (issuer.includes('?') || issuer.includes('#')) throw configError(`issuer template ${issuer} must not contain a query or fragment`);
  let url: URL;
  try {
    url = new URL(issuer.replace(PLACEHOLDER, SENTINEL));
  } catch {
    throw configError(`issuer template ${issuer} must be an absolute URL with ${PLACEHOLDER} in the host or the path`);
  }
  const parts = url.href.split(SENTINEL);
  const labels = url.hostname.split('.');
  const labelIndex = labels.indexOf(SENTINEL);
  let position: TenantPosition;
  if (url.hostname.includes(SENTINEL)) {
    if (labelIndex === -1)
      throw configError(
        `${PLACEHOLDER} in the host of issuer template ${issuer} must be a whole label, e.g. https://${PLACEHOLDER}.example.com/`,
      );
    position = 'host';
  } else if (url.pathname.includes(SENTINEL)) position = 'path';
  else throw configError(`${PLACEHOLDER} in issuer template ${issuer} must stand in the host (as one label) or in the path`);
  if (parts.length !== 2) throw configError(`issuer template ${issuer} has more than one ${PLACEHOLDER}`);
  return { position, url, before: parts[0]!, after: parts[1]!, labels, labelIndex };
}

/**
 * Why the concrete issuer `iss` (the template with `tenant` put in) leaves the template's form, or
 * undefined when it keeps it: the same scheme and port, the template's host (with the tenant as
 * exactly one label for host templates), and a URL that parses back to the template with the
 * tenant in place (nothing normalised away: no backslash, dot segment, percent-encoding or case change).
 */
export function tenantUrlProblem(shape: TemplateShape, iss: string, tenant: string): string | undefined {
  let u: URL;
  try {
    u = new URL(iss);
  } catch {
    return 'the issuer is not a URL';
  }
  if (u.protocol !== shape.url.protocol) return `scheme ${describe(u.protocol)} is not the template's ${shape.url.protocol}`;
  if (u.port !== shape.url.port) return `port ${describe(u.port)} is not the template's ${describe(shape.url.port)}`;
  if (shape.position === 'host') {
    const labels = u.hostname.split('.');
    if (labels.length !== shape.labels.length || labels.some((l, i) => l !== (i === shape.labelIndex ? tenant : shape.labels[i]))) {
      return `host ${describe(u.hostname)} is not the template's host with the tenant as one label`;
    }
  } else if (u.hostname !== shape.url.hostname) {
    return `host ${describe(u.hostname)} is not the template's host ${shape.url.hostname}`;
  }
  const expected = shape.before + tenant + shape.after;
  if (u.href !== expected) return `the URL parses as ${describe(u.href)}, not ${describe(expected)}`;
  return undefined;
}

/**
 * The key source of a tenant not yet seen to verify a token: a failed lookup (discovery or JWKS
 * failure, no fitting key) calls `failed`, which drops the tenant's context, so asking the issuer
 * about this tenant again spends the new-tenant budget again.
 */
class UnprovenKeySource implements KeySource {
  readonly synchronous: boolean;
  readonly #inner: KeySource;
  readonly #failed: () => void;

  constructor(inner: KeySource, failed: () => void) {
    this.#inner = inner;
    this.#failed = failed;
    this.synchronous = inner.synchronous;
  }

  getKeys(header: JoseHeader, alg: Algorithm): readonly VerificationKey[] | Promise<readonly VerificationKey[]> {
    let keys: readonly VerificationKey[] | Promise<readonly VerificationKey[]>;
    try {
      keys = this.#inner.getKeys(header, alg);
    } catch (err) {
      this.#failed();
      throw err;
    }
    if (!(keys instanceof Promise)) return keys;
    return keys.catch((err: unknown) => {
      this.#failed();
      throw err;
    });
  }

  advertisedAlgorithms(): readonly string[] | undefined {
    return this.#inner.advertisedAlgorithms?.();
  }

  async warmUp(): Promise<void> {
    await this.#inner.warmUp?.();
  }

  stats(): object {
    return this.#inner.stats?.() ?? {};
  }

  close(): void {
    this.#inner.close?.();
  }
}

interface Template {
  readonly options: IssuerOptions;
  readonly prefix: string;
  readonly suffix: string;
  readonly shape: TemplateShape;
  /** Contexts of listed tenants and of tenants a token verified for; at most `maxTenants`. */
  readonly contexts: Map<string, IssuerContext>;
  /** Contexts of predicate-accepted tenants not yet seen to verify a token; at most `maxUnproven`. */
  readonly unproven: Map<string, IssuerContext>;
  readonly limits: { readonly maxTenants: number; readonly maxUnproven: number; readonly newTenants: number; readonly window: number };
  /** Keys come from per-tenant discovery: new unproven tenants spend the budget. */
  readonly discovers: boolean;
  /** Key sources were built here (discovery or jwksUri), so a dropped context closes its source. */
  readonly owns: boolean;
  /** Token bucket of new unproven tenants, refilled `newTenants` per `window`. */
  budget: number;
  refilledAt: number;
}

function issuerMismatch(expected: readonly string[], actual: unknown, why = ''): ClaimError {
  const want = expected.length === 1 ? describe(expected[0]) : `one of ${describe(expected)}`;
  return new ClaimError('ERR_ISSUER', 'iss', 'mismatch', `"iss" mismatch: expected ${want}, got ${describe(actual)}${why}`, {
    expected: expected.length === 1 ? expected[0] : expected,
    actual,
  });
}

/**
 * The configured issuers. A token's unverified `iss` selects one of them before any key is
 * looked up, so an unknown issuer costs no network request.
 */
export class IssuerRegistry {
  readonly #exact = new Map<string, IssuerContext>();
  readonly #templates: Template[] = [];
  readonly #names: string[] = [];
  readonly #common: CommonConfig;
  readonly #options: VerifierOptions;
  readonly #remote: RemoteSourceFactory;
  /** The exact issuer matched last: a string compare instead of hashing a fresh `iss` string. */
  #last: IssuerContext | undefined;

  /** The new-tenant budget is network timing: it runs on the monotonic clock, never on `now`. */
  readonly #clock: () => number;

  constructor(options: VerifierOptions, common: CommonConfig, remote: RemoteSourceFactory) {
    this.#clock = options.monotonicClock ?? (() => performance.now());
    this.#common = common;
    this.#options = options;
    this.#remote = remote;
    const list: IssuerOptions[] = [];
    if (options.issuers !== undefined) {
      if (!Array.isArray(options.issuers) || options.issuers.length === 0) throw configError('issuers must be a non-empty array');
      if (options.issuer !== undefined) throw configError('give either issuer or issuers, not both');
      list.push(...(options.issuers as readonly IssuerOptions[]));
    } else {
      if (options.issuer === undefined) throw configError('issuer is required');
      if (options.audience === undefined) throw configError('audience is required');
      list.push(options as IssuerOptions);
    }
    for (const o of list) {
      checkIssuerOptions(o);
      if (this.#names.includes(o.issuer)) throw configError(`issuer ${o.issuer} is configured twice`);
      this.#names.push(o.issuer);
      const at = o.issuer.indexOf(PLACEHOLDER);
      if (at === -1) this.#exact.set(o.issuer, this.#context(o.issuer, o));
      else {
        if (o.issuer.indexOf(PLACEHOLDER, at + 1) !== -1) throw configError(`issuer template ${o.issuer} has more than one ${PLACEHOLDER}`);
        const shape = parseTemplate(o.issuer);
        if (Array.isArray(o.tenants)) {
          for (const id of o.tenants) {
            const bad = typeof id === 'string' ? tenantSyntaxProblem(shape.position, id) : 'not a string';
            if (bad !== undefined) throw configError(`tenant ${describe(id)} of ${o.issuer} cannot be used: ${bad}`);
          }
        }
        const owns = o.jwks === undefined && o.keySource === undefined;
        const discovers = owns && o.jwksUri === undefined;
        // Remote options and the scheme rule of discovery are checked now (ERR_CONFIG), not on every token:
        // a source for a stand-in tenant is built and closed again (no request).
        if (owns) this.#remote(o.issuer.replace(PLACEHOLDER, SENTINEL), o, options).close?.();
        const limits = { ...TENANT_LIMITS, ...o.tenantLimits };
        this.#templates.push({
          options: o,
          prefix: o.issuer.slice(0, at),
          suffix: o.issuer.slice(at + PLACEHOLDER.length),
          shape,
          contexts: new Map(),
          unproven: new Map(),
          limits,
          discovers,
          owns,
          budget: limits.newTenants,
          refilledAt: this.#clock(),
        });
      }
    }
  }

  /** Every context built so far (templates add theirs lazily). */
  contexts(): IssuerContext[] {
    const out = [...this.#exact.values()];
    for (const t of this.#templates) out.push(...t.contexts.values(), ...t.unproven.values());
    return out;
  }

  /** Picks the issuer of a token by its `iss`, or throws ERR_ISSUER / ERR_CLAIM_*. */
  select(payload: JwtPayload): IssuerContext {
    const iss = payload.iss;
    if (typeof iss !== 'string') {
      if (iss === undefined) throw new ClaimError('ERR_CLAIM_MISSING', 'iss', 'missing', '"iss" claim is required but missing');
      throw new ClaimError('ERR_CLAIM_INVALID', 'iss', 'type', `"iss" claim must be a string, got ${describe(iss)}`, { actual: iss });
    }
    if (this.#last !== undefined && iss === this.#last.issuer) return this.#last;
    const exact = this.#exact.get(iss);
    if (exact !== undefined) {
      this.#last = exact;
      return exact;
    }
    let why = '';
    for (const t of this.#templates) {
      const ctx = this.#fromTemplate(t, iss, payload);
      if (typeof ctx === 'string') why ||= ctx;
      else if (ctx !== undefined) return ctx;
    }
    throw issuerMismatch(this.#names, iss, why);
  }

  /** The context of a tenant, or undefined (not this template), or why the tenant cannot be used here. */
  #fromTemplate(t: Template, iss: string, payload: JwtPayload): IssuerContext | string | undefined {
    if (iss.length <= t.prefix.length + t.suffix.length || !iss.startsWith(t.prefix) || !iss.endsWith(t.suffix)) return undefined;
    const tenant = iss.slice(t.prefix.length, iss.length - t.suffix.length);
    const cached = t.contexts.get(tenant) ?? t.unproven.get(tenant);
    if (cached === undefined) {
      const bad = tenantSyntaxProblem(t.shape.position, tenant);
      if (bad !== undefined) return `: tenant ${describe(tenant)} refused: ${bad}`;
    }
    const tid = payload.tid;
    if (tid !== tenant) {
      throw issuerMismatch([t.options.issuer], iss, `: the tenant in "iss" must equal the "tid" claim (${describe(tid)})`);
    }
    if (cached !== undefined) return cached;
    // Independent of the character rule: the concrete issuer must keep the template's scheme, host and port.
    const off = tenantUrlProblem(t.shape, iss, tenant);
    if (off !== undefined) throw issuerMismatch([t.options.issuer], iss, `: tenant ${describe(tenant)} refused: ${off}`);
    const tenants = t.options.tenants!;
    const listed = typeof tenants !== 'function';
    let ok: boolean;
    try {
      ok = listed ? tenants.includes(tenant) : tenants(tenant) === true;
    } catch (err) {
      throw issuerMismatch(
        [t.options.issuer],
        iss,
        `: the tenants predicate threw for tenant ${describe(tenant)}: ${describe(String(err))}`,
      );
    }
    if (!ok) throw issuerMismatch([t.options.issuer], iss, `: tenant ${describe(tenant)} is not accepted`);
    if (listed || !t.discovers) {
      const ctx = this.#tenantContext(t, iss);
      this.#keep(t, tenant, ctx);
      return ctx;
    }
    // A tenant accepted by a predicate but never seen to verify a token: discovery for it is budgeted.
    const wait = this.#spend(t);
    if (wait > 0) {
      const url = (iss.endsWith('/') ? iss.slice(0, -1) : iss) + '/.well-known/openid-configuration';
      throw new FetchError(
        'ERR_DISCOVERY',
        url,
        `discovery for new tenant ${describe(tenant)} of ${t.options.issuer} not attempted: the new-tenant budget ` +
          `(${t.limits.newTenants} tenants not yet seen to verify a token per ${t.limits.window} ms) is spent; next in ${Math.ceil(wait / 1000)} s`,
      );
    }
    let pending = true;
    const base = this.#tenantContext(t, iss, () => {
      if (!pending) return;
      pending = false;
      if (t.unproven.get(tenant) !== ctx) return; // dropped (and closed) meanwhile
      t.unproven.delete(tenant);
      this.#keep(t, tenant, ctx);
    });
    const ctx: IssuerContext = {
      ...base,
      keySource: new UnprovenKeySource(base.keySource, () => {
        if (!pending || t.unproven.get(tenant) !== ctx) return;
        t.unproven.delete(tenant);
        base.keySource.close?.();
      }),
    };
    if (t.unproven.size >= t.limits.maxUnproven) this.#drop(t, t.unproven);
    t.unproven.set(tenant, ctx);
    return ctx;
  }

  /** Stores a listed or proven tenant's context, dropping (and closing) the oldest beyond `maxTenants`. */
  #keep(t: Template, tenant: string, ctx: IssuerContext): void {
    if (t.contexts.size >= t.limits.maxTenants) this.#drop(t, t.contexts);
    t.contexts.set(tenant, ctx);
  }

  /** Drops the oldest context of `map`; releases its key source (and so the shared JWKS cache) if built here. */
  #drop(t: Template, map: Map<string, IssuerContext>): void {
    const first = map.entries().next().value;
    if (first === undefined) return;
    map.delete(first[0]);
    if (t.owns) first[1].keySource.close?.();
  }

  /** Takes one unit of the new-tenant budget; returns 0, or the ms until one is available. */
  #spend(t: Template): number {
    const now = this.#clock();
    const { newTenants, window } = t.limits;
    t.budget = Math.min(newTenants, t.budget + (Math.max(0, now - t.refilledAt) * newTenants) / window);
    t.refilledAt = now;
    if (t.budget >= 1) {
      t.budget -= 1;
      return 0;
    }
    return Math.max(1, ((1 - t.budget) * window) / newTenants);
  }

  /** A tenant's context; a key source that cannot be built for this tenant is a token error, not ERR_CONFIG. */
  #tenantContext(t: Template, iss: string, verified?: () => void): IssuerContext {
    try {
      return this.#context(iss, t.options, verified);
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      throw issuerMismatch([t.options.issuer], iss, `: no key source for this tenant (${err.message})`);
    }
  }

  #context(issuer: string, o: IssuerOptions, verified?: () => void): IssuerContext {
    const { audiences, algorithms } = checkIssuerOptions(o);
    const keySource =
      o.keySource !== undefined
        ? fittingKeySource(o.keySource)
        : o.jwks !== undefined
          ? new StaticKeySource(o.jwks, this.#options.maxKeys !== undefined ? { maxKeys: this.#options.maxKeys } : {})
          : this.#remote(issuer, o, this.#options);
    const rules: ProfileRules = {
      audiences: new Set(audiences),
      times: {
        requireExp: true,
        requireIat: true,
        ...(this.#common.maxTokenAge !== undefined ? { maxTokenAge: this.#common.maxTokenAge } : {}),
      },
      requiredClaims: this.#common.requiredClaims,
    };
    return {
      issuer,
      allowed: new Set(algorithms),
      keySource,
      ...(o.clientSecret !== undefined ? { hmacKeys: [{ keyObject: createSecretKey(Buffer.from(o.clientSecret, 'utf8')) }] } : {}),
      rules,
      ...(verified !== undefined ? { verified } : {}),
    };
  }
}
