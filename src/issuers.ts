import { createSecretKey } from 'node:crypto';
import { ClaimError, describe } from './errors.js';
import type { ProfileRules } from './claims/rules.js';
import type { KeyHolder } from './jose/dispatch.js';
import type { JwtPayload } from './jose/types.js';
import { fittingKeySource } from './keys/fitting-key-source.js';
import { StaticKeySource, type KeySource } from './keys/key-source.js';
import { checkIssuerOptions, type CommonConfig, type IssuerOptions, type VerifierOptions } from './options.js';
import { configError } from './option-checks.js';

/** Everything the verifier needs about one concrete issuer, built once. */
export interface IssuerContext {
  readonly issuer: string;
  readonly allowed: ReadonlySet<string>;
  readonly keySource: KeySource;
  /** The client secret as a KeyObject, for HS* tokens. */
  readonly hmacKeys?: readonly KeyHolder[];
  readonly rules: ProfileRules;
}

/** Builds a key source for an issuer without static keys (discovery or jwksUri). */
export type RemoteSourceFactory = (issuer: string, options: IssuerOptions, verifierOptions: VerifierOptions) => KeySource;

const PLACEHOLDER = '{tenantid}';
/** Bound on lazily created tenant contexts when tenants are accepted by a predicate. */
const MAX_TENANTS = 1000;

interface Template {
  readonly options: IssuerOptions;
  readonly prefix: string;
  readonly suffix: string;
  readonly contexts: Map<string, IssuerContext>;
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

  constructor(options: VerifierOptions, common: CommonConfig, remote: RemoteSourceFactory) {
    this.#common = common;
    this.#options = options;
    this.#remote = remote;
    const list: IssuerOptions[] = [];
    if (options.issuers !== undefined) {
      if (!Array.isArray(options.issuers) || options.issuers.length === 0) throw configError('issuers must be a non-empty array');
      if (options.issuer !== undefined) throw configError('give either issuer or issuers, not both');
      list.push(...options.issuers);
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
        this.#templates.push({ options: o, prefix: o.issuer.slice(0, at), suffix: o.issuer.slice(at + PLACEHOLDER.length), contexts: new Map() });
      }
    }
  }

  /** Every context built so far (templates add theirs lazily). */
  contexts(): IssuerContext[] {
    const out = [...this.#exact.values()];
    for (const t of this.#templates) out.push(...t.contexts.values());
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
    for (const t of this.#templates) {
      const ctx = this.#fromTemplate(t, iss, payload);
      if (ctx !== undefined) return ctx;
    }
    throw issuerMismatch(this.#names, iss);
  }

  #fromTemplate(t: Template, iss: string, payload: JwtPayload): IssuerContext | undefined {
    if (iss.length <= t.prefix.length + t.suffix.length || !iss.startsWith(t.prefix) || !iss.endsWith(t.suffix)) return undefined;
    const tenant = iss.slice(t.prefix.length, iss.length - t.suffix.length);
    if (tenant.includes('/') || tenant.includes('?') || tenant.includes('#')) return undefined;
    const cached = t.contexts.get(tenant);
    const tid = payload.tid;
    if (tid !== tenant) {
      throw issuerMismatch([t.options.issuer], iss, `: the tenant in "iss" must equal the "tid" claim (${describe(tid)})`);
    }
    if (cached !== undefined) return cached;
    const tenants = t.options.tenants!;
    const ok = typeof tenants === 'function' ? tenants(tenant) === true : tenants.includes(tenant);
    if (!ok) throw issuerMismatch([t.options.issuer], iss, `: tenant ${describe(tenant)} is not accepted`);
    if (t.contexts.size >= MAX_TENANTS) t.contexts.delete(t.contexts.keys().next().value!);
    const ctx = this.#context(iss, t.options);
    t.contexts.set(tenant, ctx);
    return ctx;
  }

  #context(issuer: string, o: IssuerOptions): IssuerContext {
    const { audiences, algorithms } = checkIssuerOptions(o);
    const keySource =
      o.keySource !== undefined
        ? fittingKeySource(o.keySource)
        : o.jwks !== undefined
          ? new StaticKeySource(o.jwks, this.#options.maxKeys !== undefined ? { maxKeys: this.#options.maxKeys } : {})
          : this.#remote(issuer, o, this.#options);
    const rules: ProfileRules = {
      audiences: new Set(audiences),
      times: { requireExp: true, requireIat: true, ...(this.#common.maxTokenAge !== undefined ? { maxTokenAge: this.#common.maxTokenAge } : {}) },
      requiredClaims: this.#common.requiredClaims,
    };
    return {
      issuer,
      allowed: new Set(algorithms),
      keySource,
      ...(o.clientSecret !== undefined ? { hmacKeys: [{ keyObject: createSecretKey(Buffer.from(o.clientSecret, 'utf8')) }] } : {}),
      rules,
    };
  }
}
