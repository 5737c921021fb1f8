import { describeValue } from './errors.js';
import type { Algorithm } from './jose/algorithms.js';
import type { JoseHeader } from './jose/types.js';
import type { VerificationKey } from './keys/jwk.js';
import type { KeySource, KeySourceStats } from './keys/key-source.js';
import { configError } from './option-checks.js';

/**
 * Multi-tenant issuer templates (`https://login.example.com/{tenantid}/v2.0`): parsing a template,
 * the syntax a tenant id must have where it stands, whether a token's `iss` is the template with
 * one tenant filled in, and the key source of a tenant not yet proven.
 */

export const PLACEHOLDER = '{tenantid}';
/** Stands for the tenant while a template is parsed: a lowercase label that URL parsing keeps as is. */
export const SENTINEL = 'tenantid0sentinel0x7';

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
  if (u.protocol !== shape.url.protocol) return `scheme ${describeValue(u.protocol)} is not the template's ${shape.url.protocol}`;
  if (u.port !== shape.url.port) return `port ${describeValue(u.port)} is not the template's ${describeValue(shape.url.port)}`;
  if (shape.position === 'host') {
    const labels = u.hostname.split('.');
    if (labels.length !== shape.labels.length || labels.some((l, i) => l !== (i === shape.labelIndex ? tenant : shape.labels[i]))) {
      return `host ${describeValue(u.hostname)} is not the template's host with the tenant as one label`;
    }
  } else if (u.hostname !== shape.url.hostname) {
    return `host ${describeValue(u.hostname)} is not the template's host ${shape.url.hostname}`;
  }
  const expected = shape.before + tenant + shape.after;
  if (u.href !== expected) return `the URL parses as ${describeValue(u.href)}, not ${describeValue(expected)}`;
  return undefined;
}

/**
 * The key source of a tenant not yet seen to verify a token: a failed lookup (discovery or JWKS
 * failure, no fitting key) calls `failed`, which drops the tenant's context, so asking the issuer
 * about this tenant again spends the new-tenant budget again.
 */
export class UnprovenKeySource implements KeySource {
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

  stats(): KeySourceStats {
    return this.#inner.stats?.() ?? {};
  }

  close(): void {
    this.#inner.close?.();
  }
}
